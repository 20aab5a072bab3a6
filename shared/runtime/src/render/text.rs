//! The thread report as people read it, on stderr after the experiment's own lines.

use std::fmt::Write as _;

use super::{TEXT_ROWS, more_rows, shorten, timeline};
use crate::report::Report;

/// The report as people read it, set apart from the experiment's lines: the threads,
/// the tasks, then the timeline.
pub fn report(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "── thread report: {} ({}), {} ──",
        report.runtime, report.flavor, report.experiment
    );
    if !report.threads.census_available {
        let _ = writeln!(
            s,
            "{:.1} ms wall; this OS does not list a process's threads, so there is no census",
            report.wall_ms
        );
    } else {
        let _ = writeln!(
            s,
            "{:.1} ms wall, {} OS threads seen, at most {} at once (the embedded site's and the census's own threads are left out)",
            report.wall_ms,
            report.threads.list.len(),
            report.threads.peak
        );
        let _ = writeln!(
            s,
            "alive at the start: {}; at the peak: {}; at the end: {}",
            thread_names(report, &report.threads.at_start),
            thread_names(report, &report.threads.at_peak),
            thread_names(report, &report.threads.at_end),
        );
    }
    let _ = writeln!(
        s,
        "threads (tid, name, role, tasks polled, polls, busy share, seen from..to ms):"
    );
    for t in report.threads.list.iter().take(TEXT_ROWS) {
        let seen = match (t.first_seen_ms, t.last_seen_ms) {
            (Some(first), Some(last)) => format!("{}..{}", tenths(first), tenths(last)),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "  {:>7}  {:<16} {:<29} {:>3} task(s) {:>6} polls {:>5.1}%  {seen}",
            t.tid,
            t.name,
            t.role.label(),
            t.tasks_polled,
            t.polls,
            t.busy_share * 100.0,
        );
    }
    more_rows(&mut s, report.threads.list.len(), "threads");
    let _ = writeln!(
        s,
        "tasks (polls, busy ms, spawn to first poll ms, then the threads that polled them):"
    );
    for task in report.tasks.iter().take(TEXT_ROWS) {
        let threads: Vec<String> = task
            .threads
            .iter()
            .map(|tid| format!("{} [{tid}]", report.thread_name(*tid)))
            .collect();
        let moved = if task.migrations > 0 {
            format!(", moved {} time(s)", task.migrations)
        } else {
            String::new()
        };
        let delay = task
            .first_poll_delay_ms
            .map_or("-".to_string(), |ms| format!("{ms:.2}"));
        let _ = writeln!(
            s,
            "  {:<44} {:>5} {:>8.2} {:>7} on {}{moved}",
            shorten(&task.name, 44),
            task.polls,
            task.busy_ms,
            delay,
            threads.join(", ")
        );
    }
    more_rows(&mut s, report.tasks.len(), "tasks");
    s.push_str(&timeline::text(report, timeline::TEXT_COLUMNS));
    // Every failure reaches the text output: those the experiment did not print as one
    // of its lines are listed here.
    for error in report.errors.iter().filter(|e| !report.lines.contains(e)) {
        let _ = writeln!(s, "error: {error}");
    }
    for part in &report.unsupported {
        let _ = writeln!(s, "not on this runtime: {part}");
    }
    for note in &report.notes {
        let _ = writeln!(s, "note: {note}");
    }
    s
}

/// `tids` as a short list of names: `main, 2 worker, async-io`.
fn thread_names(report: &Report, tids: &[u64]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for tid in tids {
        let name = report.thread_name(*tid);
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    let names: Vec<String> = counts
        .iter()
        .map(|(name, n)| {
            if *n > 1 {
                format!("{n}× {name}")
            } else {
                (*name).to_string()
            }
        })
        .collect();
    let shown = names.len().min(12);
    let more = if names.len() > shown {
        format!(", and {} more", names.len() - shown)
    } else {
        String::new()
    };
    format!("{} ({}{more})", tids.len(), names[..shown].join(", "))
}

/// `ms` to a tenth, without the `-0.0` of a thread seen a few µs before the run started.
fn tenths(ms: f64) -> String {
    let rounded = (ms * 10.0).round() / 10.0;
    // -0.0 == 0.0: both print as 0.0.
    format!("{:.1}", if rounded == 0.0 { 0.0 } else { rounded })
}

#[cfg(test)]
mod tests {
    use super::tenths;

    #[test]
    fn a_moment_before_the_start_is_not_minus_zero() {
        assert_eq!(tenths(-0.04), "0.0");
        assert_eq!(tenths(-0.5), "-0.5");
        assert_eq!(tenths(20.44), "20.4");
    }
}
