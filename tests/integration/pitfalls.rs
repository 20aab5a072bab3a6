//! The pitfalls, on every configuration: what each runtime does with the same mistake,
//! asserted against what its registry entry declares (`nested_block_on`, `http`,
//! `busy_task` and the timer's `held_back_by_yields`, `polls_on`, `local_spawn`), with the
//! runtime's own words where it panics.
//! What a pitfall prints is the point, not its process: `busy-loop`, `forgot-await`,
//! `mutex-across-await` and `not-send` run in this one where they can be
//! (`Config::outcome`); those that panic on purpose (through the process's panic hook) or
//! read the thread census run the binary.

use async_lab::registry::{BusyTask, Http, NestedBlockOn, PollsOn};
use async_lab_experiments::census::Role;

use crate::support::{Config, Ran, Run};

crate::on_every_configuration!(
    nested_block_on_does_what_the_registry_says,
    no_reactor_panics_off_tokio_and_compat_bridges_it,
    busy_loop_starves_the_ticker_where_the_registry_says,
    forgot_await_runs_nothing_on_any_runtime,
    mutex_across_await_deadlocks_where_the_task_shares_the_holders_thread,
    not_send_runs_on_the_local_spawns_the_registry_names,
);

fn ok(run: &Run) -> Vec<String> {
    assert_eq!(
        run.code,
        Some(0),
        "a panic the experiment meant is its result, not a failure:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run.lines().into_iter().map(str::to_string).collect()
}

/// The lines of a run ([`Config::outcome`]) that ended with status 0.
fn ok_here(run: &Ran) -> Vec<String> {
    assert_eq!(run.code, 0, "{:?}", run.report);
    run.report.lines.clone()
}

/// `--workers 2` where the configuration takes it, so that "another worker" exists on
/// any machine.
fn with_two_workers<'a>(config: Config, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = Vec::new();
    if config.capabilities().takes_workers {
        all.extend(["--workers", "2"]);
    }
    all.extend(args);
    all
}

fn nested_block_on_does_what_the_registry_says(config: Config) {
    let capabilities = config.capabilities();
    let run = config.run(&with_two_workers(config, &["nested-block-on"]));
    let lines = ok(&run);
    assert_eq!(lines.len(), 4, "{lines:?}");
    let expected = match capabilities.nested_block_on {
        NestedBlockOn::Panics => "panicked: ",
        NestedBlockOn::Blocks => "blocked its thread: ",
        NestedBlockOn::Works => "worked: ",
    };
    let own = format!("{} inside a task: {expected}", capabilities.block_on);
    assert!(lines[0].starts_with(&own), "{}: {lines:?}", config.runtime);
    // The drop-in block_on is the runtime's, with the book's scope around it.
    let drop_in = format!("the drop-in block_on inside a task: {expected}");
    assert!(lines[1].starts_with(&drop_in), "{lines:?}");
    if capabilities.nested_block_on == NestedBlockOn::Panics {
        // The runtime's own words, caught; the process goes on.
        let words = lines[0].split_once("panicked: ").unwrap().1;
        assert!(
            words.contains("Cannot start a runtime from within a runtime")
                || words.contains("from within another executor")
                || words.contains("mini: block_on called from inside a task")
                || words.contains("Can not start a runtime inside a runtime"),
            "{words}"
        );
        assert!(run.stderr.contains("panic on thread"), "{}", run.stderr);
    }
    assert_eq!(
        lines[2],
        ".await inside a task instead: worked: the task it waited for ran meanwhile"
    );
    match capabilities.blocking.map(|b| b.spawn) {
        Some(pool) => assert_eq!(
            lines[3],
            format!("block_on inside {pool}: worked: the task it waited for ran meanwhile")
        ),
        None => assert!(
            lines[3].starts_with("spawn_blocking: not available on "),
            "{lines:?}"
        ),
    }
}

fn no_reactor_panics_off_tokio_and_compat_bridges_it(config: Config) {
    let run = config.run(&["--json", "no-reactor"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report = run.report();
    let lines = &report.lines;
    assert_eq!(lines.len(), 5, "{lines:?}");
    let on_tokio = config.capabilities().http == Http::OwnReactor;
    let directly = if on_tokio {
        ["it fired", "it answered 200 OK"]
    } else {
        let panic = "panicked: there is no reactor running, must be called from the context of a Tokio 1.x runtime";
        [panic, panic]
    };
    assert_eq!(
        lines[0],
        format!("tokio::time::sleep, polled as it is: {}", directly[0])
    );
    assert_eq!(
        lines[1],
        format!("reqwest::get, polled as it is: {}", directly[1])
    );
    assert_eq!(
        lines[2],
        "tokio::time::sleep inside async_compat::Compat: it fired"
    );
    assert_eq!(
        lines[3],
        "reqwest::get inside async_compat::Compat: it answered 200 OK"
    );
    // The thread Compat costs off tokio, seen by the census, and in the report too.
    let bridge = report
        .threads
        .list
        .iter()
        .any(|t| t.role == Role::CompatBridge);
    if on_tokio {
        assert!(
            lines[4].starts_with("async_compat::Compat added no thread"),
            "{lines:?}"
        );
        assert!(!bridge, "{:?}", report.threads);
    } else {
        assert_eq!(
            lines[4],
            "async_compat::Compat added a thread for a tokio runtime of its own: async-compat/to"
        );
        assert!(bridge, "{:?}", report.threads);
    }
}

fn busy_loop_starves_the_ticker_where_the_registry_says(config: Config) {
    // The loop's 300 ms are CPU time, the same at any --time-scale; "starved" is a late
    // tick of at least half of it, "kept its rhythm" anything less: generous both ways.
    let run = config.outcome(&with_two_workers(config, &["busy-loop", "300", "100"]));
    let lines = ok_here(&run);
    let capabilities = config.capabilities();
    let (starved, kept) = (
        "the ticker starved until the loop ended",
        "the ticker kept its rhythm",
    );
    let first = match capabilities.busy_task {
        BusyTask::StarvesOthers => starved,
        BusyTask::OthersRunElsewhere => kept,
    };
    // Yielding lets the ticker's task run, but its sleep wakes only where the timer turns
    // meanwhile (monoio turns its wheel only when no task is ready).
    let second = if capabilities.timer.held_back_by_yields {
        starved
    } else {
        kept
    };
    assert_eq!(
        lines,
        [
            format!("a task computed for 300.0 ms without awaiting: {first}"),
            format!("the same with yield_now every 100 steps: {second}"),
        ]
    );
}

fn forgot_await_runs_nothing_on_any_runtime(config: Config) {
    let lines = ok_here(&config.outcome(&["forgot-await"]));
    assert_eq!(
        lines,
        [
            "an async call never awaited: its body never ran",
            "the same call awaited: its body ran",
            "the same call spawned as a task, its handle never awaited: its body ran",
        ]
    );
}

/// The main future holds a std guard across an `.await` while a task locks the mutex:
/// where tasks are polled on the `block_on` thread, the task blocks the thread the main
/// future needs (a deadlock, cut by the experiment's deadline); elsewhere it stalls its
/// own thread until the guard drops. The async mutexes never block a thread.
fn mutex_across_await_deadlocks_where_the_task_shares_the_holders_thread(config: Config) {
    let lines = ok_here(&config.outcome(&["mutex-across-await"]));
    let std_line = if config.capabilities().polls_on == PollsOn::BlockOnThread {
        "deadlock: it blocked the one thread the holder needs to resume (cut after 1 s by a deadline)"
    } else {
        "its thread stalled until the holder's .await ended and the guard dropped"
    };
    let safely = "the same: the task waited without blocking its thread, and got the lock";
    assert_eq!(
        lines,
        [
            format!("std::sync::Mutex held across an .await, a task locking it: {std_line}"),
            format!("tokio::sync::Mutex, {safely}"),
            format!("async_lock::Mutex, {safely}"),
            format!("futures::lock::Mutex, {safely}"),
        ]
    );
}

/// A task holding an `Rc` across an `.await` runs where the registry names a local spawn,
/// on the thread that spawned it; elsewhere the line says why it cannot be spawned. The
/// fix (the `Rc` dropped before the `.await`) is taken everywhere.
fn not_send_runs_on_the_local_spawns_the_registry_names(config: Config) {
    let capabilities = config.capabilities();
    let lines = ok_here(&config.outcome(&["not-send"]));
    let first = match capabilities.local_spawn {
        Some(local) => format!(
            "{} took a task holding an Rc across an .await, and ran it on the thread that spawned it",
            local.name
        ),
        None => format!(
            "no local spawn here: {} needs a Send task, and the compiler refuses one holding an Rc across an .await",
            capabilities.raw_spawn
        ),
    };
    assert_eq!(
        lines,
        [
            first,
            "the Rc dropped before the .await: every spawn takes the task".to_string(),
        ]
    );
    // The local spawns are those of the configurations that poll on the block_on thread,
    // but for tokio's current-thread runtime, which has no LocalSet.
    if capabilities.local_spawn.is_some() {
        assert_eq!(capabilities.polls_on, PollsOn::BlockOnThread);
    }
}
