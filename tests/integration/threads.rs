//! Threads that come and go, on every configuration: the blocking pool's cap and idle
//! threads (`blocking`), `block_in_place`, what becomes of a detached task and
//! what a runtime's drop does (`detached_task`, `runtime_drop`), the scoped spawns
//! (`scoped_spawn`) and whether a task comes back on another thread (`task_may_move`),
//! each asserted against what the registry declares, with the census's thread roles and
//! migration counts where they show it.

use async_lab::registry::{
    BlockingPool, DetachedTask, DroppedHandle, IdleThreads, InPlace, PollsOn, RuntimeDrop, Scope,
    ScopedSpawn,
};
use async_lab_experiments::census::Role;
use async_lab_experiments::report::Report;

use crate::support::{Config, Run};

crate::on_every_configuration!(
    blocking_pool_caps_and_keeps_threads_as_declared,
    block_in_place_stalls_panics_or_is_absent_as_declared,
    shutdown_stops_what_the_registry_says,
    scoped_spawns_borrow_where_declared,
    thread_locals_read_wrong_where_tasks_share_or_change_threads,
);

fn ok(run: &Run) -> Report {
    assert_eq!(
        run.code,
        Some(0),
        "a panic the experiment meant is its result, not a failure:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run.report()
}

/// `--workers 2` where the configuration takes it, so that "another worker" exists on
/// any machine.
fn with_two_workers<'a>(config: Config, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--json"];
    if config.capabilities().takes_workers {
        all.extend(["--workers", "2"]);
    }
    all.extend(args);
    all
}

fn not_available(config: Config) -> String {
    format!(
        "spawn_blocking: not available on {} ({})",
        config.runtime, config.flavor
    )
}

/// 16 jobs of 5 ms: how many threads ran them is the pool's business; that its idle
/// threads are still there 0.3 s later (or gone, for a thread per job) is the registry's,
/// and so is the cap: with it at 2, never more than 2 jobs at once, so 8 rounds.
fn blocking_pool_caps_and_keeps_threads_as_declared(config: Config) {
    let capabilities = config.capabilities();
    let report = ok(&config.run(&[
        "--json",
        "blocking-pool",
        "16",
        "100",
        "--cap",
        "2",
        "--after",
        "0.3",
    ]));
    let lines = &report.lines;
    let Some(BlockingPool {
        spawn: pool,
        threads: facts,
    }) = capabilities.blocking
    else {
        assert_eq!(lines, &[not_available(config)]);
        assert_eq!(report.unsupported, ["spawn_blocking"]);
        return;
    };
    // A fourth line where the I/O driver hands work to the kernel's own worker.
    let kernel_work = capabilities.io.kernel_worker;
    assert_eq!(
        lines.len(),
        3 + usize::from(kernel_work.is_some()),
        "{lines:?}"
    );
    // Each pool's own words, written here as the runtime's documentation gives them.
    let first = match config.runtime {
        "tokio" => {
            "16 blocking jobs of 5.0 ms at once on tokio::task::spawn_blocking (at most 512 threads by default; Builder::max_blocking_threads sets it)"
        }
        "smol" => {
            "16 blocking jobs of 5.0 ms at once on blocking::unblock (at most 500 threads by default; blocking::set_max_blocking_threads sets it)"
        }
        "async-std" => {
            "16 blocking jobs of 5.0 ms at once on async_std::task::spawn_blocking (at most 500 threads by default; blocking::set_max_blocking_threads sets it)"
        }
        "threads" => {
            "16 blocking jobs of 5.0 ms at once on std::thread::spawn (a thread for every job, no cap)"
        }
        "compio" => {
            "16 blocking jobs of 5.0 ms at once on compio::runtime::spawn_blocking (at most 256 threads by default; ProactorBuilder::thread_pool_limit sets it)"
        }
        "monoio" => {
            "16 blocking jobs of 5.0 ms at once on monoio::spawn_blocking (at most 16 threads by default; DefaultThreadPool::new sets it)"
        }
        other => panic!("{other} has a pool for blocking work: what does it print?"),
    };
    assert_eq!(lines[0], first);
    assert_eq!(
        facts.max.is_some(),
        facts.cap_setting.is_some(),
        "{facts:?}"
    );
    let after = match facts.idle {
        IdleThreads::KeptFor(secs) => {
            assert!(secs >= 1, "0.3 s is less than the wait");
            "all its threads were still there"
        }
        IdleThreads::Kept => "all its threads were still there",
        IdleThreads::EndsWithJob => "none of its threads was left",
    };
    assert!(
        lines[1].starts_with(&format!("0.3 s after the last job: {after} (")),
        "{lines:?}"
    );
    // The census agrees: the threads that ran a job are blocking-pool threads, and those
    // of a pool that keeps them are still alive after the run.
    let pool_threads: Vec<u64> = report
        .threads
        .list
        .iter()
        .filter(|t| t.role == Role::BlockingPool)
        .map(|t| t.tid)
        .collect();
    assert!(!pool_threads.is_empty(), "{:?}", report.threads);
    let left = pool_threads
        .iter()
        .filter(|tid| report.threads.at_end.contains(tid))
        .count();
    match facts.idle {
        IdleThreads::EndsWithJob => assert_eq!(left, 0, "{:?}", report.threads),
        IdleThreads::Kept | IdleThreads::KeptFor(_) => {
            assert!(left > 0, "{:?}", report.threads)
        }
    }
    match facts.cap_setting {
        Some(setting) => {
            assert_eq!(
                lines[2],
                format!(
                    "the same with the pool capped by {setting}(2): at most 2 jobs ran at once, the others queued, so the last ended after 8 jobs' time or more"
                )
            );
            assert!(report.measurements["capped_most_at_once"] <= 2.0);
        }
        None => assert_eq!(
            lines[2],
            format!("no setting caps it: {pool} starts a thread for every job")
        ),
    }
    // io_uring's own worker: the fsync the registry names ran on a kernel thread of the
    // process (iou-wrk-*), which the census names as such; elsewhere there is none.
    let kernel_threads: Vec<&str> = report
        .threads
        .list
        .iter()
        .filter(|t| t.role == Role::IoUringWorker)
        .map(|t| t.name.as_str())
        .collect();
    match kernel_work {
        Some(work) => {
            assert_eq!(
                lines[3],
                format!(
                    "{}: the kernel did it on a worker of its own (iou-wrk-*), a thread of this process that no pool of the runtime started",
                    work.name
                )
            );
            assert!(!kernel_threads.is_empty(), "{:?}", report.threads);
            assert!(
                kernel_threads.iter().all(|n| n.starts_with("iou-wrk-")),
                "{kernel_threads:?}"
            );
        }
        None => assert!(kernel_threads.is_empty(), "{kernel_threads:?}"),
    }
}

fn block_in_place_stalls_panics_or_is_absent_as_declared(config: Config) {
    let capabilities = config.capabilities();
    let report = ok(&config.run(&with_two_workers(config, &["block-in-place"])));
    let lines = &report.lines;
    assert_eq!(lines.len(), 3, "{lines:?}");
    let joined = "tokio::task::block_in_place beside a future joined in the same task: ";
    match capabilities.block_in_place.map(|b| b.in_a_task) {
        Some(InPlace::Works) => assert_eq!(
            lines[0],
            format!("{joined}the joined future stalled for the whole call")
        ),
        Some(InPlace::Panics) => assert_eq!(
            lines[0],
            format!(
                "{joined}panicked: can call blocking only when running on the multi-threaded runtime"
            )
        ),
        None => assert!(
            lines[0].starts_with(&format!(
                "no block_in_place on {} ({}): ",
                config.runtime, config.flavor
            )),
            "{lines:?}"
        ),
    }
    if capabilities.block_in_place.is_some() {
        assert_eq!(config.runtime, "tokio", "only tokio has block_in_place");
    }
    match capabilities.blocking.map(|b| b.spawn) {
        Some(pool) => assert_eq!(
            lines[1],
            format!("{pool}(..).await beside it: the joined future kept its rhythm")
        ),
        None => assert_eq!(lines[1], not_available(config)),
    }
    assert_eq!(
        lines[2],
        "a thread of its own, awaited through a oneshot beside it: the joined future kept its rhythm"
    );
}

fn shutdown_stops_what_the_registry_says(config: Config) {
    let capabilities = config.capabilities();
    let report = ok(&config.run(&["--json", "shutdown"]));
    let lines = &report.lines;
    assert_eq!(lines.len(), 6, "{lines:?}");
    // The runtime's own handle, dropped with the main future: where dropping it cancels
    // the task, that is the end of it.
    let unjoined = match capabilities.dropped_handle {
        DroppedHandle::Cancels => DetachedTask::StoppedWithBlockOn,
        DroppedHandle::Detaches => capabilities.detached_task,
    };
    assert_eq!(
        lines[0],
        format!(
            "a task nobody joined (started with {}, its handle dropped with the main future): {}",
            capabilities.raw_spawn,
            unjoined.words()
        )
    );
    assert_eq!(
        lines[1],
        format!("a detached task: {}", capabilities.detached_task.words())
    );
    let job = match (capabilities.blocking.map(|b| b.spawn), capabilities.runtime_drop) {
        (None, _) => not_available(config),
        (Some(_), RuntimeDrop::StopsAndWaits) => {
            "a blocking job still running when block_on returned: dropping the runtime waited for it to end".into()
        }
        (Some(_), RuntimeDrop::StopsNothing) => {
            "a blocking job still running when block_on returned: nothing waited for it: it ran on to its end after the runtime was dropped".into()
        }
    };
    assert_eq!(lines[2], job);
    let runs_on = capabilities.detached_task == DetachedTask::RunsUntilExit;
    assert_eq!(
        lines[3],
        format!(
            "a task waiting on a 300.0 ms timer, due after the drop: {}",
            if runs_on {
                "it fired"
            } else {
                "it never fired: its task was stopped first"
            }
        )
    );
    assert_eq!(
        lines[4],
        format!(
            "the threads that ran the detached task: {}",
            if runs_on {
                "still alive after the drop"
            } else {
                "gone after the drop"
            }
        )
    );
    match capabilities.runtime_drop {
        RuntimeDrop::StopsAndWaits => assert_eq!(
            lines[5],
            "a new runtime dropped inside async code: panicked: Cannot drop a runtime in a context where blocking is not allowed. This happens when a runtime is dropped from within an asynchronous context."
        ),
        RuntimeDrop::StopsNothing => assert_eq!(
            lines[5],
            "a new runtime dropped inside async code: nothing to stop, no panic"
        ),
    }
}

fn scoped_spawns_borrow_where_declared(config: Config) {
    let capabilities = config.capabilities();
    let report = ok(&config.run(&["--json", "scoped"]));
    let lines = &report.lines;
    // Each way's own words, written here.
    let scoped = match capabilities.scoped_spawn {
        None => format!(
            "no scoped spawn on {} ({}): join_all, or an Arc, instead",
            config.runtime, config.flavor
        ),
        Some(ScopedSpawn { how: Scope::Threads, .. }) => {
            "std::thread::scope: its threads borrowed the local and summed it to 5050".into()
        }
        Some(ScopedSpawn { how: Scope::Executor, .. }) => {
            "smol::Executor<'a>, living shorter than the local: its tasks borrowed it and summed it to 5050".into()
        }
        Some(ScopedSpawn { how: Scope::LocalExecutor, .. }) => {
            "smol::LocalExecutor<'a>, living shorter than the local: its tasks borrowed it and summed it to 5050".into()
        }
    };
    assert_eq!(
        lines,
        &[
            format!(
                "{} takes only 'static tasks: one that borrows a local does not compile",
                capabilities.raw_spawn
            ),
            "join_all over 4 futures that borrow the local: they summed it to 5050".into(),
            scoped,
            "an Arc cloned into each of 4 spawned tasks: they summed it to 5050".into(),
        ]
    );
}

/// Tasks read another task's value from a thread-local wherever they share a thread (all
/// but a thread per task), and also after coming back on another thread where the
/// registry says tasks move: the census counts those moves too.
fn thread_locals_read_wrong_where_tasks_share_or_change_threads(config: Config) {
    let capabilities = config.capabilities();
    let report = ok(&config.run(&with_two_workers(config, &["thread-local"])));
    let lines = &report.lines;
    assert_eq!(lines.len(), 4, "{lines:?}");
    let shares = capabilities.polls_on != PollsOn::ThreadPerTask;
    // Pools sized by the machine have a second thread only on two cores or more.
    let two_threads = capabilities.takes_workers
        || std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    let census_moves: u64 = report
        .tasks
        .iter()
        .filter(|t| t.name.starts_with("thread-local task"))
        .map(|t| t.migrations)
        .sum();
    if capabilities.task_may_move && two_threads {
        assert_eq!(
            lines[1],
            "  tasks that came back on another thread after an .await: some (the census counts the moves)"
        );
        assert!(census_moves > 0, "{:?}", report.tasks);
    } else if !capabilities.task_may_move {
        assert_eq!(
            lines[1],
            "  tasks that came back on another thread after an .await: none: every task stayed on its thread"
        );
        assert_eq!(census_moves, 0, "{:?}", report.tasks);
    }
    assert_eq!(
        lines[2],
        format!(
            "  reads on the task's own thread that found another task's value, written there while it waited: {}",
            if shares { "some" } else { "none" }
        )
    );
    let wrong = shares || (capabilities.task_may_move && two_threads);
    assert_eq!(
        lines[0],
        format!(
            "thread_local! written before an .await and read after it, in 4 tasks: {}",
            if wrong {
                "some reads found another task's value, or none"
            } else {
                "each read found the task's own value"
            }
        )
    );
    assert_eq!(
        lines[3],
        "tokio::task_local! set by scope around each task, read after the same .awaits: each read found the task's own value"
    );
}

/// `blocking-pool`'s numbers out of bounds, alone or together, are one line and exit
/// status 2, before anything starts.
#[test]
fn blocking_pool_refuses_numbers_out_of_bounds() {
    let config = Config::new("tokio", "multi-thread");
    for (args, says) in [
        (&["blocking-pool", "0"][..], "less than 1"),
        (&["blocking-pool", "2001"], "more than 2000"),
        (&["blocking-pool", "8", "10001"], "more than 10000"),
        (&["blocking-pool", "--cap", "513"], "more than 512"),
        (&["blocking-pool", "--after", "1,61"], "more than 60"),
        (&["blocking-pool", "--after=-1"], "less than 0"),
        (
            &["blocking-pool", "2000", "10000", "--cap", "1"],
            "the most is 600 s",
        ),
    ] {
        let mut all = vec!["--time-scale", "1"];
        all.extend(args);
        let run = Run::of(&mut config.command_as_is(&all));
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

/// The `blocking` crate's pool reads its cap from `BLOCKING_MAX_THREADS` at its first job:
/// with 3, the first part's 16 jobs run on 3 threads at most, 3 at a time.
#[test]
fn blocking_max_threads_caps_the_blocking_crates_pool() {
    let configs: Vec<Config> = async_lab::configurations()
        .filter(|c| {
            c.capabilities
                .blocking
                .map(|b| b.threads)
                .is_some_and(|b| b.cap_setting == Some("blocking::set_max_blocking_threads"))
        })
        .map(|c| Config::new(c.runtime, c.flavor))
        .collect();
    assert!(
        configs.len() >= 4,
        "async-std and smol's three: {configs:?}"
    );
    let failures = crate::support::in_parallel(&configs, |config| {
        let mut command = config.command(&[
            "--json",
            "blocking-pool",
            "16",
            "100",
            "--cap",
            "2",
            "--after",
            "0",
        ]);
        command.env("BLOCKING_MAX_THREADS", "3");
        let report = ok(&Run::of(&mut command));
        let started = report.measurements["threads_started"];
        let at_once = report.measurements["most_at_once"];
        (started > 3.0 || at_once > 3.0).then(|| {
            format!(
                "{}:{}: {started} threads, {at_once} jobs at once with BLOCKING_MAX_THREADS=3",
                config.runtime, config.flavor
            )
        })
    });
    assert!(failures.is_empty(), "{failures:?}");
}
