//! Bar charts of a measurement across configurations: one bar per configuration (its
//! median), a whisker from its minimum to its maximum, bars coloured by runtime. Drawn
//! from the reports alone, as SVG.

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
    /// The smallest and largest value measured, where there were several.
    pub spread: Option<[f64; 2]>,
}

const LABEL_WIDTH: f64 = 260.0;
const PLOT_WIDTH: f64 = 420.0;
const ROW: f64 = 22.0;
const TOP: f64 = 34.0;

/// A horizontal bar chart titled `title`, values in `unit`, one row per bar.
pub fn bars(title: &str, unit: &str, bars: &[Bar]) -> String {
    let most = bars
        .iter()
        .map(|b| b.spread.map_or(b.value, |[_, max]| max.max(b.value)))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let scale = if most > 0.0 { PLOT_WIDTH / most } else { 0.0 };
    let height = TOP + ROW * bars.len() as f64 + 30.0;
    let width = LABEL_WIDTH + PLOT_WIDTH + 90.0;
    let mut groups: Vec<&str> = Vec::new();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="8" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let group = match groups.iter().position(|g| *g == bar.group) {
            Some(g) => g,
            None => {
                groups.push(&bar.group);
                groups.len() - 1
            }
        };
        let y = TOP + ROW * i as f64;
        let length = if bar.value.is_finite() {
            bar.value * scale
        } else {
            0.0
        };
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
                LABEL_WIDTH + min * scale,
                LABEL_WIDTH + max * scale,
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
            r#"<text x="{:.1}" y="{}">{}</text>"#,
            LABEL_WIDTH + length.max(bar.spread.map_or(0.0, |[_, max]| max * scale)) + 6.0,
            y + 14.0,
            number(bar.value)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{LABEL_WIDTH}" y="{}">{} (bars: median; whiskers: min to max)</text>"#,
        height - 10.0,
        escape(unit)
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

    #[test]
    fn a_bar_and_a_whisker_per_configuration() {
        let bars_in = [
            Bar {
                label: "tokio (multi-thread)".into(),
                group: "tokio".into(),
                value: 200.0,
                spread: Some([180.0, 260.0]),
            },
            Bar {
                label: "smol <global>".into(),
                group: "smol".into(),
                value: 100.0,
                spread: None,
            },
        ];
        let svg = bars("spawn + await", "ns a task", &bars_in);
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="whisker""#).count(), 1);
        assert!(svg.contains("smol &lt;global&gt;"), "labels are escaped");
        // The longest extent (a max of 260) fills the plot: the 200 bar is 200/260 of it.
        let expected = format!(r#"width="{:.1}""#, 200.0 * PLOT_WIDTH / 260.0);
        assert!(svg.contains(&expected), "{svg}");
    }
}
