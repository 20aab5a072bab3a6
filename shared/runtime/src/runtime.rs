//! The `Runtime` trait: the few things an experiment needs from an executor.
//!
//! Each `runtimes/<rt>` crate implements it; experiments are generic over it. The trait is
//! kept small on purpose: a runtime only says how to run a future to completion on the
//! current thread (`block_on`), how to start a task and get the runtime's own typed
//! handle to it (`spawn`, adapted by [`crate::handle`]: awaiting gives a `Result`,
//! dropping detaches), and which of its own timers and yields to use. What is built on
//! top (tracing, the book API's scopes) is written once, here and in `book_api`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::channel::oneshot;

use crate::census::ThreadName;
use crate::env::Variable;
use crate::registry::{Configuration, Flavor};
use crate::trace;

/// A boxed, sendable future with no result: what [`Runtime::spawn_raw`] takes.
pub type BoxTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A runtime's own join handle, as a future: `Err` with the runtime's error message when
/// awaiting it reports one; `Ok(true)` when the task finished (or finished in time).
pub type RawHandle = Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'static>>;

/// A boxed future that need not be `Send`: what a [`LocalSpawn`](crate::registry::LocalSpawn) takes.
pub type LocalTask = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// A blocking closure handed to `spawn_blocking`.
pub type BlockingWork = Box<dyn FnOnce() + Send + 'static>;

/// An async executor, in one of its configurations ("flavors").
///
/// [`Capabilities::raw_spawn`]: crate::registry::Capabilities::raw_spawn
///
/// Implementations are cheap to clone: an experiment clones the runtime into every task
/// that needs to sleep or spawn.
pub trait Runtime: Clone + Send + Sync + 'static {
    /// This runtime's flavors, as a type: its configurations, as data (see
    /// [`crate::registry`]), one per variant; the first is the default.
    type Flavor: Flavor;

    /// This runtime's configurations, the first the default: its flavors' (every list of
    /// configurations in the workspace is read from these).
    const CONFIGURATIONS: &'static [Configuration] = <Self::Flavor as Flavor>::CONFIGURATIONS;

    /// The runtime's name as the report shows it: `tokio`, `smol`, `async-std`, ...
    const NAME: &'static str = Self::CONFIGURATIONS[0].runtime;

    /// The names this runtime, and the crates it runs on, give their threads, and the role
    /// of a thread so named (see [`crate::census`]): how the thread report tells a reactor
    /// or a blocking pool from a worker where the runtime does not mark its threads.
    const THREAD_NAMES: &'static [ThreadName] = &[];

    /// The environment variables this runtime, and the crates it runs on, read (see
    /// [`crate::env`]): each checked before the runtime starts.
    const VARIABLES: &'static [Variable] = &[];

    /// Builds the runtime in `flavor` with an optional number of worker threads. The error
    /// is a one-line message for the user.
    fn new(flavor: Self::Flavor, workers: Option<usize>) -> Result<Self, String>;

    /// The flavor this runtime was built in.
    fn flavor(&self) -> Self::Flavor;

    /// The configuration this runtime was built with: its flavor's.
    fn configuration(&self) -> &'static Configuration {
        self.flavor().configuration()
    }

    /// Runs `future` to completion on the calling thread, driving the executor as needed.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// The runtime's own handle to a task, adapted (see [`crate::handle`]): awaiting it
    /// gives the task's output, [`TaskError::Panicked`] when it panicked, or
    /// [`TaskError::Cancelled`] when it was dropped unfinished; dropping it detaches the
    /// task, on every runtime. It also carries the error of a spawn that failed.
    type Handle<T: Send + 'static>: Future<Output = Result<T, TaskError>> + Send + Unpin + 'static;

    /// Starts `future` as a task on the executor, unboxed, with nothing allocated beyond
    /// the runtime's own spawn (one channel where the runtime has no handle worth
    /// adapting: see [`crate::handle`]). When this runtime cannot spawn from the calling
    /// thread (a local pool spawned into from another thread, say), the handle gives
    /// [`TaskError::Unsupported`].
    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The runtime's own timer.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// The runtime's own way to hand control back to the executor once.
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;

    /// Runs blocking `work` on the runtime's thread pool for blocking work. Runtimes that
    /// have none return [`TaskError::Unsupported`] naming what is missing.
    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError>;

    /// Reads a whole file the way this runtime's ecosystem does. The default, for
    /// runtimes with no file API, reads it on a thread of its own.
    fn read_to_string(
        &self,
        path: PathBuf,
    ) -> impl Future<Output = io::Result<String>> + Send + 'static {
        let (sender, receiver) = oneshot::channel();
        let started = std::thread::Builder::new()
            .name("read-to-string".into())
            .spawn(move || {
                let _ = sender.send(std::fs::read_to_string(path));
            });
        async move {
            started?;
            receiver.await.unwrap_or_else(|_| {
                Err(io::Error::other(
                    "the reading thread ended without an answer",
                ))
            })
        }
    }

    /// Spawns `task` with the runtime's own API ([`Capabilities::raw_spawn`](crate::registry::Capabilities::raw_spawn)), with none of this crate's wrapping, and
    /// gives its own handle as a future. Dropping that future drops the runtime's handle,
    /// with the runtime's own meaning (tokio detaches the task, smol cancels it); awaiting
    /// it does what the runtime does with a task that panicked (an error, or the panic
    /// carried into the awaiting task).
    fn spawn_raw(&self, task: BoxTask) -> RawHandle;

    /// This configuration with its pool for blocking work capped at `cap` threads through
    /// the runtime's own setting ([`BlockingThreads::cap_setting`]), where it has one:
    /// tokio builds a new runtime with `Builder::max_blocking_threads`; the `blocking`
    /// crate's cap is the whole process's (`blocking::set_max_blocking_threads`), so it
    /// caps this runtime too. The default: [`TaskError::Unsupported`]. Drop a new tokio
    /// runtime outside async code: tokio panics when a runtime is dropped inside it.
    ///
    /// [`BlockingThreads::cap_setting`]: crate::registry::BlockingThreads::cap_setting
    fn cap_blocking_pool(&self, _cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        Err(TaskError::Unsupported(format!(
            "{} ({}) has no setting that caps its pool for blocking work",
            self.configuration().runtime,
            self.configuration().flavor
        )))
    }

    /// Facts about this runtime that every report should carry (async-std being
    /// discontinued, say).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Why a task gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task panicked; the message is the panic's, where it was a string.
    Panicked(String),
    /// The task was dropped before it finished (its executor shut down, for example).
    Cancelled,
    /// The runtime has no way to do this; the string says what is missing.
    Unsupported(String),
    /// The runtime could not start the task; the string says why.
    SpawnFailed(String),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panicked(msg) => write!(f, "task panicked: {msg}"),
            TaskError::Cancelled => f.write_str("task was cancelled before it finished"),
            TaskError::Unsupported(what) => write!(f, "not supported: {what}"),
            TaskError::SpawnFailed(why) => write!(f, "could not start the task: {why}"),
        }
    }
}

impl std::error::Error for TaskError {}

impl TaskError {
    /// The error for a task that panicked with `payload`.
    pub fn from_panic(payload: &(dyn Any + Send)) -> TaskError {
        TaskError::Panicked(panic_message(payload))
    }

    /// True when the task panicked (as tokio's `JoinError::is_panic`).
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// True when the task was cancelled (as tokio's `JoinError::is_cancelled`).
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }
}

/// A handle to a task that sends its result down a channel: for runtimes with no handle
/// of their own (a thread per task, the pools for blocking work). Awaiting it gives the
/// task's output, or why there is none. Dropping it detaches the task: it keeps running.
pub struct JoinHandle<T> {
    // The error is boxed, so that the handle of a task that did start is two pointers.
    result: Result<oneshot::Receiver<Result<T, TaskError>>, Box<TaskError>>,
}

impl<T> JoinHandle<T> {
    /// The handle of a task that will send its result to `receiver`'s sender; a dropped
    /// sender means the task was cancelled.
    pub fn new(receiver: oneshot::Receiver<Result<T, TaskError>>) -> JoinHandle<T> {
        JoinHandle {
            result: Ok(receiver),
        }
    }

    /// The handle of a task that could not start.
    pub fn failed(error: TaskError) -> JoinHandle<T> {
        JoinHandle {
            result: Err(Box::new(error)),
        }
    }

    /// `future` as a task that sends its output (or its panic, as
    /// [`TaskError::Panicked`]) to the handle that comes with it. Spawn the task; a task
    /// dropped unfinished gives [`TaskError::Cancelled`].
    pub fn reporting<F>(future: F) -> (impl Future<Output = ()> + Send + 'static, JoinHandle<T>)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let task = async move {
            let result = AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .map_err(|payload| TaskError::from_panic(&*payload));
            // The receiver may be gone: the handle was dropped and the task detached.
            let _ = sender.send(result);
        };
        (task, JoinHandle::new(receiver))
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.result {
            Ok(receiver) => receiver
                .poll_unpin(cx)
                .map(|r| r.unwrap_or(Err(TaskError::Cancelled))),
            Err(e) => Poll::Ready(Err(TaskError::clone(e))),
        }
    }
}

/// Spawns `future` on `rt` as a task called `name`, traced (see [`trace`]): the lab's
/// spawn, outside the book API's scopes. A panic comes back as [`TaskError::Panicked`].
pub fn spawn<R, F>(rt: &R, name: impl Into<String>, future: F) -> R::Handle<F::Output>
where
    R: Runtime,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Not wrapped with tracing off (see `book_api::spawn_named`).
    if trace::is_enabled() {
        rt.spawn(trace::traced(name, future))
    } else {
        rt.spawn(future)
    }
}

/// Runs blocking `work` on `rt`'s blocking pool and gives a handle to its result.
pub fn spawn_blocking<R, T, W>(rt: &R, work: W) -> JoinHandle<T>
where
    R: Runtime,
    W: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    let job = move || {
        // Whatever runs this closure is the runtime's pool for blocking work.
        crate::census::mark_current(crate::census::Role::BlockingPool);
        let result = std::panic::catch_unwind(AssertUnwindSafe(work))
            .map_err(|payload| TaskError::from_panic(&*payload));
        let _ = sender.send(result);
    };
    match rt.spawn_blocking(Box::new(job)) {
        Ok(()) => JoinHandle::new(receiver),
        Err(error) => JoinHandle::failed(error),
    }
}

/// Scales a duration by the run's `--time-scale`.
pub fn scaled(duration: Duration, time_scale: f64) -> Duration {
    duration.mul_f64(time_scale)
}

/// The message of a caught panic, where the payload was a string.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}

/// Hands control back to the executor once: wakes itself, then returns `Pending` one time.
/// For executors that have no `yield_now` of their own.
pub async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// True when the calling code runs inside a tokio runtime (where `tokio::spawn` works).
pub fn in_tokio_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}
