//! mini: an executor written to be read, in [`executor`] (a run queue, a waker built on
//! `std::task::Wake`, a `block_on` that sleeps until woken, a timer thread), in two
//! flavors: `single-thread` (the default: every task polled by the thread that calls
//! `block_on`, between polls of the main future) and `pool` (`--workers N` threads, one
//! per core by default, sharing one queue, with no work stealing). It has no I/O of its
//! own: HTTP goes through async-compat's tokio thread.
//!
//! Run with `cargo run -p runtime-mini -- --flavor pool spawn`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. `ASYNC_LAB_FLAVOR=pool` picks the pool.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Mini);

pub mod executor;

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::registry::{
    BusyTask, COMPAT_SOCKETS, Capabilities, ChannelKind, Configuration, DetachedTask,
    DroppedHandle, Http, NestedBlockOn, PanicOnAwait, PollsOn, RuntimeDrop, Timer,
};
use async_lab_runtime::runtime::{self, Executor, TaskError};
#[cfg(feature = "lab")]
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use executor::Queue;

/// mini's timer: a thread of its own, which wakes each sleeper at its deadline.
const MINI_TIMER: Timer = Timer {
    name: "mini's timer thread",
    thread: Some(Role::Timer),
    held_back_by_yields: false,
    millisecond_ticks: false,
};

/// What both flavors share.
const MINI: Capabilities = Capabilities {
    polls_on: PollsOn::BlockOnThread,
    takes_workers: false,
    raw_spawn: "Mini::spawn",
    // The task is in the queue, or with a waker: the handle is only a channel's end.
    dropped_handle: DroppedHandle::Detaches,
    panic: PanicOnAwait::Error,
    blocking: None,
    own_timeout: None,
    timer: MINI_TIMER,
    io: COMPAT_SOCKETS,
    channel: ChannelKind::FuturesMpsc,
    http: Http::CompatBridge,
    local_spawn: None,
    block_on: "mini::executor::block_on",
    nested_block_on: NestedBlockOn::Panics,
    busy_task: BusyTask::StarvesOthers,
    block_in_place: None,
    // Its tasks wait in the queue until the next block_on polls them.
    detached_task: DetachedTask::PausedUntilDrop,
    runtime_drop: RuntimeDrop::StopsNothing,
    scoped_spawn: None,
    task_may_move: false,
};

async_lab_runtime::flavors! {
    /// mini's flavors.
    pub enum Flavor {
        /// Every task polled by the `block_on` thread.
        SingleThread => Configuration {
            runtime: "mini",
            flavor: "single-thread",
            about: "every task polled by the thread that calls block_on, between polls of the main future",
            capabilities: MINI,
        },
        /// N threads sharing one queue.
        Pool => Configuration {
            runtime: "mini",
            flavor: "pool",
            about: "--workers N threads (one per core by default) sharing one run queue, no stealing",
            capabilities: Capabilities {
                polls_on: PollsOn::Workers,
                takes_workers: true,
                busy_task: BusyTask::OthersRunElsewhere,
                // The pool's threads poll until the process exits.
                detached_task: DetachedTask::RunsUntilExit,
                task_may_move: true,
                ..MINI
            },
        },
    }
}

/// mini, in one of its flavors: the queue its tasks are spawned on.
#[derive(Clone)]
pub struct Mini {
    flavor: Flavor,
    queue: Arc<Queue>,
}

impl std::fmt::Debug for Mini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mini")
            .field("flavor", &self.flavor)
            .finish()
    }
}

impl Executor for Mini {
    type Flavor = Flavor;

    const THREAD_NAMES: &'static [ThreadName] = &[
        ThreadName::new("mini-worker-", Role::Worker),
        ThreadName::new("mini-timer", Role::Timer),
    ];

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        let queue = Queue::new();
        match (flavor, workers) {
            (Flavor::SingleThread, Some(_)) => {
                return Err(
                    "single-thread has no workers: the block_on thread polls every task".into(),
                );
            }
            (Flavor::SingleThread, None) => {}
            (Flavor::Pool, workers) => {
                let n = workers
                    .unwrap_or_else(|| thread::available_parallelism().map_or(1, usize::from));
                for i in 1..=n {
                    let queue = queue.clone();
                    thread::Builder::new()
                        .name(format!("mini-worker-{i}"))
                        .spawn(move || {
                            census::mark_current(Role::Worker);
                            queue.run_forever()
                        })
                        .map_err(|e| {
                            BuildError::Start(format!("cannot start mini's worker threads: {e}"))
                        })?;
                }
            }
        }
        Ok(Mini { flavor, queue })
    }

    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.flavor {
            Flavor::SingleThread => executor::block_on(&self.queue, future),
            // The pool's threads poll the tasks; this thread only waits for its own future.
            Flavor::Pool => executor::block_on(&Queue::new(), future),
        }
    }

    type Handle<T: Send + 'static> = runtime::JoinHandle<T>;

    fn spawn<F>(&self, future: F) -> runtime::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // The task sends its output, or its panic, to the handle.
        let (task, handle) = runtime::JoinHandle::reporting(future);
        self.queue.spawn(task);
        handle
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        executor::Sleep {
            deadline: Instant::now() + duration,
        }
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        runtime::yield_once()
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Mini {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let handle = self.spawn(task);
        runtime::raw_handle(handle, |result| {
            result.map(|()| true).map_err(|e| match e {
                TaskError::Panicked(message) => message,
                e => e.to_string(),
            })
        })
    }

    fn spawn_blocking(&self, _work: BlockingWork) -> Result<(), TaskError> {
        Err(TaskError::Unsupported(
            "mini has no pool for blocking work".into(),
        ))
    }
}
