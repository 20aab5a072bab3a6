//! `bench`'s interleaved rounds, pooled: the driver runs every configuration's rounds
//! round-robin (round 1 of each, then round 2, ...), each in a fresh process, so that a
//! burst of load on the machine falls on all of them alike; this puts each
//! configuration's rounds back together as one report, each figure the median of its
//! rounds with the median's confidence interval (`async_lab_shared::stats`).

use async_lab_shared::report::Report;
use async_lab_shared::stats::Interval;

use crate::table::Row;

/// One configuration's rows, a row a round, as one row: the figures pooled over the rounds
/// that left a report, and a crashed round's reason among the errors. `None` for no rows.
pub fn pool(mut rows: Vec<Row>) -> Option<Row> {
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
        .filter_map(|(i, row)| Some(format!("round {}: {}", i + 1, row.crashed.as_ref()?)))
        .collect();
    let first = rows.swap_remove(0);
    let Some(mut pooled) = pooled(&reports) else {
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
/// median, its interval, and a line each; `None` for no report.
pub fn pooled(reports: &[Report]) -> Option<Report> {
    let mut pooled = reports.first()?.clone();
    pooled.ok = reports.iter().all(|r| r.ok);
    pooled.errors = reports.iter().flat_map(|r| r.errors.clone()).collect();
    pooled.lines.clear();
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
        pooled.measurements.insert(key.clone(), interval.median);
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
    async_lab_shared::render::chart::number(x)
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
        let pooled = pooled(&rounds).expect("reports");
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
}
