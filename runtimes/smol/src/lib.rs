//! smol, in three configurations: `global` (the default: `smol::spawn`'s global executor,
//! whose threads smol starts on first use, `SMOL_THREADS` of them, one by default),
//! `executor` (an explicit `smol::Executor` run by `--workers` threads of our own,
//! one per core by default) and `local` (a `smol::LocalExecutor` driven by the thread
//! that calls `block_on`, which is what lets smol run futures that are not `Send`).
//! Timers and I/O go through async-io's reactor thread; blocking work through the
//! `blocking` crate's pool.
//!
//! Run with `cargo run -p runtime-smol -- --flavor executor --workers 2`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. Its default configuration is the first flavor above;
//! `ASYNC_LAB_FLAVOR=executor` (or `local`) picks another.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Smol);

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::env::{self, Variable};
#[cfg(feature = "lab")]
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::handle::{Spawned, poll_catching};
use async_lab_runtime::registry::{
    ASYNC_IO_SOCKETS, ASYNC_IO_TIMER, BLOCKING_CRATE, BlockingPool, BusyTask, Capabilities,
    ChannelKind, Configuration, DetachedTask, DroppedHandle, Http, LocalSpawn, NestedBlockOn,
    PanicOnAwait, PollsOn, RuntimeDrop, Scope, ScopedSpawn,
};
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use async_lab_runtime::runtime::{LocalTask, TaskError};

/// What every smol configuration shares.
const SMOL: Capabilities = Capabilities {
    polls_on: PollsOn::Workers,
    takes_workers: false,
    raw_spawn: "smol::spawn",
    dropped_handle: DroppedHandle::Cancels,
    panic: PanicOnAwait::Propagates,
    blocking: Some(BlockingPool {
        spawn: "blocking::unblock",
        threads: BLOCKING_CRATE,
    }),
    own_timeout: None,
    timer: ASYNC_IO_TIMER,
    io: ASYNC_IO_SOCKETS,
    channel: ChannelKind::AsyncChannel,
    http: Http::CompatBridge,
    local_spawn: None,
    block_on: "smol::block_on",
    nested_block_on: NestedBlockOn::Blocks,
    // One thread (SMOL_THREADS) runs the global executor's tasks.
    busy_task: BusyTask::StarvesOthers,
    block_in_place: None,
    detached_task: DetachedTask::RunsUntilExit,
    runtime_drop: RuntimeDrop::StopsNothing,
    scoped_spawn: Some(ScopedSpawn {
        name: "smol::Executor<'a>",
        how: Scope::Executor,
    }),
    // One thread (SMOL_THREADS) runs the global executor's tasks.
    task_may_move: false,
};

async_lab_runtime::flavors! {
    /// smol's flavors.
    pub enum Flavor {
        /// `smol::spawn`'s global executor.
        Global => Configuration {
            runtime: "smol",
            flavor: "global",
            about: "smol::spawn's global executor (SMOL_THREADS threads, one by default)",
            capabilities: SMOL,
        },
        /// An explicit `smol::Executor` on threads of our own.
        Executor => Configuration {
            runtime: "smol",
            flavor: "executor",
            about: "an explicit smol::Executor run by --workers N threads (one per core by default)",
            capabilities: Capabilities {
                takes_workers: true,
                raw_spawn: "Executor::spawn",
                nested_block_on: NestedBlockOn::Works,
                busy_task: BusyTask::OthersRunElsewhere,
                task_may_move: true,
                ..SMOL
            },
        },
        /// A `smol::LocalExecutor` on the `block_on` thread.
        Local => Configuration {
            runtime: "smol",
            flavor: "local",
            about: "a smol::LocalExecutor driven by the thread that calls block_on",
            capabilities: Capabilities {
                polls_on: PollsOn::BlockOnThread,
                raw_spawn: "LocalExecutor::spawn",
                local_spawn: Some(LocalSpawn {
                    name: "LocalExecutor::spawn",
                    spawn: spawn_on_local_executor,
                }),
                // A fresh LocalExecutor for every block_on, dropped with its tasks.
                detached_task: DetachedTask::StoppedWithBlockOn,
                scoped_spawn: Some(ScopedSpawn {
                    name: "smol::LocalExecutor<'a>",
                    how: Scope::LocalExecutor,
                }),
                ..SMOL
            },
        },
    }
}

/// smol, in one of its configurations.
#[derive(Clone, Debug)]
pub struct Smol {
    executor: Executor,
    flavor: Flavor,
}

/// Which executor runs the tasks.
#[derive(Clone, Debug)]
enum Executor {
    /// `smol::spawn`'s.
    Global,
    /// An explicit multi-threaded one, run by threads of our own.
    Threads(Arc<smol::Executor<'static>>),
    /// A `LocalExecutor` per `block_on`, on its thread (see [`LOCAL`]).
    Local,
}

thread_local! {
    /// The `LocalExecutor` that this thread's `block_on` is running (flavor `local`).
    static LOCAL: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> = const { RefCell::new(None) };
}

/// Puts the thread's previous `LocalExecutor` back however `block_on` ends: also when it
/// unwinds.
struct RestoreLocal(Option<Rc<smol::LocalExecutor<'static>>>);

impl Drop for RestoreLocal {
    fn drop(&mut self) {
        let previous = self.0.take();
        LOCAL.with(|l| l.replace(previous));
    }
}

/// Why a `local` runtime cannot take a task from this thread.
const NOT_ON_LOCAL_THREAD: &str = "a LocalExecutor only takes tasks on the thread that runs it";

/// Spawns `task` on the `LocalExecutor` of the `local` flavor's `block_on` running on this
/// thread, detached.
fn spawn_on_local_executor(task: LocalTask) -> Result<(), TaskError> {
    match LOCAL.with(|l| l.borrow().clone()) {
        Some(local) => {
            local.spawn(task).detach();
            Ok(())
        }
        None => Err(TaskError::Unsupported(NOT_ON_LOCAL_THREAD.into())),
    }
}

impl Smol {
    /// Spawns `future` on this configuration's executor, with smol's own handle.
    fn spawn_task<F>(&self, future: F) -> Result<smol::Task<F::Output>, TaskError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(match &self.executor {
            Executor::Global => smol::spawn(future),
            Executor::Threads(executor) => executor.spawn(future),
            Executor::Local => LOCAL
                .with(|l| l.borrow().as_ref().map(|local| local.spawn(future)))
                .ok_or_else(|| TaskError::Unsupported(NOT_ON_LOCAL_THREAD.into()))?,
        })
    }
}

impl async_lab_runtime::Executor for Smol {
    type Flavor = Flavor;

    const VARIABLES: &'static [Variable] = &[
        Variable {
            names: &["SMOL_THREADS"],
            read_by: "smol's global executor",
            takes: env::POOL,
            why: "with 0 smol starts no executor thread, so no task would ever run; it reads anything but a number as 1 without a word",
        },
        env::BLOCKING_MAX_THREADS,
    ];

    // The global executor's threads (`smol-N`), async-io's reactor and the blocking
    // crate's pool.
    const THREAD_NAMES: &'static [ThreadName] = &[
        ThreadName::new("smol-", Role::Worker),
        census::ASYNC_IO,
        census::BLOCKING,
    ];

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        let executor = match (flavor, workers) {
            (Flavor::Executor, _) => {
                let n = workers
                    .unwrap_or_else(|| thread::available_parallelism().map_or(1, usize::from));
                Executor::Threads(start_executor(n).map_err(BuildError::Start)?)
            }
            (Flavor::Global, Some(_)) => {
                return Err(
                    "smol's global executor takes its thread count from SMOL_THREADS, not --workers"
                        .into(),
                );
            }
            (Flavor::Local, Some(_)) => {
                return Err("local has no workers: every task runs on the block_on thread".into());
            }
            (Flavor::Local, None) => Executor::Local,
            (Flavor::Global, None) => Executor::Global,
        };
        Ok(Smol { executor, flavor })
    }

    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // The main future runs on the calling thread; spawned tasks on the executor's.
        if !matches!(self.executor, Executor::Local) {
            return smol::block_on(future);
        }
        // A fresh LocalExecutor for every block_on: its tasks are dropped with it.
        let local = Rc::new(smol::LocalExecutor::new());
        let _previous = RestoreLocal(LOCAL.with(|l| l.replace(Some(local.clone()))));
        smol::block_on(local.run(future))
    }

    type Handle<T: Send + 'static> = Spawned<Detaching<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // smol *cancels* a task whose handle is dropped; `Detaching` detaches it instead.
        match self.spawn_task(future) {
            Ok(task) => Spawned::Started(Detaching::new(task)),
            Err(error) => Spawned::failed(error),
        }
    }

    // Not an `async fn`: that would borrow `self`, and the timer must be `'static`.
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async move {
            async_io::Timer::after(duration).await;
        }
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        smol::future::yield_now()
    }

    #[allow(clippy::manual_async_fn)] // `async fn` would borrow `self`; this must be `'static`.
    fn read_to_string(
        &self,
        path: PathBuf,
    ) -> impl Future<Output = io::Result<String>> + Send + 'static {
        // smol::fs (async-fs) runs std::fs on the `blocking` pool.
        async move { smol::fs::read_to_string(path).await }
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Smol {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        match self.spawn_task(task) {
            Ok(task) => async_lab_runtime::runtime::raw_handle(task, |()| Ok(true)),
            Err(e) => Box::pin(std::future::ready(Err(e.to_string()))),
        }
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        blocking::unblock(work).detach();
        Ok(())
    }

    fn cap_blocking_pool(&self, cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        // The blocking crate has one pool for the whole process.
        blocking::set_max_blocking_threads(cap);
        Ok(self.clone())
    }
}

/// Starts `n` threads that run `executor` for as long as the process lives.
fn start_executor(n: usize) -> Result<Arc<smol::Executor<'static>>, String> {
    let executor = Arc::new(smol::Executor::new());
    for i in 0..n {
        let executor = executor.clone();
        thread::Builder::new()
            .name(format!("smol-exec-{i}"))
            .spawn(move || {
                census::mark_current(Role::Worker);
                smol::block_on(executor.run(std::future::pending::<()>()));
            })
            .map_err(|e| format!("cannot start a smol executor thread: {e}"))?;
    }
    Ok(executor)
}

/// smol's `Task`, detached when dropped: smol itself *cancels* a task whose handle is
/// dropped, and the book's rule is tokio's. A panic the task carries into the awaiting
/// task is caught and turned into [`TaskError::Panicked`].
#[derive(Debug)]
pub struct Detaching<T>(Option<async_executor::FallibleTask<T>>);

impl<T> Detaching<T> {
    /// Wraps `task`, whose handle now detaches it when dropped.
    pub fn new(task: smol::Task<T>) -> Detaching<T> {
        Detaching(Some(task.fallible()))
    }
}

impl<T> Drop for Detaching<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

impl<T> Future for Detaching<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.0.as_mut() else {
            return Poll::Ready(Err(TaskError::Cancelled));
        };
        // `None`: the executor dropped the task unfinished.
        poll_catching(task, cx).map(|result| result?.ok_or(TaskError::Cancelled))
    }
}
