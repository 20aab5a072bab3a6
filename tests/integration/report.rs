//! The `--json` report: its keys, and the threads it names, on every configuration.

use std::collections::BTreeSet;

use serde_json::Value;

use async_lab::registry::{Http, PollsOn};

use crate::support::{Config, site};

crate::on_every_configuration!(
    json_report_names_the_threads_that_polled_each_task,
    json_report_times_every_poll,
    embedded_site_in_the_process_is_never_counted,
);

fn tids(value: &Value) -> BTreeSet<u64> {
    value
        .as_array()
        .expect("an array of thread ids")
        .iter()
        .map(|t| t.as_u64().expect("a tid"))
        .collect()
}

fn json_report_names_the_threads_that_polled_each_task(config: Config) {
    let run = config.run(&["--json", "page-title", "/plain", "/gbk", "/entities"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    assert_eq!(report["runtime"], config.runtime);
    assert_eq!(report["flavor"], config.flavor);
    assert_eq!(report["experiment"], "page-title");
    assert_eq!(report["ok"], true);
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0));
    assert!(report["wall_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    assert_eq!(
        report["lines"][0],
        format!(
            "The title for {} was Hello from the embedded site",
            site().url("/plain")
        )
    );

    let list = report["threads"]["list"].as_array().expect("threads.list");
    let known: BTreeSet<u64> = list
        .iter()
        .map(|t| t["tid"].as_u64().expect("tid"))
        .collect();
    let role_of = |tid: u64| {
        list.iter()
            .find(|t| t["tid"] == tid)
            .map(|t| t["role"].as_str().unwrap_or(""))
    };
    assert!(
        list.iter().any(|t| t["role"] == "main"),
        "no main thread in {list:?}"
    );
    assert!(
        list.iter()
            .all(|t| t["name"] != "lab-site" && t["name"] != "lab-census"),
        "the lab's own threads are counted: {list:?}"
    );
    let peak = report["threads"]["peak"].as_u64().expect("peak");
    assert!(
        peak >= 1 && peak as usize <= list.len(),
        "peak {peak} for {} threads",
        list.len()
    );

    let tasks = report["tasks"].as_array().expect("tasks");
    let fetches: Vec<&Value> = tasks
        .iter()
        .filter(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("page-title "))
        })
        .collect();
    assert_eq!(fetches.len(), 3, "one task per URL: {tasks:?}");
    let main_tid = list
        .iter()
        .find(|t| t["role"] == "main")
        .and_then(|t| t["tid"].as_u64());
    let mut fetch_threads = BTreeSet::new();
    for task in &fetches {
        let threads = tids(&task["threads"]);
        assert!(task["polls"].as_u64().is_some_and(|p| p >= 1));
        assert!(
            !threads.is_empty() && threads.is_subset(&known),
            "task threads {threads:?} not all in the census {known:?}"
        );
        for tid in &threads {
            assert!(
                matches!(role_of(*tid), Some("main" | "worker")),
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
            let thread = list.iter().find(|t| t["tid"] == *tid).expect("listed");
            assert_eq!(
                thread["tasks_polled"], 1,
                "thread-per-task: a task's thread polls no other task: {thread}"
            );
        }
    }
    let bridges = list.iter().filter(|t| t["role"] == "compat-bridge").count();
    if config.capabilities().http == Http::Tokio {
        assert_eq!(bridges, 0, "tokio needs no compat bridge: {list:?}");
    } else {
        assert_eq!(
            bridges, 1,
            "reqwest off tokio runs through async-compat's one thread: {list:?}"
        );
        // The bridge starts lazily, at the first request: the census still catches it.
        let bridge = list
            .iter()
            .find(|t| t["role"] == "compat-bridge")
            .and_then(|t| t["tid"].as_u64())
            .expect("bridge tid");
        assert!(
            !tids(&report["threads"]["at_start"]).contains(&bridge),
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
    let wall_ms = report["wall_ms"].as_f64().expect("wall_ms");
    let tasks = report["tasks"].as_array().expect("tasks");
    let list = report["threads"]["list"].as_array().expect("threads.list");
    let main_tid = list
        .iter()
        .find(|t| t["role"] == "main")
        .and_then(|t| t["tid"].as_u64())
        .expect("a main thread");
    assert!(tids(&report["threads"]["at_start"]).contains(&main_tid));
    assert!(tids(&report["threads"]["at_end"]).contains(&main_tid));
    let peak = tids(&report["threads"]["at_peak"]);
    assert_eq!(
        peak.len() as u64,
        report["threads"]["peak"].as_u64().unwrap()
    );

    let mut polls_by_thread: std::collections::BTreeMap<u64, u64> = Default::default();
    let mut all_threads = BTreeSet::new();
    for task in tasks {
        let spans = task["spans"].as_array().expect("spans");
        assert_eq!(
            spans.len() as u64,
            task["polls"].as_u64().unwrap(),
            "{task}"
        );
        assert!(!spans.is_empty(), "every task here is polled: {task}");
        let mut busy_us = 0.0;
        let mut previous_end = f64::MIN;
        for span in spans {
            let (start, end) = (
                span["start_us"].as_f64().unwrap(),
                span["end_us"].as_f64().unwrap(),
            );
            assert!(
                start >= 0.0 && end >= start,
                "a poll from {start} to {end} µs"
            );
            assert!(
                start >= previous_end,
                "one task's polls never overlap: {task}"
            );
            previous_end = end;
            busy_us += end - start;
            let tid = span["tid"].as_u64().unwrap();
            *polls_by_thread.entry(tid).or_default() += 1;
            all_threads.insert(tid);
        }
        let span_tids: BTreeSet<u64> = spans.iter().map(|s| s["tid"].as_u64().unwrap()).collect();
        assert_eq!(span_tids, tids(&task["threads"]), "{task}");
        let busy_ms = task["busy_ms"].as_f64().unwrap();
        assert!((busy_ms - busy_us / 1e3).abs() < 0.01, "{task}");
        assert!(
            busy_ms <= wall_ms + 1.0,
            "busy {busy_ms} ms in a {wall_ms} ms run"
        );
        let delay = task["first_poll_delay_ms"]
            .as_f64()
            .expect("polled, so a delay");
        assert!((0.0..=wall_ms + 1.0).contains(&delay), "{task}");
    }
    for thread in list {
        let tid = thread["tid"].as_u64().unwrap();
        assert_eq!(
            thread["polls"].as_u64().unwrap(),
            polls_by_thread.get(&tid).copied().unwrap_or(0),
            "{thread}"
        );
        let share = thread["busy_share"].as_f64().unwrap();
        assert!((0.0..=1.05).contains(&share), "{thread}");
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
    let list = report["threads"]["list"].as_array().expect("threads.list");
    assert!(
        list.iter()
            .all(|t| t["name"] != "lab-site" && t["name"] != "lab-census"),
        "the lab's own threads are counted: {list:?}"
    );
    let peak = report["threads"]["peak"].as_u64().unwrap() as usize;
    assert!(peak <= list.len(), "peak {peak}, {} threads", list.len());
}
