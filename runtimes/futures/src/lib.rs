//! The futures crate's executors: `local-pool` (the default: `LocalPool`, every task
//! polled on the thread that calls `block_on`, like a hand-written single-threaded
//! executor) and `thread-pool` (`ThreadPool`, `--workers` threads, one per core by
//! default). The futures crate has no timer and no I/O of its own: sleeps use
//! futures-timer, whose one global thread works on any executor, and HTTP goes through
//! async-compat's tokio thread.
//!
//! Run with `cargo run -p runtime-futures -- --flavor thread-pool`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. Its default configuration is the first flavor above;
//! `ASYNC_LAB_FLAVOR=thread-pool` picks the other.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Futures);

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::registry::{
    BusyTask, COMPAT_SOCKETS, Capabilities, ChannelKind, Configuration, DetachedTask,
    DroppedHandle, FUTURES_TIMER, Http, LocalSpawn, NestedBlockOn, PanicOnAwait, PollsOn,
    RuntimeDrop,
};
use async_lab_runtime::runtime::{self, Executor, LocalTask, TaskError};
#[cfg(feature = "lab")]
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use futures::executor::{LocalPool, LocalSpawner, ThreadPool};
use futures::task::{LocalSpawnExt, SpawnExt};

/// What both of the futures crate's executors share.
const FUTURES: Capabilities = Capabilities {
    polls_on: PollsOn::BlockOnThread,
    takes_workers: false,
    raw_spawn: "LocalSpawner::spawn_local_with_handle",
    dropped_handle: DroppedHandle::Cancels,
    panic: PanicOnAwait::Propagates,
    blocking: None,
    own_timeout: None,
    timer: FUTURES_TIMER,
    io: COMPAT_SOCKETS,
    channel: ChannelKind::FuturesMpsc,
    http: Http::CompatBridge,
    local_spawn: Some(LocalSpawn {
        name: "LocalSpawner::spawn_local",
        spawn: spawn_on_local_pool,
    }),
    block_on: "LocalPool::run_until",
    nested_block_on: NestedBlockOn::Panics,
    busy_task: BusyTask::StarvesOthers,
    block_in_place: None,
    // A fresh LocalPool for every block_on, dropped with its tasks.
    detached_task: DetachedTask::StoppedWithBlockOn,
    runtime_drop: RuntimeDrop::StopsNothing,
    scoped_spawn: None,
    task_may_move: false,
};

async_lab_runtime::flavors! {
    /// The futures crate's executors.
    pub enum Flavor {
        /// `LocalPool`, on the `block_on` thread.
        LocalPool => Configuration {
            runtime: "futures",
            flavor: "local-pool",
            about: "the futures crate's LocalPool: every task polled on the thread that calls block_on",
            capabilities: FUTURES,
        },
        /// `ThreadPool`, on threads of its own.
        ThreadPool => Configuration {
            runtime: "futures",
            flavor: "thread-pool",
            about: "the futures crate's ThreadPool, --workers N threads (one per core by default)",
            capabilities: Capabilities {
                polls_on: PollsOn::Workers,
                takes_workers: true,
                raw_spawn: "ThreadPool::spawn_with_handle",
                local_spawn: None,
                block_on: "futures::executor::block_on",
                busy_task: BusyTask::OthersRunElsewhere,
                // Each task holds a handle to its pool (thread_pool.rs, `Task::exec`): the
                // pool lives as long as its tasks.
                detached_task: DetachedTask::RunsUntilExit,
                task_may_move: true,
                ..FUTURES
            },
        },
    }
}

/// Spawns `task` on the `LocalPool` of the `local-pool` flavor's `block_on` running on this
/// thread.
fn spawn_on_local_pool(task: LocalTask) -> Result<(), TaskError> {
    LOCAL_SPAWNER.with(|s| match &*s.borrow() {
        Some(spawner) => spawner
            .spawn_local(task)
            .map_err(|e| TaskError::SpawnFailed(e.to_string())),
        None => Err(TaskError::Unsupported(LOCAL_ONLY.into())),
    })
}

/// One of the futures crate's executors.
#[derive(Clone, Debug)]
pub struct Futures {
    pool: Option<ThreadPool>,
}

/// Why a `LocalPool` refuses a task.
const LOCAL_ONLY: &str = "a LocalPool only takes tasks on the thread that runs its block_on";

thread_local! {
    /// The spawner of the `LocalPool` that this thread's `block_on` is running, if any.
    static LOCAL_SPAWNER: RefCell<Option<LocalSpawner>> = const { RefCell::new(None) };
}

/// Puts the thread's previous spawner back however `block_on` ends: also when it
/// unwinds, as a `block_on` called inside a task does (`nested-block-on`).
struct RestoreSpawner(Option<LocalSpawner>);

impl Drop for RestoreSpawner {
    fn drop(&mut self) {
        let previous = self.0.take();
        LOCAL_SPAWNER.with(|s| s.replace(previous));
    }
}

impl Executor for Futures {
    type Flavor = Flavor;

    // futures-timer's one thread fires every sleep.
    const THREAD_NAMES: &'static [ThreadName] = &[ThreadName::new("futures-timer", Role::Timer)];

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        match flavor {
            Flavor::LocalPool if workers.is_some() => {
                Err("local-pool has no workers: every task runs on the block_on thread".into())
            }
            Flavor::LocalPool => Ok(Futures { pool: None }),
            Flavor::ThreadPool => {
                let mut builder = ThreadPool::builder();
                builder
                    .name_prefix("futures-pool-")
                    .after_start(|_| census::mark_current(Role::Worker));
                if let Some(n) = workers {
                    builder.pool_size(n);
                }
                let pool = builder
                    .create()
                    .map_err(|e| BuildError::Start(format!("cannot start the thread pool: {e}")))?;
                Ok(Futures { pool: Some(pool) })
            }
        }
    }

    fn flavor(&self) -> Flavor {
        match self.pool {
            Some(_) => Flavor::ThreadPool,
            None => Flavor::LocalPool,
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        if self.pool.is_some() {
            return futures::executor::block_on(future);
        }
        let mut pool = LocalPool::new();
        let _previous = RestoreSpawner(LOCAL_SPAWNER.with(|s| s.replace(Some(pool.spawner()))));
        pool.run_until(future)
    }

    // Not the pools' own `RemoteHandle`: it cancels its task when dropped (forgetting it
    // on drop fixes that), and it costs a channel and a flag, each an allocation, where
    // a channel alone does (see `JoinHandle::reporting`).
    type Handle<T: Send + 'static> = runtime::JoinHandle<T>;

    fn spawn<F>(&self, future: F) -> runtime::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, handle) = runtime::JoinHandle::reporting(future);
        let started = match &self.pool {
            Some(pool) => pool
                .spawn(task)
                .map_err(|e| TaskError::SpawnFailed(e.to_string())),
            None => LOCAL_SPAWNER.with(|s| match &*s.borrow() {
                Some(spawner) => spawner
                    .spawn_local(task)
                    .map_err(|e| TaskError::SpawnFailed(e.to_string())),
                None => Err(TaskError::Unsupported(LOCAL_ONLY.into())),
            }),
        };
        match started {
            Ok(()) => handle,
            Err(error) => runtime::JoinHandle::failed(error),
        }
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        futures_timer::Delay::new(duration)
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        runtime::yield_once()
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Futures {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let remote = match &self.pool {
            Some(pool) => pool.spawn_with_handle(task).map_err(|e| e.to_string()),
            None => LOCAL_SPAWNER.with(|s| match &*s.borrow() {
                Some(spawner) => spawner
                    .spawn_local_with_handle(task)
                    .map_err(|e| e.to_string()),
                None => Err(LOCAL_ONLY.to_string()),
            }),
        };
        match remote {
            Ok(remote) => runtime::raw_handle(remote, |()| Ok(true)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn spawn_blocking(&self, _work: BlockingWork) -> Result<(), TaskError> {
        Err(TaskError::Unsupported(
            "the futures crate has no pool for blocking work".into(),
        ))
    }
}
