//! The registry against the truth: each capability a runtime crate declares for a
//! configuration is what a run of that configuration shows. (The others are checked
//! where the experiment that shows them is: `drop-handle`, `panic`, `export` and
//! `timeout` in experiments.rs; which threads poll tasks and the compat bridge in
//! report.rs; `nested_block_on`, `busy_task`, `local_spawn` and `http` for any tokio
//! future in pitfalls.rs; `blocking`, `block_in_place`, `detached_task`,
//! `runtime_drop`, `scoped_spawn` and `task_may_move` in threads.rs; the timer's
//! `held_back_by_yields` in pitfalls.rs, its `millisecond_ticks` in trpl_api/book.rs.)

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use async_lab::registry::IoModel;
use async_lab_experiments::census::Role;
use async_lab_experiments::report::Report;

use crate::support::{Config, LIMIT, output_within};

crate::on_every_configuration!(
    the_timer_is_the_one_declared,
    a_completion_driver_has_no_reactor_thread_and_says_so,
    workers_are_taken_where_declared
);

fn report_of(config: Config, args: &[&str]) -> Report {
    let run = config.run(args);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    run.report()
}

/// The timer's thread is the one declared: none of its own (tokio's), async-io's reactor,
/// or futures-timer's thread; and no thread of the other timer role.
fn the_timer_is_the_one_declared(config: Config) {
    let report = report_of(config, &["--json", "spawn"]);
    let roles: Vec<Role> = report.threads.list.iter().map(|t| t.role).collect();
    let timer = config.capabilities().timer;
    for role in [Role::Reactor, Role::Timer] {
        assert_eq!(
            roles.contains(&role),
            timer.thread == Some(role),
            "{}'s timer, declared on {:?}: {roles:?}",
            timer.name,
            timer.thread
        );
    }
}

/// Where the registry says the kernel completes the I/O (io_uring), the report says that
/// there is no reactor thread, and the census finds none; a readiness driver's report
/// says nothing of the kind.
fn a_completion_driver_has_no_reactor_thread_and_says_so(config: Config) {
    let report = report_of(config, &["--json", "spawn"]);
    let io = config.capabilities().io;
    let said: Vec<&String> = report
        .notes
        .iter()
        .filter(|n| n.starts_with("no reactor thread: "))
        .collect();
    match io.model {
        IoModel::Completion => {
            assert_eq!(said.len(), 1, "{:?}", report.notes);
            assert!(said[0].contains(io.driver), "{said:?}");
            assert_eq!(
                io.thread, None,
                "a completion driver waits on no thread of its own"
            );
            let reactors: Vec<&str> = report
                .threads
                .list
                .iter()
                .filter(|t| t.role == Role::Reactor)
                .map(|t| t.name.as_str())
                .collect();
            assert!(reactors.is_empty(), "{reactors:?}");
        }
        IoModel::Readiness => assert!(said.is_empty(), "{:?}", report.notes),
    }
}

/// `--workers 2` sizes the pool where the registry says so, and is a usage error elsewhere.
fn workers_are_taken_where_declared(config: Config) {
    let run = config.run(&["--workers", "2", "--json", "join"]);
    if config.capabilities().takes_workers {
        assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
        let workers = run
            .report()
            .threads
            .list
            .iter()
            .filter(|t| t.role == Role::Worker)
            .count();
        assert_eq!(workers, 2, "--workers 2 started {workers} workers");
    } else {
        assert_eq!(run.code, Some(2), "--workers is refused: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
}

/// Every configuration is named once, and its binary takes its flavor.
#[test]
fn configurations_are_unique_and_each_binary_knows_its_own() {
    let ids: Vec<String> = async_lab::configurations().map(|c| c.id()).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    for runtime in async_lab::RUNTIMES {
        assert!(!runtime.configurations.is_empty());
        assert!(
            runtime
                .configurations
                .iter()
                .all(|c| c.runtime == runtime.name)
        );
    }
}

/// The notes' table of configurations is what the registry says now.
#[test]
fn the_notes_table_of_configurations_is_fresh() {
    let output = output_within(
        Command::new(env!("CARGO_BIN_EXE_async-lab")).args(["--configurations", "--markdown"]),
        LIMIT,
    );
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    // In parts that fit the notes' column, each a header, a rule and a row per
    // configuration, a blank line between two.
    let parts = table.split("\n\n").collect::<Vec<_>>();
    for part in &parts {
        assert!(part.starts_with("| configuration |"), "{table}");
        assert_eq!(
            part.lines().count(),
            async_lab::configurations().count() + 2,
            "a header, a rule and a row per configuration:\n{table}"
        );
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("book-notes/src/generated/configurations.md");
    let note = std::fs::read_to_string(&path).unwrap();
    assert!(
        note.ends_with(&table),
        "{} is stale: run book-notes/generate configurations",
        path.display()
    );
}
