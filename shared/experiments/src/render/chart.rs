//! Bar charts of a measurement across configurations: one bar per configuration (its
//! median), a whisker for its spread (the caller says what that is), bars coloured by
//! runtime, in the caller's order (the table's). Where the values span more than
//! [`LOG_SPAN`] times, the axis is logarithmic, with a line at each power of ten, so that
//! one bar far beyond the others (a thread per task) does not turn the rest into slivers.
//! The title says which way is better. Drawn from the reports alone, as SVG no wider than
//! the notes' column (its text is shown at its own size, 11 px or more).

use std::fmt::Write as _;

use super::timeline::{colour, escape};

/// One bar: its label, the runtime it belongs to (for the colour), and the median with
/// its spread.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What the bar is: `tokio (multi-thread)`, say.
    pub label: String,
    /// Bars of one runtime share a colour.
    pub group: String,
    /// The median.
    pub value: f64,
    /// The spread around the median, where there is one: the whisker's two ends.
    pub spread: Option<[f64; 2]>,
    /// Too spread out to rank by: said after its value.
    pub unstable: bool,
}

/// Which way is better, which the chart's title says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// A cost: time, bytes.
    Lower,
    /// A rate: requests a second.
    Higher,
}

impl Better {
    /// `lower is better`, `higher is better`.
    pub fn words(self) -> &'static str {
        match self {
            Better::Lower => "lower is better",
            Better::Higher => "higher is better",
        }
    }
}

/// How many times the largest value may be the smallest before the axis turns
/// logarithmic.
pub const LOG_SPAN: f64 = 10.0;

/// Where a value lands on the plot, from 0 to [`PLOT_WIDTH`].
enum Axis {
    /// `value × scale`.
    Linear { scale: f64 },
    /// From the power of ten at or below the smallest value to the largest value.
    Log { from: f64, decades: f64 },
}

impl Axis {
    fn for_values(values: impl Iterator<Item = f64> + Clone) -> Axis {
        let finite = values.filter(|v| v.is_finite() && *v > 0.0);
        let most = finite.clone().fold(0.0_f64, f64::max);
        let least = finite.fold(f64::INFINITY, f64::min);
        if most > 0.0 && most / least > LOG_SPAN {
            let from = 10f64.powf(least.log10().floor());
            Axis::Log {
                from,
                decades: (most / from).log10(),
            }
        } else {
            Axis::Linear {
                scale: if most > 0.0 { PLOT_WIDTH / most } else { 0.0 },
            }
        }
    }

    fn x(&self, value: f64) -> f64 {
        if !value.is_finite() {
            return 0.0;
        }
        match *self {
            Axis::Linear { scale } => value * scale,
            Axis::Log { from, decades } => {
                ((value.max(from) / from).log10() / decades * PLOT_WIDTH).max(0.0)
            }
        }
    }
}

const LABEL_WIDTH: f64 = 220.0;
const PLOT_WIDTH: f64 = 400.0;
/// Room after the longest bar for its value: `101491 (unstable)`.
const VALUE_WIDTH: f64 = 120.0;
const ROW: f64 = 22.0;
const TOP: f64 = 34.0;

/// A horizontal bar chart titled `title`, values in `unit`, one row per bar in the order
/// given; `whiskers` says what the whiskers span (the median's confidence interval, say).
pub fn bars(title: &str, unit: &str, better: Better, whiskers: &str, bars: &[Bar]) -> String {
    let axis = Axis::for_values(
        bars.iter()
            .flat_map(|b| {
                [
                    Some(b.value),
                    b.spread.map(|[low, _]| low),
                    b.spread.map(|[_, high]| high),
                ]
            })
            .flatten(),
    );
    let height = TOP + ROW * bars.len() as f64 + 48.0;
    let width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
    let mut groups: Vec<&str> = Vec::new();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="8" y="20" font-size="14" font-weight="bold">{}: {}</text>"#,
        escape(title),
        better.words()
    );
    if let Axis::Log { from, decades } = axis {
        // A line at each power of ten, labelled at the foot.
        for decade in 0..=decades.floor() as i32 {
            let value = from * 10f64.powi(decade);
            let x = LABEL_WIDTH + axis.x(value);
            let _ = writeln!(
                s,
                r##"<path class="decade" d="M{x:.1} {TOP} V{}" stroke="#ccc"/><text x="{x:.1}" y="{}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
                TOP + ROW * bars.len() as f64,
                TOP + ROW * bars.len() as f64 + 12.0,
                number(value)
            );
        }
    }
    for (i, bar) in bars.iter().enumerate() {
        let group = match groups.iter().position(|g| *g == bar.group) {
            Some(g) => g,
            None => {
                groups.push(&bar.group);
                groups.len() - 1
            }
        };
        let y = TOP + ROW * i as f64;
        let length = axis.x(bar.value);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_WIDTH - 6.0,
            y + 14.0,
            escape(&bar.label)
        );
        let _ = writeln!(
            s,
            r#"<rect class="bar" x="{LABEL_WIDTH}" y="{}" width="{length:.1}" height="{}" fill="{}"><title>{}: {} {}</title></rect>"#,
            y + 3.0,
            ROW - 6.0,
            colour(group),
            escape(&bar.label),
            number(bar.value),
            escape(unit)
        );
        if let Some([min, max]) = bar.spread.filter(|[a, b]| a.is_finite() && b.is_finite()) {
            let (x1, x2, mid) = (
                LABEL_WIDTH + axis.x(min),
                LABEL_WIDTH + axis.x(max),
                y + ROW / 2.0,
            );
            let _ = writeln!(
                s,
                r#"<path class="whisker" d="M{x1:.1} {mid} H{x2:.1} M{x1:.1} {} V{} M{x2:.1} {} V{}" stroke="black" fill="none"/>"#,
                mid - 4.0,
                mid + 4.0,
                mid - 4.0,
                mid + 4.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}">{}{}</text>"#,
            LABEL_WIDTH + length.max(bar.spread.map_or(0.0, |[_, max]| axis.x(max))) + 6.0,
            y + 14.0,
            number(bar.value),
            if bar.unstable { " (unstable)" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="8" y="{}">{}{}; {}</text><text x="8" y="{}">bars: the median; whiskers: {}</text>"#,
        height - 22.0,
        escape(unit),
        match axis {
            Axis::Log { .. } => ", log scale (a line at each power of ten)",
            Axis::Linear { .. } => ", from 0",
        },
        better.words(),
        height - 6.0,
        escape(whiskers)
    );
    s.push_str("</svg>\n");
    s
}

/// A figure as the charts print it: no more digits than it has meaning.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        "-".into()
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.into(),
            group: label.into(),
            value,
            spread: None,
            unstable: false,
        }
    }

    #[test]
    fn a_bar_and_a_whisker_per_configuration() {
        let bars_in = [
            Bar {
                label: "tokio (multi-thread)".into(),
                group: "tokio".into(),
                value: 200.0,
                spread: Some([180.0, 260.0]),
                unstable: true,
            },
            bar("smol <global>", 100.0),
        ];
        let svg = bars(
            "spawn + await",
            "ns a task",
            Better::Lower,
            "min to max",
            &bars_in,
        );
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="whisker""#).count(), 1);
        assert!(svg.contains("smol &lt;global&gt;"), "labels are escaped");
        // The longest extent (a max of 260) fills the plot: the 200 bar is 200/260 of it.
        let expected = format!(r#"width="{:.1}""#, 200.0 * PLOT_WIDTH / 260.0);
        assert!(svg.contains(&expected), "{svg}");
        assert!(svg.contains(">200 (unstable)</text>"), "{svg}");
        assert!(svg.contains("ns a task, from 0; lower is better"), "{svg}");
        assert!(svg.contains("whiskers: min to max"), "{svg}");
        assert!(
            !svg.contains("decade"),
            "a span of 2.6 times is drawn linear"
        );
    }

    #[test]
    fn the_chart_fits_the_column_its_text_readable_its_bars_in_the_given_order() {
        let order = ["zeta (b)", "alpha (a)", "mid (c)"];
        let bars_in: Vec<Bar> = order.iter().map(|l| bar(l, 10.0)).collect();
        let svg = bars(
            "fetches",
            "requests a second",
            Better::Higher,
            "-",
            &bars_in,
        );
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let width: f64 = root.attribute("width").unwrap().parse().unwrap();
        assert!(width <= 750.0, "wider than the notes' column: {width}");
        let view_box = format!("0 0 {width} {}", root.attribute("height").unwrap());
        assert_eq!(root.attribute("viewBox"), Some(view_box.as_str()));
        let texts: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .collect();
        for text in &texts {
            let size: f64 = text
                .ancestors()
                .find_map(|n| n.attribute("font-size"))
                .unwrap()
                .parse()
                .unwrap();
            assert!(size >= 11.0, "{:?} at {size} px", text.text());
        }
        let labels: Vec<&str> = texts
            .iter()
            .filter(|t| t.attribute("text-anchor") == Some("end"))
            .filter_map(|t| t.text())
            .collect();
        assert_eq!(labels, order, "bars in the order given, not sorted");
        assert!(svg.contains("fetches: higher is better"), "{svg}");
    }

    #[test]
    fn values_far_apart_are_drawn_on_a_log_axis() {
        // A thread per task at 26,580 ns beside executors at 288 and 935 ns.
        let svg = bars(
            "spawn + await",
            "ns a task",
            Better::Lower,
            "the median's interval",
            &[bar("a", 288.0), bar("b", 935.0), bar("c", 26_580.0)],
        );
        assert!(svg.contains("ns a task, log scale"), "{svg}");
        // From 100 (the power of ten below 288) to 26,580: three lines, at 100, 1,000
        // and 10,000.
        assert_eq!(svg.matches(r#"class="decade""#).count(), 3, "{svg}");
        // The largest fills the plot; 288 is log10(2.88) of its log10(265.8) decades.
        let width = |v: f64| {
            format!(
                r#"width="{:.1}""#,
                (v / 100.0).log10() / 265.8f64.log10() * PLOT_WIDTH
            )
        };
        assert!(svg.contains(&width(26_580.0)), "{svg}");
        assert!(svg.contains(&width(288.0)), "{svg}");
        // More than 10 times apart is log; 10 times is not.
        let log = |values: [f64; 2]| {
            bars("x", "ns", Better::Lower, "-", &values.map(|v| bar("a", v))).contains("log scale")
        };
        assert!(log([100.0, 1_100.0]));
        assert!(!log([100.0, 1_000.0]));
    }
}
