//! Interleaved rounds, pooled: the driver runs every configuration's rounds round-robin
//! (round 1 of each, then round 2, ...), each in a fresh process, so that a burst of load
//! on the machine falls on all of them alike; this puts each configuration's rounds back
//! together as one report, each figure the median of its rounds with its [`Spread`]:
//! `bench`'s rounds (`bench --rounds`) with the median's confidence interval
//! (`async_lab_experiments::stats`), any other experiment's runs (`--runs`) with their range.

use async_lab_experiments::report::Report;
use async_lab_experiments::stats::Interval;

use crate::table::Row;

/// What a pooled figure's `spread` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// `bench`: the median's confidence interval, a line per figure in place of the
    /// rounds' lines, and the figures whose rounds spread too far named as unstable.
    Interval,
    /// Any other experiment's runs: the least and the most of the runs; the first run's
    /// lines, parts and threads stay the row's (its timeline is the one drawn).
    Range,
}

/// One configuration's rows, a row a round, as one row: the figures pooled over the rounds
/// that left a report, and a crashed round's reason among the errors. `None` for no rows.
pub fn pool(mut rows: Vec<Row>, spread: Spread) -> Option<Row> {
    if rows.len() < 2 {
        return rows.pop();
    }
    let reports: Vec<Report> = rows
        .iter()
        .filter(|row| row.crashed.is_none())
        .map(|row| row.report.clone())
        .collect();
    let crashes: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let what = match spread {
                Spread::Interval => "round",
                Spread::Range => "run",
            };
            Some(format!("{what} {}: {}", i + 1, row.crashed.as_ref()?))
        })
        .collect();
    let first = rows.swap_remove(0);
    let Some(mut pooled) = pooled(&reports, spread) else {
        return Some(first);
    };
    pooled.ok &= crashes.is_empty();
    pooled.errors.extend(crashes);
    Some(Row {
        report: pooled,
        crashed: None,
        ..first
    })
}

/// The reports of one configuration's rounds as one: every figure's values pooled, its
/// median and its spread (with `bench`'s, a line each); `None` for no report.
pub fn pooled(reports: &[Report], spread: Spread) -> Option<Report> {
    let mut pooled = reports.first()?.clone();
    pooled.ok = reports.iter().all(|r| r.ok);
    pooled.errors.clear();
    for error in reports.iter().flat_map(|r| &r.errors) {
        if !pooled.errors.contains(error) {
            pooled.errors.push(error.clone());
        }
    }
    if spread == Spread::Interval {
        pooled.lines.clear();
    }
    let keys: Vec<String> = pooled.measurements.keys().cloned().collect();
    let mut unstable = Vec::new();
    for key in keys {
        let values: Vec<f64> = reports
            .iter()
            .flat_map(|r| match r.samples.get(&key) {
                Some(samples) => samples.clone(),
                None => r.measurements.get(&key).copied().into_iter().collect(),
            })
            .collect();
        let Some(interval) = Interval::of(&values) else {
            continue;
        };
        pooled.measurements.insert(key.clone(), interval.median);
        if spread == Spread::Range {
            let least = values.iter().copied().fold(f64::INFINITY, f64::min);
            let most = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            pooled.spread.insert(key.clone(), [least, most]);
            pooled.samples.insert(key, values);
            continue;
        }
        if interval.is_unstable() {
            unstable.push(key.clone());
        }
        pooled.lines.push(format!(
            "{key}: {} [{} to {}] over {} rounds",
            number(interval.median),
            number(interval.low),
            number(interval.high),
            interval.n
        ));
        pooled
            .spread
            .insert(key.clone(), [interval.low, interval.high]);
        pooled.samples.insert(key, values);
    }
    if !unstable.is_empty() {
        pooled.remarks.push(format!(
            "unstable (the rounds spread over more than half the median, so these rank nothing): {}",
            unstable.join(", ")
        ));
    }
    Some(pooled)
}

/// A figure as the table prints it.
fn number(x: f64) -> String {
    async_lab_experiments::render::chart::number(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(spawn: &[f64], bytes: f64) -> Report {
        let mut report = Report::without_run("smol", "local", "bench", "");
        report.ok = true;
        report.errors.clear();
        report.measurements.insert("spawn_ns".into(), spawn[0]);
        report.samples.insert("spawn_ns".into(), spawn.to_vec());
        // A figure measured once a round has no samples of its own.
        report.measurements.insert("task_bytes".into(), bytes);
        report
    }

    #[test]
    fn rounds_pool_into_medians_and_intervals() {
        let rounds: Vec<Report> = [100.0, 104.0, 98.0, 101.0, 99.0, 140.0]
            .iter()
            .zip([500.0, 510.0, 490.0, 505.0, 495.0, 900.0])
            .map(|(&spawn, bytes)| report(&[spawn], bytes))
            .collect();
        let pooled = pooled(&rounds, Spread::Interval).expect("reports");
        assert_eq!(pooled.measurements["spawn_ns"], 100.5);
        assert_eq!(pooled.spread["spawn_ns"], [98.0, 140.0]);
        assert_eq!(pooled.samples["spawn_ns"].len(), 6);
        assert_eq!(pooled.measurements["task_bytes"], 502.5);
        assert_eq!(
            pooled.lines,
            [
                "spawn_ns: 100 [98.0 to 140] over 6 rounds",
                "task_bytes: 502 [490 to 900] over 6 rounds"
            ]
        );
        assert_eq!(
            pooled.remarks.last().map(String::as_str),
            Some(
                "unstable (the rounds spread over more than half the median, so these rank nothing): task_bytes"
            )
        );
    }

    #[test]
    fn runs_pool_into_medians_and_ranges_and_keep_the_first_run_s_lines() {
        let runs: Vec<Report> = [[30.0, 10.0], [20.0, 12.0], [50.0, 11.0]]
            .iter()
            .enumerate()
            .map(|(i, &[late, frames])| {
                let mut report = Report::without_run("smol", "local", "export", "");
                report.ok = true;
                report.errors = vec!["a page failed".into()];
                report.lines = vec![format!("run {i}")];
                report.measurements.insert("late_ms".into(), late);
                report.measurements.insert("frames_ms".into(), frames);
                report
            })
            .collect();
        let pooled = pooled(&runs, Spread::Range).expect("reports");
        assert_eq!(pooled.measurements["late_ms"], 30.0);
        assert_eq!(pooled.spread["late_ms"], [20.0, 50.0]);
        assert_eq!(pooled.samples["late_ms"], [30.0, 20.0, 50.0]);
        assert_eq!(pooled.measurements["frames_ms"], 11.0);
        assert_eq!(pooled.spread["frames_ms"], [10.0, 12.0]);
        assert_eq!(pooled.lines, ["run 0"]);
        assert_eq!(pooled.errors, ["a page failed"]);
        assert!(pooled.remarks.is_empty(), "{:?}", pooled.remarks);
    }
}
