//! `bench` side by side: a row per configuration (and per worker count, for pools), each
//! figure with its ratio to the best configuration and to the floor it is built on.

use std::fmt::Write as _;
use std::path::Path;

use async_lab_experiments::experiments::Figure;
use async_lab_experiments::output::OutputFile;
use async_lab_experiments::render::chart::{self, Bar, Better};
use async_lab_experiments::report::Report;
use async_lab_experiments::stats::Interval;

/// Every figure the table shows, in its order; the floors come last. Each is defined,
/// with its key, unit and floor, beside its measurement (`experiments::Figure`).
pub const FIGURES: [Figure; 17] = Figure::ALL;

/// One run of `bench`: its label and its report.
pub struct Run<'a> {
    /// `tokio (multi-thread, 2 workers)`, say.
    pub label: String,
    /// The runtime, which colours the chart's bar.
    pub runtime: &'a str,
    /// The report.
    pub report: &'a Report,
}

/// A run's figure as a median and its interval: from the rounds' values where the report
/// has them, else from its `spread`.
pub fn interval(report: &Report, key: &str) -> Option<Interval> {
    if let Some(interval) = report.samples.get(key).and_then(|v| Interval::of(v)) {
        return Some(interval);
    }
    let median = *report.measurements.get(key)?;
    let [low, high] = report.spread.get(key).copied().unwrap_or([median, median]);
    Some(Interval {
        median,
        low,
        high,
        n: 1,
    })
}

/// The best interval of `figure` over `runs`: the one with the best median.
fn best(figure: Figure, runs: &[Run]) -> Option<Interval> {
    let intervals = runs
        .iter()
        .filter_map(|r| interval(r.report, figure.key()))
        .filter(|i| i.median.is_finite() && i.median > 0.0);
    if figure.lower_is_better() {
        intervals.min_by(|a, b| a.median.total_cmp(&b.median))
    } else {
        intervals.max_by(|a, b| a.median.total_cmp(&b.median))
    }
}

/// `figure`'s cell for `report`: the median and its interval, then how it stands against
/// the best configuration (a ratio only where the two intervals are apart, `≈ best` where
/// they overlap) and against its floor; `unstable` where its interval is too wide to rank.
/// A ratio is this figure over the other, as written: `4.71x best` is 4.71 times the
/// best's time where lower is better, `0.67x best` two thirds of the best's rate where
/// higher is.
fn cell(figure: Figure, report: &Report, best: Option<Interval>) -> String {
    let Some(this) = interval(report, figure.key()) else {
        return "-".into();
    };
    let times = |of: f64| this.median / of;
    // Where higher is better, what a floor bounds is the most there can be.
    let bound = if figure.lower_is_better() {
        "floor"
    } else {
        "ceiling"
    };
    // A count of system calls is a tenth at most; a timing, three significant digits.
    let number = |x: f64| {
        if figure.is_syscalls() {
            format!("{x:.1}")
        } else {
            chart::number(x)
        }
    };
    let mut s = number(this.median);
    if this.n > 1 {
        let _ = write!(s, " [{} to {}]", number(this.low), number(this.high));
    }
    let mut ratios = Vec::new();
    if let Some(best) = best.filter(|_| !figure.is_floor() && !figure.is_syscalls()) {
        ratios.push(if best == this {
            "best".to_string()
        } else if this.separated_from(&best) {
            format!("{}x best", chart::number(times(best.median)))
        } else {
            "\u{2248} best".to_string()
        });
    }
    if let Some((key, into_unit)) = figure.floor()
        && let Some(&floor) = report.measurements.get(key.key())
        && into_unit(floor) > 0.0
    {
        ratios.push(format!(
            "{}x {bound}",
            chart::number(times(into_unit(floor)))
        ));
    }
    if !ratios.is_empty() {
        let _ = write!(s, " ({})", ratios.join(", "));
    }
    if this.n > 1 && this.is_unstable() {
        s.push_str(" unstable");
    }
    s
}

/// What the table's figures are, and how many rounds are behind them.
fn header(runs: &[Run]) -> String {
    let rounds = runs
        .iter()
        .filter_map(|r| {
            FIGURES
                .iter()
                .filter(|f| !f.is_syscalls())
                .find_map(|f| interval(r.report, f.key()))
        })
        .map(|i| i.n)
        .max()
        .unwrap_or(1);
    let coverage = Interval::of(&vec![0.0; rounds]).map_or(0.0, |i| i.coverage());
    format!(
        "Each figure is the median of {rounds} rounds, run round-robin over the configurations,\n\
         each round in a process of its own. In square brackets, the median's {:.0}% confidence\n\
         interval (order statistics: from the k-th smallest round to the k-th largest). In\n\
         round brackets, how it stands against the best configuration: a ratio where the two\n\
         intervals are apart, \u{2248} best where they overlap (the rounds cannot tell them\n\
         apart); and against its floor (a waker's wake + poll for spawn, yield and ping-pong).\n\
         A ratio is this configuration's figure over the other, as written: where lower is\n\
         better (times, bytes) it is 1 or more, 4.71x best taking 4.71 times the best's time;\n\
         where higher is better (fetch_rps) it is 1 or less, 0.67x best doing two thirds of\n\
         the best's requests a second, and its floor is a ceiling (loopback TCP round trips\n\
         a second). unstable: the interval is wider than half the median, too wide to rank by.\n\
         The *_syscalls figures are counts, not timings, taken once a configuration (at its\n\
         default workers) by the driver: strace -f counts the system calls of every thread\n\
         of a process that does the operation N times, then of one that does it none; the\n\
         difference over N, to a tenth. Their floors (blocking std calls, no runtime) are\n\
         counted once a run, the same way, and shown beside each configuration.\n\n",
        coverage * 100.0
    )
}

/// The table, as Markdown or as text (a block per configuration).
pub fn table(runs: &[Run], markdown: bool) -> String {
    let mut s = header(runs);
    let bests: Vec<Option<Interval>> = FIGURES.iter().map(|&f| best(f, runs)).collect();
    if markdown {
        let mut headers = vec!["configuration".to_string()];
        headers.extend(FIGURES.iter().map(|f| {
            if f.is_floor() {
                format!("{} ({})", f.key(), f.unit())
            } else {
                format!("{} ({}; {})", f.key(), f.unit(), better(*f).words())
            }
        }));
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|run| {
                let mut cells = vec![run.label.clone()];
                cells.extend(
                    FIGURES
                        .iter()
                        .zip(&bests)
                        .map(|(&f, best)| cell(f, run.report, *best)),
                );
                cells
            })
            .collect();
        s.push_str(&crate::table::markdown_tables(&headers, &rows, 1));
    } else {
        for run in runs {
            let _ = writeln!(s, "{}", run.label);
            for (figure, best) in FIGURES.iter().zip(&bests) {
                if run.report.measurements.contains_key(figure.key()) {
                    let _ = writeln!(
                        s,
                        "  {:<20} {} {}",
                        figure.key(),
                        cell(*figure, run.report, *best),
                        figure.unit()
                    );
                }
            }
            for part in &run.report.unsupported {
                let _ = writeln!(s, "  not on this runtime: {part}");
            }
        }
    }
    s
}

/// Which way `figure` is better, as the charts say it.
fn better(figure: Figure) -> Better {
    if figure.lower_is_better() {
        Better::Lower
    } else {
        Better::Higher
    }
}

/// Writes one chart per figure into `dir`, as `<key>.svg`, its bars in the table's order.
pub fn write_charts(dir: &Path, runs: &[Run]) -> std::io::Result<()> {
    for figure in FIGURES {
        let bars: Vec<Bar> = runs
            .iter()
            .filter_map(|run| {
                let value = *run.report.measurements.get(figure.key())?;
                let unstable =
                    interval(run.report, figure.key()).is_some_and(|i| i.n > 1 && i.is_unstable());
                Some(Bar {
                    label: run.label.clone(),
                    group: run.runtime.to_string(),
                    value,
                    spread: run.report.spread.get(figure.key()).copied(),
                    unstable,
                })
            })
            .collect();
        if !bars.is_empty() {
            let svg = chart::bars(
                &format!("{} ({})", figure.title(), figure.key()),
                figure.unit(),
                better(figure),
                "the median's confidence interval",
                &bars,
            );
            let file = OutputFile {
                option: "--charts",
                path: dir.join(format!("{}.svg", figure.key())),
            };
            file.write(svg.as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with `figure` at `value`, and the floors it is measured against.
    fn report(figure: Figure, value: f64) -> Report {
        let mut report = Report::without_run("rt", "f", "bench", "");
        report.measurements.insert(figure.key().into(), value);
        report
            .measurements
            .insert(Figure::FloorWake.key().into(), 10.0);
        // 100 µs a round trip: at most 10,000 requests a second.
        report
            .measurements
            .insert(Figure::FloorRtt.key().into(), 100.0);
        report
    }

    #[test]
    fn a_ratio_reads_as_written_whichever_way_is_better() {
        // Lower is better: twice the best's time is 2x best, and 40 times the floor.
        let (fast, slow) = (report(Figure::Spawn, 200.0), report(Figure::Spawn, 400.0));
        let runs = [("fast", &fast), ("slow", &slow)].map(|(label, report)| Run {
            label: label.into(),
            runtime: "rt",
            report,
        });
        let top = best(Figure::Spawn, &runs);
        assert_eq!(cell(Figure::Spawn, &fast, top), "200 (best, 20.0x floor)");
        assert_eq!(
            cell(Figure::Spawn, &slow, top),
            "400 (2.00x best, 40.0x floor)"
        );
        // Higher is better: half the best's rate is 0.50x best, not 2x, and its bound a
        // ceiling: 4,000 of at most 10,000 a second.
        let (fast, slow) = (
            report(Figure::Fetch, 8_000.0),
            report(Figure::Fetch, 4_000.0),
        );
        let runs = [("fast", &fast), ("slow", &slow)].map(|(label, report)| Run {
            label: label.into(),
            runtime: "rt",
            report,
        });
        let top = best(Figure::Fetch, &runs);
        assert_eq!(
            cell(Figure::Fetch, &fast, top),
            "8000 (best, 0.80x ceiling)"
        );
        assert_eq!(
            cell(Figure::Fetch, &slow, top),
            "4000 (0.50x best, 0.40x ceiling)"
        );
    }

    #[test]
    fn the_markdown_table_says_which_way_is_better_and_fits_the_column() {
        let reports: Vec<Report> = [100.0, 200.0].map(|v| report(Figure::Spawn, v)).into();
        let runs: Vec<Run> = reports
            .iter()
            .map(|report| Run {
                label: "tokio (multi-thread, 2 workers)".into(),
                runtime: "tokio",
                report,
            })
            .collect();
        let markdown = table(&runs, true);
        let headers: Vec<&str> = markdown
            .lines()
            .filter(|l| l.starts_with("| configuration |"))
            .collect();
        assert!(
            headers.len() > 1,
            "one table of 11 figures is too wide: {markdown}"
        );
        assert!(
            markdown.contains("spawn_<wbr>ns (ns a task; lower is better)"),
            "{markdown}"
        );
        assert!(
            markdown.contains("fetch_<wbr>rps (requests a second; higher is better)"),
            "{markdown}"
        );
        // Every figure is in one of the tables, once.
        for figure in FIGURES {
            let key = figure.key().replace('_', "_<wbr>");
            let header = format!("| {key} (");
            let in_tables = headers
                .iter()
                .filter(|h| h.contains(&format!(" {key} (")))
                .count();
            assert_eq!(in_tables, 1, "{header}: {markdown}");
        }
    }
}
