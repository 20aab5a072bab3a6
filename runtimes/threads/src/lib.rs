//! The baseline the chapter opens with: no executor at all. Every spawned task gets an OS
//! thread of its own, which drives it with a plain `futures::executor::block_on`, just
//! as "a dedicated thread per download" would. Sleeps use futures-timer's one thread.
//!
//! Run with `cargo run -p runtime-threads -- page-title`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Threads);

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::registry::{
    BlockingPool, BlockingThreads, BusyTask, COMPAT_SOCKETS, Capabilities, ChannelKind,
    Configuration, DetachedTask, DroppedHandle, FUTURES_TIMER, Http, IdleThreads, NestedBlockOn,
    PanicOnAwait, PollsOn, RuntimeDrop, Scope, ScopedSpawn,
};
use async_lab_runtime::runtime::{self, Executor, TaskError};
#[cfg(feature = "lab")]
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};

async_lab_runtime::flavors! {
    /// Threads's one flavor.
    pub enum Flavor {
        /// A thread per task.
        ThreadPerTask => Configuration {
            runtime: "threads",
            flavor: "thread-per-task",
            about: "no executor: every task gets an OS thread of its own, driving it with a plain block_on",
            capabilities: Capabilities {
                polls_on: PollsOn::ThreadPerTask,
                takes_workers: false,
                raw_spawn: "std::thread::spawn",
                dropped_handle: DroppedHandle::Detaches,
                panic: PanicOnAwait::Error,
                blocking: Some(BlockingPool {
                    spawn: "std::thread::spawn",
                    threads: BlockingThreads {
                        max: None,
                        cap_setting: None,
                        idle: IdleThreads::EndsWithJob,
                    },
                }),
                own_timeout: None,
                timer: FUTURES_TIMER,
                io: COMPAT_SOCKETS,
                channel: ChannelKind::FuturesMpsc,
                http: Http::CompatBridge,
                local_spawn: None,
                block_on: "futures::executor::block_on",
                nested_block_on: NestedBlockOn::Panics,
                busy_task: BusyTask::OthersRunElsewhere,
                block_in_place: None,
                detached_task: DetachedTask::RunsUntilExit,
                runtime_drop: RuntimeDrop::StopsNothing,
                scoped_spawn: Some(ScopedSpawn {
                    name: "std::thread::scope",
                    how: Scope::Threads,
                }),
                task_may_move: false,
            },
        },
    }
}

/// One OS thread per task.
#[derive(Clone, Copy, Debug)]
pub struct Threads;

static NEXT_TASK: AtomicUsize = AtomicUsize::new(1);

impl Executor for Threads {
    type Flavor = Flavor;

    // futures-timer's one thread fires every sleep.
    const THREAD_NAMES: &'static [ThreadName] = &[ThreadName::new("futures-timer", Role::Timer)];

    fn new(_flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        match workers {
            None => Ok(Threads),
            Some(_) => {
                Err("thread-per-task has no pool: every task gets a thread of its own".into())
            }
        }
    }

    fn flavor(&self) -> Flavor {
        Flavor::ThreadPerTask
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    type Handle<T: Send + 'static> = runtime::JoinHandle<T>;

    fn spawn<F>(&self, future: F) -> runtime::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // A thread has a handle of its own, but joining it would block.
        let (task, handle) = runtime::JoinHandle::reporting(future);
        match task_thread(task) {
            Ok(_) => handle,
            Err(e) => runtime::JoinHandle::failed(TaskError::SpawnFailed(format!(
                "cannot start a thread: {e}"
            ))),
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
impl LabRuntime for Threads {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let thread = task_thread(task);
        // Joining a thread blocks: this baseline has nothing better to offer.
        Box::pin(async move {
            let thread = thread.map_err(|e| format!("cannot start a thread: {e}"))?;
            thread
                .join()
                .map(|()| true)
                .map_err(|payload| runtime::panic_message(&*payload))
        })
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        let n = NEXT_TASK.fetch_add(1, Ordering::Relaxed);
        thread::Builder::new()
            .name(format!("blocking-{n}"))
            .spawn(work)
            .map(drop)
            .map_err(|e| TaskError::SpawnFailed(format!("cannot start a thread: {e}")))
    }
}

/// Starts the thread of its own that `task` gets: it drives the task with a plain
/// `block_on` and ends with it.
fn task_thread<F>(task: F) -> std::io::Result<thread::JoinHandle<()>>
where
    F: Future<Output = ()> + Send + 'static,
{
    let n = NEXT_TASK.fetch_add(1, Ordering::Relaxed);
    thread::Builder::new()
        .name(format!("task-{n}"))
        .spawn(move || {
            census::mark_current(Role::Worker);
            futures::executor::block_on(task);
        })
}
