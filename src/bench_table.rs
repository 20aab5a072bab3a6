//! `bench` side by side: a row per configuration (and per worker count, for pools), each
//! figure with its ratio to the best configuration and to the floor it is built on.

use std::fmt::Write as _;
use std::path::Path;

use async_lab_experiments::experiments::Figure;
use async_lab_experiments::output::OutputFile;
use async_lab_experiments::render::chart::{self, Bar};
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
fn cell(figure: Figure, report: &Report, best: Option<Interval>) -> String {
    let Some(this) = interval(report, figure.key()) else {
        return "-".into();
    };
    // How many times worse than `of` this is, whichever way is better.
    let times = |of: f64| {
        if figure.lower_is_better() {
            this.median / of
        } else {
            of / this.median
        }
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
        ratios.push(format!("{}x floor", chart::number(times(into_unit(floor)))));
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
         apart); and how many times its floor it is (a waker's wake + poll for spawn, yield\n\
         and ping-pong; a loopback TCP round trip, as requests a second, for fetch). A ratio\n\
         says how many times worse, whichever way is better (for fetch_rps, more is better).\n\
         unstable: the interval is wider than half the median, too wide to rank by.\n\
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
        let headers: Vec<String> = FIGURES
            .iter()
            .map(|f| format!("{} ({})", f.key(), f.unit()))
            .collect();
        let _ = writeln!(s, "| configuration | {} |", headers.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(FIGURES.len()));
        for run in runs {
            let cells: Vec<String> = FIGURES
                .iter()
                .zip(&bests)
                .map(|(&f, best)| cell(f, run.report, *best))
                .collect();
            let _ = writeln!(s, "| {} | {} |", run.label, cells.join(" | "));
        }
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

/// Writes one chart per figure into `dir`, as `<key>.svg`.
pub fn write_charts(dir: &Path, runs: &[Run]) -> std::io::Result<()> {
    for figure in FIGURES {
        let bars: Vec<Bar> = runs
            .iter()
            .filter_map(|run| {
                let value = *run.report.measurements.get(figure.key())?;
                let unstable =
                    interval(run.report, figure.key()).is_some_and(|i| i.n > 1 && i.is_unstable());
                Some(Bar {
                    label: if unstable {
                        format!("{} (unstable)", run.label)
                    } else {
                        run.label.clone()
                    },
                    group: run.runtime.to_string(),
                    value,
                    spread: run.report.spread.get(figure.key()).copied(),
                })
            })
            .collect();
        if !bars.is_empty() {
            let svg = chart::bars(
                &format!("{} ({})", figure.title(), figure.key()),
                figure.unit(),
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
