//! The `--json` report: its keys, and the threads it names, on every configuration.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use async_lab::registry::{Http, PollsOn};
use async_lab_experiments::census::Role;
use async_lab_experiments::report::Report;

use crate::support::{Config, site};

crate::on_every_configuration!(
    json_report_names_the_threads_that_polled_each_task,
    json_report_times_every_poll,
    embedded_site_in_the_process_is_never_counted,
    a_short_run_keeps_every_thread_and_every_poll,
);

/// The keys ARCHITECTURE.md documents for `--json`, at each level of the report. The data
/// model defaults some of them when absent, so only the raw JSON can show they are there.
const REPORT_KEYS: [&str; 15] = [
    "runtime",
    "flavor",
    "experiment",
    "lines",
    "ok",
    "errors",
    "wall_ms",
    "threads",
    "tasks",
    "futures",
    "notes",
    "unsupported",
    "remarks",
    "parts",
    "measurements",
];
const THREADS_KEYS: [&str; 7] = [
    "census_available",
    "peak",
    "at_start",
    "at_built",
    "at_peak",
    "at_end",
    "list",
];
const THREAD_KEYS: [&str; 9] = [
    "tid",
    "name",
    "role",
    "first_seen_ms",
    "last_seen_ms",
    "polls",
    "tasks_polled",
    "busy_ms",
    "busy_share",
];
const TASK_KEYS: [&str; 7] = [
    "name",
    "polls",
    "threads",
    "migrations",
    "busy_ms",
    "first_poll_delay_ms",
    "spans",
];
const SPAN_KEYS: [&str; 3] = ["tid", "start_us", "end_us"];

/// How the JSON spells each role.
const ROLE_KEYS: [(&str, Role); 9] = [
    ("main", Role::Main),
    ("worker", Role::Worker),
    ("reactor", Role::Reactor),
    ("timer", Role::Timer),
    ("blocking-pool", Role::BlockingPool),
    ("compat-bridge", Role::CompatBridge),
    ("io-uring-worker", Role::IoUringWorker),
    ("idle", Role::Idle),
    ("other", Role::Other),
];

fn assert_has_keys(value: &Value, keys: &[&str], what: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {value}"));
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|key| !object.contains_key(*key))
        .collect();
    assert!(
        missing.is_empty(),
        "{what} lacks the documented keys {missing:?}: {value}"
    );
}

/// The wire format: `json` has every key ARCHITECTURE.md documents, on the report, its
/// `threads`, every thread, every task and every poll, and spells every role as
/// documented. `report` is the same stdout read through the data model.
fn assert_documented_keys(json: &Value, report: &Report) {
    assert_has_keys(json, &REPORT_KEYS, "the report");
    assert_has_keys(&json["threads"], &THREADS_KEYS, "threads");
    let list = json["threads"]["list"]
        .as_array()
        .expect("threads.list is an array");
    assert_eq!(list.len(), report.threads.list.len());
    for (raw, thread) in list.iter().zip(&report.threads.list) {
        assert_has_keys(raw, &THREAD_KEYS, "a thread");
        let role = raw["role"].as_str().expect("a role is a string");
        let documented = ROLE_KEYS
            .iter()
            .find(|(key, _)| *key == role)
            .map(|(_, role)| *role);
        assert_eq!(
            documented,
            Some(thread.role),
            "thread {} has the role '{role}'",
            thread.tid
        );
    }
    let tasks = json["tasks"].as_array().expect("tasks is an array");
    assert_eq!(tasks.len(), report.tasks.len());
    for task in tasks {
        assert_has_keys(task, &TASK_KEYS, "a task");
        for span in task["spans"].as_array().expect("spans is an array") {
            assert_has_keys(span, &SPAN_KEYS, "a span");
        }
    }
}

fn tids(tids: &[u64]) -> BTreeSet<u64> {
    tids.iter().copied().collect()
}

fn json_report_names_the_threads_that_polled_each_task(config: Config) {
    let run = config.run(&["--json", "page-title", "/plain", "/gbk", "/entities"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    assert_documented_keys(&run.report_json(), &report);
    assert_eq!(report.runtime, config.runtime);
    assert_eq!(report.flavor, config.flavor);
    assert_eq!(report.experiment, "page-title");
    assert!(report.ok, "errors: {:?}", report.errors);
    assert_eq!(report.errors.len(), 0, "{:?}", report.errors);
    assert!(report.wall_ms > 0.0, "wall_ms {}", report.wall_ms);
    let first_line = format!(
        "The title for {} was Hello from the embedded site",
        site().url("/plain")
    );
    assert_eq!(
        report.lines.first(),
        Some(&first_line),
        "{:?}",
        report.lines
    );

    let list = &report.threads.list;
    let known: BTreeSet<u64> = list.iter().map(|t| t.tid).collect();
    let role_of = |tid: u64| list.iter().find(|t| t.tid == tid).map(|t| t.role);
    assert!(
        list.iter().any(|t| t.role == Role::Main),
        "no main thread in {list:?}"
    );
    assert!(
        list.iter()
            .all(|t| t.name != "lab-site" && t.name != "lab-census"),
        "the lab's own threads are counted: {list:?}"
    );
    let peak = report.threads.peak;
    assert!(
        (1..=list.len()).contains(&peak),
        "peak {peak} for {} threads",
        list.len()
    );

    let fetches: Vec<_> = report
        .tasks
        .iter()
        .filter(|t| t.name.starts_with("page-title "))
        .collect();
    assert_eq!(fetches.len(), 3, "one task per URL: {:?}", report.tasks);
    let main_tid = list.iter().find(|t| t.role == Role::Main).map(|t| t.tid);
    let mut fetch_threads = BTreeSet::new();
    for task in &fetches {
        let threads = tids(&task.threads);
        assert!(task.polls >= 1, "{task:?}");
        assert!(
            !threads.is_empty() && threads.is_subset(&known),
            "task threads {threads:?} not all in the census {known:?}"
        );
        for tid in &threads {
            assert!(
                matches!(role_of(*tid), Some(Role::Main | Role::Worker)),
                "task polled by a {:?} thread",
                role_of(*tid)
            );
        }
        fetch_threads.extend(threads);
    }

    // Known truths about where tasks run.
    if config.is_current_thread() {
        assert_eq!(
            fetch_threads.iter().copied().collect::<Vec<_>>(),
            main_tid.into_iter().collect::<Vec<_>>(),
            "a current-thread executor polls every task on main"
        );
    } else {
        assert!(
            !fetch_threads.contains(&main_tid.expect("main")),
            "spawned tasks run on workers, not on main"
        );
    }
    if config.capabilities().polls_on == PollsOn::ThreadPerTask {
        assert_eq!(
            fetch_threads.len(),
            fetches.len(),
            "thread-per-task: each task has a thread of its own"
        );
        for tid in &fetch_threads {
            let thread = list.iter().find(|t| t.tid == *tid).expect("listed");
            assert_eq!(
                thread.tasks_polled, 1,
                "thread-per-task: a task's thread polls no other task: {thread:?}"
            );
        }
    }
    let bridges = list.iter().filter(|t| t.role == Role::CompatBridge).count();
    if config.capabilities().http == Http::OwnReactor {
        assert_eq!(bridges, 0, "tokio needs no compat bridge: {list:?}");
    } else {
        assert_eq!(
            bridges, 1,
            "reqwest off tokio runs through async-compat's one thread: {list:?}"
        );
        // The bridge starts lazily, at the first request: the census still catches it.
        let bridge = list
            .iter()
            .find(|t| t.role == Role::CompatBridge)
            .map(|t| t.tid)
            .expect("bridge tid");
        assert!(
            !report.threads.at_start.contains(&bridge),
            "the compat bridge is not there before the run"
        );
    }
}

/// Every poll is in the report, with its thread and its time, and the per-task and
/// per-thread numbers agree with the polls.
fn json_report_times_every_poll(config: Config) {
    let run = config.run(&["--json", "page-title", "/plain", "/slow/100", "/entities"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    assert_documented_keys(&run.report_json(), &report);
    let wall_ms = report.wall_ms;
    let list = &report.threads.list;
    let main_tid = list
        .iter()
        .find(|t| t.role == Role::Main)
        .map(|t| t.tid)
        .expect("a main thread");
    assert!(report.threads.at_start.contains(&main_tid));
    assert!(report.threads.at_end.contains(&main_tid));
    let peak = tids(&report.threads.at_peak);
    assert_eq!(peak.len(), report.threads.peak);

    let mut polls_by_thread: BTreeMap<u64, u64> = BTreeMap::new();
    let mut all_threads = BTreeSet::new();
    for task in &report.tasks {
        let spans = &task.spans;
        assert_eq!(spans.len() as u64, task.polls, "{task:?}");
        assert!(!spans.is_empty(), "every task here is polled: {task:?}");
        let mut busy_us = 0.0;
        let mut previous_end = f64::MIN;
        for span in spans {
            let (start, end) = (span.start_us, span.end_us);
            assert!(
                start >= 0.0 && end >= start,
                "a poll from {start} to {end} µs"
            );
            assert!(
                start >= previous_end,
                "one task's polls never overlap: {task:?}"
            );
            previous_end = end;
            busy_us += end - start;
            *polls_by_thread.entry(span.tid).or_default() += 1;
            all_threads.insert(span.tid);
        }
        let span_tids: BTreeSet<u64> = spans.iter().map(|s| s.tid).collect();
        assert_eq!(span_tids, tids(&task.threads), "{task:?}");
        let busy_ms = task.busy_ms;
        assert!((busy_ms - busy_us / 1e3).abs() < 0.01, "{task:?}");
        assert!(
            busy_ms <= wall_ms + 1.0,
            "busy {busy_ms} ms in a {wall_ms} ms run"
        );
        let delay = task.first_poll_delay_ms.expect("polled, so a delay");
        assert!((0.0..=wall_ms + 1.0).contains(&delay), "{task:?}");
    }
    for thread in list {
        assert_eq!(
            thread.polls,
            polls_by_thread.get(&thread.tid).copied().unwrap_or(0),
            "{thread:?}"
        );
        assert!((0.0..=1.05).contains(&thread.busy_share), "{thread:?}");
    }
    // Known truth: a current-thread executor polls every task, main too, on one thread.
    if config.is_current_thread() {
        assert_eq!(all_threads, BTreeSet::from([main_tid]));
    }
}

/// Without `--site` the embedded site runs inside the measured process, on threads of
/// its own that the census leaves out.
fn embedded_site_in_the_process_is_never_counted(config: Config) {
    let run = config.run_standalone(&["--json", "page-title", "/plain"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    let list = &report.threads.list;
    assert!(
        list.iter()
            .all(|t| t.name != "lab-site" && t.name != "lab-census"),
        "the lab's own threads are counted: {list:?}"
    );
    let peak = report.threads.peak;
    assert!(peak <= list.len(), "peak {peak}, {} threads", list.len());
}

/// A run of a few milliseconds (`blocking` at a small time scale): the census, read when
/// the runtime is built and when the main future starts and ends, not only every
/// millisecond, names every thread that polled and sees the runtime's threads before the
/// run; and the ticker task, stopped by the experiment at the end and never polled
/// again on a one-thread executor, still shows the polls it ran.
fn a_short_run_keeps_every_thread_and_every_poll(config: Config) {
    let run = config.run_scaled(0.01, &["--json", "blocking"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    let list = &report.threads.list;
    let main_tid = list
        .iter()
        .find(|t| t.role == Role::Main)
        .map(|t| t.tid)
        .expect("a main thread");
    let built = tids(&report.threads.at_built);
    assert!(built.contains(&main_tid), "at_built {built:?}");
    for tid in &built {
        let thread = list.iter().find(|t| t.tid == *tid).expect("listed");
        let first = thread.first_seen_ms.expect("seen");
        assert!(
            first <= 0.0,
            "alive once the runtime was built, so seen before the run: {thread:?}"
        );
    }
    for task in &report.tasks {
        for span in &task.spans {
            let thread = list
                .iter()
                .find(|t| t.tid == span.tid)
                .unwrap_or_else(|| panic!("thread {} of {task:?} not listed", span.tid));
            assert_ne!(thread.name, "(ended)", "seen by its name: {thread:?}");
            let (first, last) = (thread.first_seen_ms, thread.last_seen_ms);
            // A nanosecond's slack: JSON numbers are read back to the nearest float or so.
            assert!(
                first.is_some_and(|f| f <= span.start_us / 1e3 + 1e-6)
                    && last.is_some_and(|l| l >= span.end_us / 1e3 - 1e-6),
                "thread seen alive while it polled: {thread:?}, {span:?}"
            );
        }
    }
    let ticker = report
        .tasks
        .iter()
        .find(|t| t.name == "ticker")
        .expect("a ticker task");
    assert!(
        ticker.polls >= 1 && ticker.spans.len() as u64 == ticker.polls,
        "the ticker ran (it waits on its first tick), so its polls are kept: {ticker:?}"
    );
}
