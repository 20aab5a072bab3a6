//! `bench`'s system calls per operation (`yield_syscalls`, `sleep_syscalls`,
//! `echo_syscalls` and their floors), counted by strace: each configuration's binary runs
//! `syscall-probe OP N` (`async_lab_experiments::syscalls`: the operation N times after a
//! warm-up, and nothing else) under `strace -f -c`, which counts the calls of every thread
//! of the process; then again with no operation. The difference over N is the figure: what
//! starting and ending the process and its runtime costs is in both runs and cancels. The
//! floors are the blocking std calls, counted the same way in a process with no runtime.
//!
//! Where strace is missing or may not trace (a container without `CAP_SYS_PTRACE`), the
//! figures are left out with one line saying why, and the rest of `bench` stands.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_lab_experiments::escape;
use async_lab_experiments::experiments::{Bench, Figure};
use async_lab_experiments::stdio;
use async_lab_experiments::syscalls::Op;

use crate::table::Row;

/// How long one probe under strace may take before it is stopped.
const DEADLINE: Duration = Duration::from_secs(120);

/// How many system calls, by name, a process made in all its threads.
type Calls = BTreeMap<String, u64>;

/// An operation's system calls: their number per operation, and the names that make it up.
#[derive(Debug, Clone, PartialEq)]
pub struct PerOp {
    /// All of them, per operation, to a tenth.
    pub calls: f64,
    /// The names of the most frequent, with their number per operation, most first.
    pub top: Vec<(String, f64)>,
}

/// Counts the system calls of `bench`'s operations on each row that ran a configuration
/// with its default workers, and their floors once, and adds them to the rows' reports
/// (the figures as measurements, what makes them up as remarks). Returns what the table
/// must say of the figures it lacks, a line each.
pub fn count_into(exe: &Path, bench: &Bench, rows: &mut [Row]) -> Vec<String> {
    let floors = [
        Figure::FloorYieldSyscalls,
        Figure::FloorSleepSyscalls,
        Figure::FloorEchoSyscalls,
    ];
    // Any runtime's binary does the floors: they build no runtime.
    let Some(any) = rows.first().map(|r| (r.runtime, r.flavor)) else {
        return Vec::new();
    };
    stdio::eprintln("[syscalls] counting the floors under strace -f");
    let mut floor_values = Vec::new();
    for figure in floors {
        match measure(exe, any, figure, bench) {
            Ok(per_op) => floor_values.push((figure, per_op)),
            // Without the floors, nothing else can be counted either (no strace, or no
            // ptrace): one line for the whole run, and in each report.
            Err(why) => {
                let line = format!("system calls per operation: not counted: {why}");
                for row in rows.iter_mut().filter(|r| r.workers.is_none()) {
                    row.report.remarks.push(line.clone());
                }
                return vec![line];
            }
        }
    }
    let mut missing = Vec::new();
    for row in rows.iter_mut() {
        if row.workers.is_some() || row.crashed.is_some() {
            continue;
        }
        stdio::eprintln(format_args!("[syscalls] {} under strace -f", row.name()));
        let configuration = (row.runtime, row.flavor);
        for figure in [
            Figure::YieldSyscalls,
            Figure::SleepSyscalls,
            Figure::EchoSyscalls,
        ] {
            match measure(exe, configuration, figure, bench) {
                Ok(per_op) => record(row, figure, &per_op, bench),
                Err(why) => {
                    let line = format!("{}: not counted: {why}", figure.key());
                    missing.push(format!("{}: {line}", row.name()));
                    row.report.remarks.push(line);
                }
            }
        }
        for (figure, per_op) in &floor_values {
            record(row, *figure, per_op, bench);
        }
    }
    missing
}

/// Adds `figure`'s count to `row`'s report: the figure, and a remark with what makes it up.
fn record(row: &mut Row, figure: Figure, per_op: &PerOp, bench: &Bench) {
    row.report
        .measurements
        .insert(figure.key().to_string(), per_op.calls);
    let top: Vec<String> = per_op
        .top
        .iter()
        .map(|(name, calls)| format!("{name} {calls:.1}"))
        .collect();
    let n = figure.syscall_op().map_or(0, |op| bench.syscall_ops(op));
    row.report.remarks.push(format!(
        "{}: {:.1} {} (strace -f, all threads; {n} operations less none, over {n}): {}",
        figure.key(),
        per_op.calls,
        figure.unit(),
        if top.is_empty() {
            "none".to_string()
        } else {
            top.join(", ")
        }
    ));
}

/// `figure`'s operation counted on `configuration`: the calls of N operations less those
/// of none, over N.
fn measure(
    exe: &Path,
    configuration: (&str, &str),
    figure: Figure,
    bench: &Bench,
) -> Result<PerOp, String> {
    let op = figure
        .syscall_op()
        .ok_or_else(|| format!("{} counts no system calls", figure.key()))?;
    let n = bench.syscall_ops(op);
    let with = count(exe, configuration, op, n)?;
    let without = count(exe, configuration, op, 0)?;
    Ok(per_op(&with, &without, n))
}

/// The calls of `with` (N operations) less those of `without` (none), over N: all of them
/// and the six names that make up most, each to a tenth (a name whose difference is below
/// a twentieth of a call an operation is the noise of two runs, and left out).
pub fn per_op(with: &Calls, without: &Calls, n: u64) -> PerOp {
    let n = n.max(1) as f64;
    // Noise that makes the run with operations the cheaper one is no negative count (nor
    // -0.0).
    let tenth = |x: f64| {
        let rounded = (x * 10.0).round() / 10.0;
        if rounded > 0.0 { rounded } else { 0.0 }
    };
    let total = |calls: &Calls| calls.values().sum::<u64>() as f64;
    let mut top: Vec<(String, f64)> = with
        .iter()
        .map(|(name, &calls)| {
            let before = without.get(name).copied().unwrap_or(0);
            (name.clone(), (calls as f64 - before as f64) / n)
        })
        .filter(|(_, per_op)| *per_op >= 0.05)
        .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(6);
    PerOp {
        calls: tenth((total(with) - total(without)) / n),
        top: top
            .into_iter()
            .map(|(name, per_op)| (name, tenth(per_op)))
            .collect(),
    }
}

/// Runs `syscall-probe OP N` of `configuration` under `strace -f -c` and reads the count.
fn count(exe: &Path, (runtime, flavor): (&str, &str), op: Op, n: u64) -> Result<Calls, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let stem = format!(
        "async-lab-syscalls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir();
    let (summary, errors) = (
        dir.join(format!("{stem}.strace")),
        dir.join(format!("{stem}.stderr")),
    );
    let result = count_to(exe, runtime, flavor, op, n, &summary, &errors);
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&errors);
    result
}

fn count_to(
    exe: &Path,
    runtime: &str,
    flavor: &str,
    op: Op,
    n: u64,
    summary: &PathBuf,
    errors: &PathBuf,
) -> Result<Calls, String> {
    let stderr =
        File::create(errors).map_err(|e| format!("cannot create {}: {e}", errors.display()))?;
    let mut child = Command::new("strace")
        .args(["-f", "-qq", "-c", "-o"])
        .arg(summary)
        .arg("--")
        .arg(exe)
        .args(["--child", runtime, "--flavor", flavor, "syscall-probe"])
        .args([op.name(), &n.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "strace is not installed (on Debian: apt-get install strace)".to_string()
            }
            _ => format!("cannot start strace: {e}"),
        })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} {n} took over {} s under strace; stopped",
                    op.name(),
                    DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for strace: {e}")),
        }
    };
    if !status.success() {
        // strace's own complaint (no ptrace), or the probe's one line.
        let said = std::fs::read_to_string(errors).unwrap_or_default();
        let line = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "{} under strace ended with {status}{}{}",
            op.name(),
            if line.is_empty() { "" } else { ": " },
            escape::inline(line)
        ));
    }
    let text =
        std::fs::read_to_string(summary).map_err(|e| format!("strace left no count: {e}"))?;
    parse(&text).ok_or_else(|| "strace's count has no line this program can read".to_string())
}

/// The calls by name in `strace -c`'s table: `% time  seconds  usecs/call  calls  errors
/// syscall`, where `errors` may be empty; the rules and the `total` line are skipped.
/// `None` for a table with no row.
pub fn parse(text: &str) -> Option<Calls> {
    let mut calls = Calls::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(count)) = (words.last(), words.get(3)) else {
            continue;
        };
        if *name == "total" || !(5..=6).contains(&words.len()) {
            continue;
        }
        if let Ok(count) = count.parse::<u64>() {
            *calls.entry((*name).to_string()).or_default() += count;
        }
    }
    (!calls.is_empty()).then_some(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 57.43    0.000058          29      2010           epoll_wait
 25.74    0.000026           0      1061        16 read
  0.00    0.000000           0        11           write
------ ----------- ----------- --------- --------- ----------------
100.00    0.000101           0      3082        16 total
";

    #[test]
    fn strace_s_table_reads_as_calls_by_name() {
        let calls = parse(TABLE).expect("rows");
        assert_eq!(calls.len(), 3);
        assert_eq!(calls["epoll_wait"], 2010);
        assert_eq!(calls["read"], 1061, "the errors column is not the count");
        assert_eq!(calls["write"], 11);
        assert_eq!(
            parse("strace: ptrace(PTRACE_TRACEME): Operation not permitted"),
            None
        );
    }

    #[test]
    fn the_start_cancels_and_what_is_left_is_per_operation() {
        let with = parse(TABLE).expect("rows");
        let without: Calls = [
            ("epoll_wait", 10),
            ("read", 61),
            ("write", 11),
            ("futex", 3),
        ]
        .into_iter()
        .map(|(name, calls)| (name.to_string(), calls))
        .collect();
        let per_op = per_op(&with, &without, 1_000);
        assert_eq!(per_op.calls, 3.0);
        assert_eq!(
            per_op.top,
            [("epoll_wait".to_string(), 2.0), ("read".to_string(), 1.0)]
        );
        // Noise that makes the run with operations the cheaper one is no negative count.
        assert_eq!(super::per_op(&without, &with, 1_000).calls, 0.0);
    }
}
