//! The timeline: one row per thread, in the terminal, as SVG, and side by side from the
//! driver; and the known truths about which threads run tasks that it makes visible.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use async_lab_experiments::Executor as _;
use async_lab_experiments::{spawn, trace};

use crate::support::Config;

crate::on_every_configuration!(
    svg_timeline_has_one_row_per_thread,
    text_timeline_has_one_row_per_thread,
    futures_inside_a_task_have_rows_of_their_own,
);

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The `g class="thread"` rows of an SVG timeline, as tids, after checking it is XML.
fn svg_rows(svg: &str) -> Vec<u64> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG parses as XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("thread"))
        .map(|n| {
            n.attribute("data-tid")
                .and_then(|t| t.parse().ok())
                .expect("a data-tid")
        })
        .collect()
}

fn svg_timeline_has_one_row_per_thread(config: Config) {
    let path = scratch(&format!(
        "timeline-{}-{}.svg",
        config.runtime, config.flavor
    ));
    let _ = std::fs::remove_file(&path);
    let run = config.run(&[
        "--json",
        "--timeline",
        path.to_str().expect("a UTF-8 path"),
        "page-title",
        "/plain",
        "/gbk",
    ]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    let svg = std::fs::read_to_string(&path).expect("the timeline was written");
    let rows = svg_rows(&svg);
    let listed: Vec<u64> = report.threads.list.iter().map(|t| t.tid).collect();
    assert_eq!(
        rows, listed,
        "one row per thread of the census, in its order"
    );
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let legend = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("task"))
        .count();
    assert_eq!(legend, report.tasks.len(), "one legend entry per task");
    assert!(svg.contains(" ms</text>"), "the time axis is labelled");
}

fn text_timeline_has_one_row_per_thread(config: Config) {
    let run = config.run(&["page-title", "/plain", "/gbk"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run
        .stderr
        .split("── thread report")
        .nth(1)
        .expect("a report");
    let threads: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("threads ("))
        .skip(1)
        .take_while(|l| !l.starts_with("tasks ("))
        .collect();
    let rows: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("timeline ("))
        .skip(1)
        .take_while(|l| l.ends_with('|'))
        .collect();
    assert!(!threads.is_empty(), "{report}");
    assert_eq!(
        rows.len(),
        threads.len(),
        "one timeline row per thread:\n{report}"
    );
    let widths: BTreeSet<usize> = rows
        .iter()
        .map(|r| r.split('|').nth(1).unwrap().chars().count())
        .collect();
    assert_eq!(
        widths,
        BTreeSet::from([async_lab_experiments::render::timeline::TEXT_COLUMNS]),
        "every row is as wide:\n{report}"
    );
    assert!(
        rows.iter().all(|r| r.chars().count() <= 80),
        "a row fits in 80 columns:\n{report}"
    );
    // Main polled the main future (task A), so its row shows an A somewhere; where main
    // polls every task, a cell shows the task that ran longest in it, and main's short
    // polls can lose every cell to the fetches, so there the row only shows some task.
    let main_row = threads
        .iter()
        .position(|t| t.contains(" main "))
        .expect("a main thread");
    if config.is_current_thread() {
        assert!(
            rows[main_row].chars().any(|c| c.is_ascii_uppercase()),
            "{report}"
        );
    } else {
        assert!(rows[main_row].contains('A'), "{report}");
    }
    assert!(
        report.contains("  A main"),
        "the legend names the letters:\n{report}"
    );
}

/// Known truth: tokio's multi-thread runtime with 2 workers spreads CPU-heavy tasks over
/// both. Traced here, in this process, because the experiments are all I/O-bound.
#[test]
fn tokio_multi_thread_spreads_cpu_heavy_tasks_over_two_workers() {
    trace::enable();
    let rt = runtime_tokio::Tokio::new(runtime_tokio::Flavor::MultiThread, Some(2)).unwrap();
    let spawner = rt.clone();
    // Each task works without yielding until it has seen a second worker at work (or for
    // 10 s, far longer than tokio needs, even on a machine busy with other tests): a
    // worker stays busy all along, so the other must take the rest.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    rt.block_on(async move {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let seen = seen.clone();
                spawn(&spawner, format!("cpu-heavy {i}"), async move {
                    let until = Instant::now() + Duration::from_secs(10);
                    let mut n = 0u64;
                    loop {
                        let workers = {
                            let mut seen = seen.lock().unwrap();
                            seen.insert(async_lab_experiments::census::current_tid());
                            seen.len()
                        };
                        if workers >= 2 || Instant::now() > until {
                            break n;
                        }
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let threads: BTreeSet<u64> = trace::tasks()
        .iter()
        .filter(|t| t.name.starts_with("cpu-heavy "))
        .flat_map(|t| t.threads.clone())
        .collect();
    assert!(
        threads.len() >= 2,
        "8 CPU-heavy tasks ran on {threads:?} only"
    );
}

/// The driver's `--timeline DIR`: one SVG per configuration and one page with all.
#[test]
fn driver_draws_every_configuration_side_by_side() {
    let dir = scratch("driver-timelines");
    let _ = std::fs::remove_dir_all(&dir);
    let output = crate::support::output_within(
        Command::new(env!("CARGO_BIN_EXE_async-lab"))
            .args(["--only", "tokio:current-thread", "--only", "smol:executor"])
            .args(["--time-scale", "0.05", "--timeline"])
            .arg(&dir)
            .args(["page-title", "/plain", "/gbk"]),
        crate::support::LIMIT,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for name in ["tokio-current-thread.svg", "smol-executor.svg"] {
        let svg = std::fs::read_to_string(dir.join(name)).expect("an SVG per configuration");
        assert!(!svg_rows(&svg).is_empty(), "{name} has thread rows");
    }
    let page = std::fs::read_to_string(dir.join("index.html")).expect("the side-by-side page");
    assert_eq!(
        page.matches("<svg ").count(),
        2,
        "both configurations on the page"
    );
    // The same time axis on both: the last tick label is the same.
    let last_ticks: BTreeSet<&str> = page
        .split("<svg ")
        .skip(1)
        .map(|svg| {
            svg.split("text-anchor=\"middle\">")
                .last()
                .and_then(|t| t.split('<').next())
                .unwrap()
        })
        .collect();
    assert_eq!(last_ticks.len(), 1, "one time axis for all: {last_ticks:?}");
}

/// Listing 17-8 (`join`) and 17-15 (`blocking`, two futures raced with `select`): each
/// future of the book API's `join` and `select` is in the report, tied to the task that
/// polled it, with every poll inside one of that task's polls on the same thread; and
/// the text and SVG timelines draw a row for each, under the threads.
fn futures_inside_a_task_have_rows_of_their_own(config: Config) {
    let path = scratch(&format!("futures-{}-{}.svg", config.runtime, config.flavor));
    for (experiment, names) in [
        ("join", ["join #1", "join #2"]),
        ("blocking", ["select #1", "select #2"]),
    ] {
        let run = config.run_scaled(
            0.01,
            &[
                "--json",
                "--timeline",
                path.to_str().expect("UTF-8"),
                experiment,
            ],
        );
        assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
        let report = run.report();
        for name in names {
            let future = report
                .futures
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| {
                    panic!("{experiment}: no future '{name}': {:?}", report.futures)
                });
            let task = &report.tasks[future.task.expect("polled inside a task")];
            assert_eq!(
                task.name, "main",
                "{experiment}: the book's futures run in main"
            );
            assert!(future.polls >= 1 && future.spans.len() as u64 == future.polls);
            for span in &future.spans {
                assert!(
                    task.spans.iter().any(|t| t.tid == span.tid
                        && t.start_us <= span.start_us + 1e-3
                        && span.end_us <= t.end_us + 1e-3),
                    "{experiment}: {name}'s poll {span:?} is inside one of its task's polls"
                );
            }
        }
        let svg = std::fs::read_to_string(&path).expect("the timeline was written");
        let doc = roxmltree::Document::parse(&svg).expect("XML");
        let future_rows = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("future"))
            .count();
        assert_eq!(
            future_rows,
            report.futures.len(),
            "{experiment}: a row per future"
        );

        let text = config.run_scaled(0.01, &[experiment]);
        assert_eq!(text.code, Some(0), "stderr:\n{}", text.stderr);
        for name in names {
            let row = format!("A › {name}");
            assert!(
                text.stderr
                    .lines()
                    .any(|l| l.trim_start().starts_with(&row) && l.ends_with('|')),
                "{experiment}: a text row for {name} under main (A):\n{}",
                text.stderr
            );
        }
    }
}
