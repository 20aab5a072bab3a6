//! tokio, in three configurations: `multi-thread` (the default: a work-stealing pool of
//! workers, one per core unless `--workers` says otherwise), `current-thread` (every
//! task polled on the thread that calls `block_on`) and `local` (a current-thread runtime
//! with a `LocalSet`: tasks spawned from the `block_on` thread are local tasks, which is
//! what lets tokio run futures that are not `Send`).
//!
//! Run with `cargo run -p runtime-tokio -- --flavor current-thread race`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. Its default configuration is the first flavor above;
//! `ASYNC_LAB_FLAVOR=current-thread` (or `local`) picks another.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Tokio);

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::env::{self, Variable};
#[cfg(feature = "lab")]
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::handle::Spawned;
use async_lab_runtime::registry::{
    BlockInPlace, BlockingPool, BlockingThreads, BusyTask, Capabilities, ChannelKind,
    Configuration, DetachedTask, DroppedHandle, Flavor as _, Http, IdleThreads, InPlace, Io,
    IoModel, LocalSpawn, NestedBlockOn, OwnTimeout, PanicOnAwait, PollsOn, RuntimeDrop, Sockets,
    Timer,
};
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use async_lab_runtime::runtime::{Executor, LocalTask, TaskError};
use tokio::task::LocalSet;

/// `tokio::task::block_in_place`, which works on the multi-thread runtime's workers.
const BLOCK_IN_PLACE: BlockInPlace = BlockInPlace {
    name: "tokio::task::block_in_place",
    run: |work| tokio::task::block_in_place(work),
    in_a_task: InPlace::Works,
};

/// What every tokio configuration shares.
const TOKIO: Capabilities = Capabilities {
    polls_on: PollsOn::Workers,
    takes_workers: true,
    raw_spawn: "tokio::spawn",
    dropped_handle: DroppedHandle::Detaches,
    panic: PanicOnAwait::Error,
    // tokio/src/runtime/builder.rs: `max_blocking_threads: 512`; blocking/pool.rs:
    // `KEEP_ALIVE` is 10 s.
    blocking: Some(BlockingPool {
        spawn: "tokio::task::spawn_blocking",
        threads: BlockingThreads {
            max: Some(512),
            cap_setting: Some("Builder::max_blocking_threads"),
            idle: IdleThreads::KeptFor(10),
        },
    }),
    own_timeout: Some(OwnTimeout {
        name: "tokio::time::timeout",
        run: |duration, task| {
            Box::pin(async move { Ok(tokio::time::timeout(duration, task).await.is_ok()) })
        },
    }),
    timer: TOKIO_TIMER,
    io: TOKIO_SOCKETS,
    channel: ChannelKind::TokioMpsc,
    http: Http::OwnReactor,
    local_spawn: None,
    block_on: "Runtime::block_on",
    nested_block_on: NestedBlockOn::Panics,
    busy_task: BusyTask::OthersRunElsewhere,
    block_in_place: Some(BLOCK_IN_PLACE),
    detached_task: DetachedTask::RunsUntilDrop,
    runtime_drop: RuntimeDrop::StopsAndWaits,
    scoped_spawn: None,
    task_may_move: true,
};

async_lab_runtime::flavors! {
    /// tokio's flavors.
    pub enum Flavor {
        /// tokio's work-stealing pool.
        MultiThread => Configuration {
            runtime: "tokio",
            flavor: "multi-thread",
            about: "tokio's work-stealing pool, one worker per core (--workers N)",
            capabilities: TOKIO,
        },
        /// Every task on the `block_on` thread.
        CurrentThread => Configuration {
            runtime: "tokio",
            flavor: "current-thread",
            about: "every task polled on the thread that calls block_on",
            capabilities: Capabilities {
                polls_on: PollsOn::BlockOnThread,
                takes_workers: false,
                busy_task: BusyTask::StarvesOthers,
                block_in_place: Some(BlockInPlace {
                    in_a_task: InPlace::Panics,
                    ..BLOCK_IN_PLACE
                }),
                detached_task: DetachedTask::PausedUntilDrop,
                task_may_move: false,
                ..TOKIO
            },
        },
        /// A current-thread runtime with a `LocalSet`.
        Local => Configuration {
            runtime: "tokio",
            flavor: "local",
            about: "a current-thread runtime with a LocalSet: tasks spawned on the block_on thread are local tasks",
            capabilities: Capabilities {
                polls_on: PollsOn::BlockOnThread,
                takes_workers: false,
                raw_spawn: "LocalSet::spawn_local",
                local_spawn: Some(LocalSpawn {
                    name: "tokio::task::spawn_local",
                    spawn: spawn_on_local_set,
                }),
                block_on: "LocalSet::block_on",
                busy_task: BusyTask::StarvesOthers,
                block_in_place: Some(BlockInPlace {
                    in_a_task: InPlace::Panics,
                    ..BLOCK_IN_PLACE
                }),
                // A fresh LocalSet for every block_on, dropped with its tasks at the end.
                detached_task: DetachedTask::StoppedWithBlockOn,
                task_may_move: false,
                ..TOKIO
            },
        },
    }
}

/// tokio's environment variables: every runtime that runs tokio reads them
/// (runtime-trpl names these too).
pub const TOKIO_VARIABLES: &[Variable] = &[
    Variable {
        names: &["TOKIO_WORKER_THREADS"],
        read_by: "tokio's multi-thread runtime (runtime-tokio without --workers, trpl, the book's trpl)",
        takes: env::POOL,
        why: "tokio panics on 0 or on anything but a number, and a pool wants about one thread per core",
    },
    Variable {
        names: &["TOKIO_UNSTABLE_SHARDED_BLOCKING_QUEUE"],
        read_by: "tokio: an unstable layout of its blocking pool's queue",
        takes: env::Takes::Anything,
        why: "any value is either on or off",
    },
];

/// tokio's timer: driven by the runtime's own threads, with no thread of its own (trpl's
/// too, as trpl runs tokio).
pub const TOKIO_TIMER: Timer = Timer {
    name: "tokio",
    thread: None,
    held_back_by_yields: false,
    millisecond_ticks: true,
};

/// tokio's sockets: readiness, through mio (epoll), waited on by whichever of the runtime's
/// own threads has nothing else to do: no reactor thread (trpl's too).
pub const TOKIO_SOCKETS: Io = Io {
    driver: "epoll, through mio (tokio's driver)",
    model: IoModel::Readiness,
    thread: None,
    sockets: Sockets::Tokio,
    kernel_worker: None,
};

/// tokio's thread names: tokio names its workers and its blocking pool's threads alike
/// (`tokio-runtime-w`), so a thread so named is a worker if it marked itself or polled a
/// task, and idle otherwise (runtime-trpl names these too).
pub const TOKIO_THREAD_NAMES: &[ThreadName] = &[ThreadName::unless_it_polled("tokio-", Role::Idle)];

/// A tokio runtime in one of its flavors.
#[derive(Clone, Debug)]
pub struct Tokio {
    runtime: Arc<tokio::runtime::Runtime>,
    flavor: Flavor,
}

thread_local! {
    /// The `LocalSet` that this thread's `block_on` is running (flavor `local`), if any.
    static LOCAL_SET: RefCell<Option<Rc<LocalSet>>> = const { RefCell::new(None) };
}

/// Puts the thread's previous `LocalSet` back however `block_on` ends: also when it
/// unwinds, as a `block_on` called inside a task does (`nested-block-on`).
struct RestoreLocalSet(Option<Rc<LocalSet>>);

impl Drop for RestoreLocalSet {
    fn drop(&mut self) {
        let previous = self.0.take();
        LOCAL_SET.with(|l| l.replace(previous));
    }
}

/// Spawns `task` on the `LocalSet` of the `local` flavor's `block_on` running on this
/// thread; dropping the handle detaches the task, which stays on this thread.
fn spawn_on_local_set(task: LocalTask) -> Result<(), TaskError> {
    match LOCAL_SET.with(|l| l.borrow().clone()) {
        Some(local) => {
            drop(local.spawn_local(task));
            Ok(())
        }
        None => Err(TaskError::Unsupported(
            "no LocalSet on this thread: call it on the thread that runs the local flavor's block_on".into(),
        )),
    }
}

impl Tokio {
    /// Builds the runtime of `flavor`, with `workers` workers and at most
    /// `blocking_cap` threads for blocking work where given.
    fn build(
        flavor: Flavor,
        workers: Option<usize>,
        blocking_cap: Option<usize>,
    ) -> Result<Tokio, BuildError> {
        let mut builder = match (flavor, workers) {
            (Flavor::MultiThread, _) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                if let Some(n) = workers {
                    builder.worker_threads(n);
                }
                builder
            }
            (Flavor::CurrentThread | Flavor::Local, Some(_)) => {
                return Err(BuildError::Usage(format!(
                    "{} has no workers: every task runs on the block_on thread",
                    flavor.configuration().flavor
                )));
            }
            (Flavor::CurrentThread | Flavor::Local, None) => {
                tokio::runtime::Builder::new_current_thread()
            }
        };
        if let Some(cap) = blocking_cap {
            builder.max_blocking_threads(cap);
        }
        // Only worker threads park; blocking-pool threads (which tokio names the same way)
        // never call this hook. That is how the report tells them apart.
        builder
            .enable_all()
            .on_thread_park(|| census::mark_current(Role::Worker));
        let runtime = builder
            .build()
            .map_err(|e| BuildError::Start(format!("cannot start tokio: {e}")))?;
        Ok(Tokio {
            runtime: Arc::new(runtime),
            flavor,
        })
    }

    fn is_local(&self) -> bool {
        self.flavor == Flavor::Local
    }

    /// The `LocalSet` of the running `block_on`, when this is the `local` flavor and the
    /// caller is on its thread.
    fn local_set(&self) -> Option<Rc<LocalSet>> {
        if self.is_local() {
            LOCAL_SET.with(|l| l.borrow().clone())
        } else {
            None
        }
    }
}

impl Executor for Tokio {
    type Flavor = Flavor;

    const VARIABLES: &'static [Variable] = TOKIO_VARIABLES;

    // A worker marks itself when it parks (see `build`); a blocking-pool thread never does.
    const THREAD_NAMES: &'static [ThreadName] = TOKIO_THREAD_NAMES;

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        Tokio::build(flavor, workers, None)
    }

    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        if !self.is_local() {
            return self.runtime.block_on(future);
        }
        // A fresh LocalSet for every block_on: its tasks are dropped with it at the end.
        let local = Rc::new(LocalSet::new());
        let _previous = RestoreLocalSet(LOCAL_SET.with(|l| l.replace(Some(local.clone()))));
        local.block_on(&self.runtime, future)
    }

    type Handle<T: Send + 'static> = Spawned<TokioJoin<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Dropping a tokio JoinHandle detaches the task. From another thread than the
        // block_on's, a `local` runtime's task goes to the runtime's own queue, which the
        // same one thread polls.
        Spawned::Started(TokioJoin(match self.local_set() {
            Some(local) => local.spawn_local(future),
            None => self.runtime.spawn(future),
        }))
    }

    // Not an `async fn`: that would borrow `self`, and the timer must be `'static`.
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // Created on first poll, inside the runtime, where tokio's timer is.
        async move { tokio::time::sleep(duration).await }
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }

    #[allow(clippy::manual_async_fn)] // `async fn` would borrow `self`; this must be `'static`.
    fn read_to_string(
        &self,
        path: PathBuf,
    ) -> impl Future<Output = io::Result<String>> + Send + 'static {
        // tokio::fs runs std::fs on tokio's blocking pool.
        async move { tokio::fs::read_to_string(path).await }
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Tokio {
    fn cap_blocking_pool(&self, cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        Tokio::build(self.flavor, None, Some(cap.get()))
            .map_err(|e| TaskError::SpawnFailed(e.to_string()))
    }

    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let handle = match self.local_set() {
            Some(local) => local.spawn_local(task),
            None => self.runtime.spawn(task),
        };
        async_lab_runtime::runtime::raw_handle(handle, |result| {
            result.map(|()| true).map_err(|e| e.to_string())
        })
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        drop(self.runtime.spawn_blocking(work));
        Ok(())
    }
}

/// tokio's `JoinHandle` (also trpl's): dropping it detaches the task, as tokio does.
#[derive(Debug)]
pub struct TokioJoin<T>(pub tokio::task::JoinHandle<T>);

impl<T> Future for TokioJoin<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|result| {
            result.map_err(|error| match error.try_into_panic() {
                Ok(payload) => TaskError::from_panic(&*payload),
                // Aborted, or dropped with its runtime.
                Err(_) => TaskError::Cancelled,
            })
        })
    }
}

/// True when the calling code runs inside a tokio runtime (where `tokio::spawn` works).
pub fn in_tokio_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}
