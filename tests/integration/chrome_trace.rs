//! `--trace FILE.json`: the run in the Chrome trace event format, as Perfetto and
//! chrome://tracing read it, from the runtime binaries and from the driver.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use async_lab_experiments::report::Report;

use crate::support::Config;

crate::on_every_configuration!(trace_has_a_complete_event_per_poll);

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Reads a trace file: its events, after checking each has the fields its kind needs.
fn events(path: &PathBuf) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the trace was written");
    let trace: Value = serde_json::from_str(&text).expect("the trace is JSON");
    let events = trace["traceEvents"]
        .as_array()
        .expect("a traceEvents array")
        .clone();
    for event in &events {
        for field in ["name", "ph", "pid", "tid"] {
            assert!(event.get(field).is_some(), "no {field} in {event}");
        }
        assert!(event["pid"].is_u64() && event["tid"].is_u64(), "{event}");
        match event["ph"].as_str() {
            Some("X") => {
                let (ts, dur) = (event["ts"].as_f64(), event["dur"].as_f64());
                assert!(ts.is_some() && dur.is_some_and(|d| d >= 0.0), "{event}");
                assert!(
                    event["cat"].is_string() && event["args"]["task"].is_i64(),
                    "{event}"
                );
            }
            Some("M") => assert!(event["args"]["name"].is_string(), "{event}"),
            _ => panic!("an event of an unknown kind: {event}"),
        }
    }
    events
}

/// Each poll of each task is one complete event on the thread that ran it, named after
/// the task; each future's poll too (category `future`); the threads named by metadata
/// events are the report's.
fn trace_has_a_complete_event_per_poll(config: Config) {
    let path = scratch(&format!("trace-{}-{}.json", config.runtime, config.flavor));
    let _ = std::fs::remove_file(&path);
    let run = config.run_scaled(
        0.01,
        &["--json", "--trace", path.to_str().expect("UTF-8"), "join"],
    );
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report: Report = run.report();
    let events = events(&path);

    let named: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["tid"].as_u64().expect("a tid"))
        .collect();
    let listed: BTreeSet<u64> = report.threads.list.iter().map(|t| t.tid).collect();
    assert_eq!(
        named, listed,
        "a thread_name event per thread of the report"
    );

    let mut per_task: BTreeMap<i64, u64> = BTreeMap::new();
    let mut per_future: BTreeMap<String, u64> = BTreeMap::new();
    for event in events.iter().filter(|e| e["ph"] == "X") {
        let tid = event["tid"].as_u64().expect("a tid");
        assert!(
            listed.contains(&tid),
            "a poll on an unlisted thread: {event}"
        );
        let task = event["args"]["task"].as_i64().expect("a task index");
        match event["cat"].as_str() {
            Some("task") => {
                let index = usize::try_from(task).expect("a task's own index");
                assert_eq!(event["name"], report.tasks[index].name.as_str(), "{event}");
                *per_task.entry(task).or_default() += 1;
            }
            Some("future") => {
                let name = event["name"].as_str().expect("a name").to_string();
                *per_future.entry(name).or_default() += 1;
            }
            _ => panic!("an event of neither category: {event}"),
        }
    }
    for (index, task) in report.tasks.iter().enumerate() {
        assert_eq!(
            per_task.get(&(index as i64)).copied().unwrap_or(0),
            task.polls,
            "events of task {}",
            task.name
        );
    }
    let mut future_polls: BTreeMap<String, u64> = BTreeMap::new();
    for future in &report.futures {
        *future_polls.entry(future.name.clone()).or_default() += future.polls;
    }
    assert_eq!(per_future, future_polls, "an event per poll of each future");
    assert!(future_polls.contains_key("join #1"), "{future_polls:?}");
}

/// The driver's `--trace FILE.json`: every configuration in one file, each a process
/// named after it, with as many polls as its report has.
#[test]
fn driver_traces_every_configuration_in_one_file() {
    let path = scratch("driver-trace.json");
    let _ = std::fs::remove_file(&path);
    let output = crate::support::output_within(
        Command::new(env!("CARGO_BIN_EXE_async-lab"))
            .args(["--only", "tokio:current-thread", "--only", "smol:executor"])
            .args(["--json", "--time-scale", "0.01", "--trace"])
            .arg(&path)
            .arg("join"),
        crate::support::LIMIT,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: Vec<Report> = serde_json::from_slice(&output.stdout).expect("the reports");
    let events = events(&path);
    for (i, report) in reports.iter().enumerate() {
        let pid = i as u64 + 1;
        let name = events
            .iter()
            .find(|e| e["ph"] == "M" && e["name"] == "process_name" && e["pid"] == pid)
            .and_then(|e| e["args"]["name"].as_str())
            .unwrap_or_else(|| panic!("no process_name for process {pid}"));
        assert!(
            name.starts_with(&format!("{} ({})", report.runtime, report.flavor)),
            "{name}"
        );
        let polls: u64 = report.tasks.iter().map(|t| t.polls).sum();
        let events = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] == "task" && e["pid"] == pid)
            .count() as u64;
        assert_eq!(events, polls, "{name}: an event per poll");
    }
}
