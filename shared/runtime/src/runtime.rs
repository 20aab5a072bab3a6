//! The lab's [`Runtime`] trait, on top of the learner's [`Executor`], and the types both
//! share: [`TaskError`], the channel-backed [`JoinHandle`], the lab's traced [`spawn`].
//!
//! Each `runtimes/<rt>` crate implements both; experiments are generic over [`Runtime`],
//! the `trpl` API over [`Executor`] alone.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::channel::oneshot;

pub use crate::executor::Executor;
use crate::trace;

/// A boxed, sendable future with no result: what [`Runtime::spawn_raw`] takes.
pub type BoxTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A runtime's own join handle, as a future: `Err` with the runtime's error message when
/// awaiting it reports one; `Ok(true)` when the task finished (or finished in time). Made
/// with [`raw_handle`] where the runtime has a handle to poll, so that every poll, one
/// after `Ready` too (`poll-after-ready`), is the handle's own.
pub type RawHandle = Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'static>>;

/// `handle`, a runtime's own join handle, as a [`RawHandle`], its output turned by `map`.
/// No `async` block around it: each poll is `handle`'s own poll, so that polled again
/// after `Ready` it does what the runtime's handle does (an `async` block would panic
/// with the compiler's words instead).
pub fn raw_handle<H, M>(mut handle: H, mut map: M) -> RawHandle
where
    H: Future + Unpin + Send + 'static,
    M: FnMut(H::Output) -> Result<bool, String> + Send + 'static,
{
    Box::pin(std::future::poll_fn(move |cx| {
        handle.poll_unpin(cx).map(&mut map)
    }))
}

/// A boxed future that need not be `Send`: what a [`LocalSpawn`](crate::registry::LocalSpawn) takes.
pub type LocalTask = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// A blocking closure handed to `spawn_blocking`.
pub type BlockingWork = Box<dyn FnOnce() + Send + 'static>;

/// The lab's runtime: an [`Executor`], and what only the lab asks of it.
///
/// A learner's program never names this trait: the `trpl` API needs [`Executor`] alone.
/// The experiments are generic over this one. What it adds to the executor is the lab's:
/// the runtime's own spawn with none of the lab's wrapping ([`Runtime::spawn_raw`], so that
/// `drop-handle` and `panic` show the runtime's own meaning), its pool for blocking work
/// and the cap on it.
pub trait Runtime: Executor {
    /// Runs blocking `work` on the runtime's thread pool for blocking work. Runtimes that
    /// have none return [`TaskError::Unsupported`] naming what is missing.
    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError>;

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
        (report(future, sender), JoinHandle::new(receiver))
    }
}

impl<T: 'static> JoinHandle<T> {
    /// [`JoinHandle::reporting`] for a future that need not be `Send`: a task for a spawn
    /// that keeps it on its thread ([`Executor::spawn_local`]).
    pub fn reporting_local<F>(future: F) -> (impl Future<Output = ()> + 'static, JoinHandle<T>)
    where
        F: Future<Output = T> + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        (report(future, sender), JoinHandle::new(receiver))
    }
}

/// Runs `future`, and sends its output (or its panic, as [`TaskError::Panicked`]) to
/// `sender`: the task of a [`JoinHandle::reporting`]. It is `Send` when `F` is.
async fn report<F: Future>(future: F, sender: oneshot::Sender<Result<F::Output, TaskError>>) {
    let result = AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|payload| TaskError::from_panic(&*payload));
    // The receiver may be gone: the handle was dropped and the task detached.
    let _ = sender.send(result);
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
