//! The `--json` report: its keys, and the threads it names, on every configuration.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{Config, site};

crate::on_every_configuration!(json_report_names_the_threads_that_polled_each_task);

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
    if config.runtime == "threads" {
        assert_eq!(
            fetch_threads.len(),
            fetches.len(),
            "thread-per-task: each task has a thread of its own"
        );
    }
    let bridges = list.iter().filter(|t| t["role"] == "compat-bridge").count();
    if config.is_tokio_based() {
        assert_eq!(bridges, 0, "tokio needs no compat bridge: {list:?}");
    } else {
        assert_eq!(
            bridges, 1,
            "reqwest off tokio runs through async-compat's one thread: {list:?}"
        );
    }
}
