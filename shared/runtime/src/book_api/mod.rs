//! The API of the book's `trpl` crate (0.3), on any [`Executor`].
//!
//! Each runtime crate calls [`trpl_api!`](crate::trpl_api) at its root, which makes that
//! crate a drop-in `trpl`: a program written for the book builds against it when its
//! Cargo.toml says `trpl = { package = "runtime-smol", path = "…/runtimes/smol" }`.
//! Everything here is written once; the runtime crates only supply their executor, timer,
//! channel and file reading through the [`Executor`] trait.
//!
//! Two of trpl's behaviours are kept on purpose, because they are the chapter's lessons:
//! - **Tasks end with `block_on`.** trpl builds a fresh tokio runtime for every `block_on`
//!   and drops it at the end, so tasks still running then are dropped (listing 17-6 prints
//!   the spawned task's count only up to 4 or 5). Here each `block_on` opens a [`Scope`];
//!   tasks spawned inside it (by the main future or by other tasks of the scope) are
//!   stopped when it returns, on every runtime.
//! - **Dropping a `JoinHandle` detaches** the task, as tokio does, even on smol, whose raw
//!   API cancels such a task instead.
//!
//! The layer is meant to cost next to nothing over the runtime's own spawn: a task is the
//! runtime's own task around the future (with the tracing wrapper and the scope's
//! bookkeeping inline, not boxed), and its handle is the runtime's own typed handle
//! ([`Executor::Handle`]). `benches/facade_overhead.rs` measures it.
//!
//! The configuration is the runtime crate's default; the environment variable
//! `ASYNC_LAB_FLAVOR` picks another (`ASYNC_LAB_FLAVOR=current-thread` on runtime-tokio).

mod channel;
mod html;
mod scope;
mod stream;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::executor::Executor;
use crate::runtime;
use crate::trace::{self, Traced};

pub use crate::join;
pub use channel::{ChannelKind, Receiver, ReceiverStream, SendError, Sender, channel};
pub use futures::future::Either;
#[doc(hidden)]
pub use futures::join as futures_join;
pub use html::{Html, Response, get};
pub use scope::Scope;
use scope::{Cancelled, ScopedTask};
pub use stream::{
    Elapsed, Interval, IntervalStream, Stream, StreamExt, Throttle, Timeout, interval,
    stream_from_iter,
};

/// Why a task gave no result, as awaiting a [`JoinHandle`] reports it.
pub type JoinError = runtime::TaskError;

/// A boxed sleep, as the stream adapters and intervals hold it.
pub type BoxSleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Makes a sleep on some runtime's timer.
pub type Sleeper = Arc<dyn Fn(Duration) -> BoxSleep + Send + Sync>;

/// The sleeper of runtime `rt`.
pub fn sleeper<R: Executor>(rt: &R) -> Sleeper {
    let rt = rt.clone();
    Arc::new(move |duration| Box::pin(rt.sleep(duration)) as BoxSleep)
}

/// The runtime a `trpl_api!` crate uses: its default flavor, or `ASYNC_LAB_FLAVOR`.
///
/// When an environment variable is refused (`ASYNC_LAB_FLAVOR` names a flavor the runtime
/// does not have, say; see [`crate::env`]) or the runtime cannot start, the program ends
/// with one line on stderr: trpl's API has no way to return the error.
pub fn runtime_from_env<R: Executor>() -> R {
    match BookRuntime::<R>::new() {
        Ok(book) => book.runtime,
        Err(e) => crate::env::exit_with(&e),
    }
}

/// trpl's `Runtime` (tokio's, there): `Runtime::new()?.block_on(future)`, on runtime `R`
/// in the configuration `ASYNC_LAB_FLAVOR` names (the default without it).
#[derive(Clone, Debug)]
pub struct BookRuntime<R: Executor> {
    runtime: R,
}

impl<R: Executor> BookRuntime<R> {
    /// Builds the runtime; fails when an environment variable is refused
    /// (`ASYNC_LAB_FLAVOR` names a flavor it lacks, say: see [`crate::env`]).
    pub fn new() -> std::io::Result<Self> {
        let flavor = crate::env::flavor::<R>()?;
        crate::book_report::before_runtime();
        let runtime = R::new(flavor, None).map_err(std::io::Error::other)?;
        crate::book_report::runtime_built();
        Ok(BookRuntime { runtime })
    }

    /// Runs `future` to completion, as [`block_on_reported`] does.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on_reported(&self.runtime, future)
    }
}

/// trpl's `block_on`: runs `future` to completion on `rt`; tasks it spawned and that are
/// still running when it returns are stopped (also when it unwinds from a panic, as trpl's
/// runtime would be dropped then).
pub fn block_on<R: Executor, F: Future>(rt: &R, future: F) -> F::Output {
    /// Closes the scope however `block_on` ends.
    struct Closing(Arc<Scope>);
    impl Drop for Closing {
        fn drop(&mut self) {
            self.0.close();
        }
    }

    let scope = Closing(Scope::new(rt));
    let mut future = std::pin::pin!(future);
    rt.block_on(std::future::poll_fn(|cx| {
        Scope::enter(&scope.0, future.as_mut(), cx)
    }))
}

/// trpl's `block_on` as a book program calls it: [`block_on`], and at its end the
/// thread report, timeline or trace that `ASYNC_LAB_REPORT`, `ASYNC_LAB_TIMELINE` or
/// `ASYNC_LAB_TRACE` ask for ([`crate::book_report`]); without them, just [`block_on`].
pub fn block_on_reported<R: Executor, F: Future>(rt: &R, future: F) -> F::Output {
    let Some(recording) = crate::book_report::start() else {
        return block_on(rt, future);
    };
    let output = block_on(rt, recording.main(future));
    recording.finish(rt);
    output
}

/// A handle to a task started by [`spawn_task`]: runtime `R`'s own handle. Awaiting it
/// gives the task's output, or a [`JoinError`]; dropping it detaches the task.
pub struct JoinHandle<T: Send + 'static, R: Executor> {
    inner: R::Handle<Result<T, Cancelled>>,
}

impl<T: Send + 'static, R: Executor> Future for JoinHandle<T, R> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx).map(unscoped)
    }
}

/// A scoped task's result as its handle gives it: a task that its closed scope stopped
/// was cancelled.
fn unscoped<T>(result: Result<Result<T, Cancelled>, JoinError>) -> Result<T, JoinError> {
    match result {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(Cancelled)) => Err(JoinError::Cancelled),
        Err(e) => Err(e),
    }
}

/// trpl's `spawn_task`: starts `future` as a task of the current `block_on`'s scope.
/// Outside any `block_on` the task is simply detached.
pub fn spawn_task<R, F>(rt: &R, future: F) -> JoinHandle<F::Output, R>
where
    R: Executor,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_named(rt, "spawn_task", future)
}

/// [`spawn_task`], with the name the thread report shows for the task.
///
/// Inside a `block_on` the task goes to the runtime whose `block_on` opened the scope:
/// with `Runtime::new()?.block_on(...)` that is not necessarily the crate's global one.
/// (When that runtime is of another type than `R`, a program mixing two runtime crates,
/// the task goes to `rt`, still a task of the scope.)
pub fn spawn_named<R, F>(rt: &R, name: impl Into<String>, future: F) -> JoinHandle<F::Output, R>
where
    R: Executor,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Scope::with_current(|scope| {
        let on = scope.and_then(|scope| scope.runtime::<R>()).unwrap_or(rt);
        let task = ScopedTask::new(scope.cloned(), future);
        // Not wrapped at all with tracing off: even the wrapper's one pointer can push a
        // task into the runtime's next allocation size.
        let inner = if trace::is_enabled() {
            on.spawn(trace::traced(name, task))
        } else {
            on.spawn(task)
        };
        JoinHandle { inner }
    })
}

/// A handle to a task started by [`spawn_local`]: awaiting it gives the task's output, or
/// a [`JoinError`]; dropping it detaches the task.
pub struct LocalJoinHandle<T> {
    inner: runtime::JoinHandle<Result<T, Cancelled>>,
}

impl<T> Future for LocalJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx).map(unscoped)
    }
}

/// [`spawn_task`] for a future that need not be `Send` (one that holds an `Rc`, say): a
/// task of the current `block_on`'s scope, on the executor that runs the calling thread
/// ([`Executor::spawn_local`]). On a configuration whose tasks may move between threads,
/// awaiting the handle gives [`JoinError::Unsupported`](runtime::TaskError::Unsupported).
pub fn spawn_local<R, F>(rt: &R, future: F) -> LocalJoinHandle<F::Output>
where
    R: Executor,
    F: Future + 'static,
    F::Output: 'static,
{
    Scope::with_current(|scope| {
        let on = scope.and_then(|scope| scope.runtime::<R>()).unwrap_or(rt);
        let task = ScopedTask::new(scope.cloned(), future);
        let inner = if trace::is_enabled() {
            on.spawn_local(trace::traced("spawn_local", task))
        } else {
            on.spawn_local(task)
        };
        LocalJoinHandle { inner }
    })
}

/// Makes the calling crate's root a drop-in replacement for the `trpl` crate, on runtime
/// `$runtime` (a type that implements [`Executor`]).
#[macro_export]
macro_rules! trpl_api {
    ($runtime:ty) => {
        pub use $crate::book_api::{
            Either, Elapsed, Html, Interval, IntervalStream, JoinError, Receiver, ReceiverStream,
            Response, SendError, Sender, Stream, StreamExt, get, join, join_all, join3,
            stream_from_iter,
        };

        /// trpl's `Runtime`: `Runtime::new()?.block_on(future)` on this crate's runtime.
        pub type Runtime = $crate::book_api::BookRuntime<$runtime>;

        /// This crate's runtime, built on first use in its default configuration or the one
        /// `ASYNC_LAB_FLAVOR` names.
        pub fn runtime() -> &'static $runtime {
            static RUNTIME: ::std::sync::OnceLock<$runtime> = ::std::sync::OnceLock::new();
            RUNTIME.get_or_init($crate::book_api::runtime_from_env::<$runtime>)
        }

        /// Runs `future` to completion; tasks it spawned that are still running then stop.
        pub fn block_on<F: ::std::future::Future>(future: F) -> F::Output {
            $crate::book_api::block_on_reported(runtime(), future)
        }

        /// The book's first name for [`block_on`].
        pub fn run<F: ::std::future::Future>(future: F) -> F::Output {
            block_on(future)
        }

        /// A handle to a task started by [`spawn_task`]: await it for the task's output, or
        /// drop it to detach the task.
        pub type JoinHandle<T> = $crate::book_api::JoinHandle<T, $runtime>;

        /// Starts `future` as a task; await the handle for its output, or drop it to detach.
        pub fn spawn_task<F>(future: F) -> JoinHandle<F::Output>
        where
            F: ::std::future::Future + Send + 'static,
            F::Output: Send + 'static,
        {
            $crate::book_api::spawn_task(runtime(), future)
        }

        /// Starts `future`, which need not be `Send` (it may hold an `Rc`), as a task on
        /// the executor that runs the calling thread, in the configurations whose tasks
        /// never leave their thread; elsewhere awaiting the handle gives an error that says
        /// so. Not in the book's `trpl`, whose tasks may move.
        pub fn spawn_local<F>(future: F) -> $crate::book_api::LocalJoinHandle<F::Output>
        where
            F: ::std::future::Future + 'static,
            F::Output: 'static,
        {
            $crate::book_api::spawn_local(runtime(), future)
        }

        /// Waits for `duration` on this runtime's own timer.
        pub async fn sleep(duration: ::std::time::Duration) {
            <$runtime as $crate::Executor>::sleep(runtime(), duration).await
        }

        /// Hands control back to this runtime's executor once.
        pub async fn yield_now() {
            <$runtime as $crate::Executor>::yield_now(runtime()).await
        }

        /// An interval on this runtime's timer: the first tick is immediate.
        pub fn interval(period: ::std::time::Duration) -> Interval {
            $crate::book_api::interval(runtime(), period)
        }

        /// An unbounded channel of this runtime's ecosystem; `send` works from any thread.
        pub fn channel<T: Send>() -> (Sender<T>, Receiver<T>) {
            $crate::book_api::channel(
                <$runtime as $crate::Executor>::configuration(runtime())
                    .capabilities
                    .channel,
            )
        }

        /// Reads a whole file, the way this runtime's ecosystem reads files.
        pub async fn read_to_string(
            path: impl AsRef<::std::path::Path>,
        ) -> ::std::io::Result<String> {
            let path = path.as_ref().to_path_buf();
            <$runtime as $crate::Executor>::read_to_string(runtime(), path).await
        }

        /// trpl's `select`: the first of two futures to finish; the other is dropped.
        pub async fn select<A, B, F1, F2>(f1: F1, f2: F2) -> Either<A, B>
        where
            F1: ::std::future::Future<Output = A>,
            F2: ::std::future::Future<Output = B>,
        {
            $crate::book_api::select(f1, f2).await
        }

        /// The book's first name for [`select`].
        pub async fn race<A, B, F1, F2>(f1: F1, f2: F2) -> Either<A, B>
        where
            F1: ::std::future::Future<Output = A>,
            F2: ::std::future::Future<Output = B>,
        {
            $crate::book_api::select(f1, f2).await
        }
    };
}

/// The first of two futures to finish; the other one is dropped (which cancels it).
/// With tracing on, each future's polls are recorded as `select #1` and `select #2`.
pub async fn select<A, B, F1, F2>(f1: F1, f2: F2) -> Either<A, B>
where
    F1: Future<Output = A>,
    F2: Future<Output = B>,
{
    let f1 = trace::traced_future("select #1", f1);
    let f2 = trace::traced_future("select #2", f2);
    let (f1, f2) = (std::pin::pin!(f1), std::pin::pin!(f2));
    match futures::future::select(f1, f2).await {
        Either::Left((a, _)) => Either::Left(a),
        Either::Right((b, _)) => Either::Right(b),
    }
}

/// trpl's `join`: both futures to completion, polled in turn within the task that awaits
/// it. With tracing on, each future's polls are recorded as `join #1` and `join #2`, so
/// the timeline shows them taking turns inside one task.
pub fn join<A: Future, B: Future>(a: A, b: B) -> futures::future::Join<Traced<A>, Traced<B>> {
    futures::future::join(
        trace::traced_future("join #1", a),
        trace::traced_future("join #2", b),
    )
}

/// trpl's `join3`: [`join()`] for three futures (`join3 #1` to `join3 #3`).
pub fn join3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> futures::future::Join3<Traced<A>, Traced<B>, Traced<C>> {
    futures::future::join3(
        trace::traced_future("join3 #1", a),
        trace::traced_future("join3 #2", b),
        trace::traced_future("join3 #3", c),
    )
}

/// trpl's `join_all`: every future of `futures` to completion (`join_all #1`, ...).
pub fn join_all<I>(futures: I) -> futures::future::JoinAll<Traced<I::Item>>
where
    I: IntoIterator,
    I::Item: Future,
{
    let on = trace::is_enabled();
    futures::future::join_all(futures.into_iter().enumerate().map(|(i, future)| {
        // No name is made with tracing off: the wrapper records nothing then.
        let name = if on {
            format!("join_all #{}", i + 1)
        } else {
            String::new()
        };
        trace::traced_future(name, future)
    }))
}

/// `future`, one argument of [`join!`](crate::join), traced under its source text
/// (`tx_fut`), its white space collapsed and cut to 40 characters.
#[doc(hidden)]
pub fn join_argument<F: Future>(source: &'static str, future: F) -> Traced<F> {
    let name = if trace::is_enabled() {
        let words: Vec<&str> = source.split_whitespace().collect();
        let name = words.join(" ");
        match name.char_indices().nth(40) {
            Some((cut, _)) => format!("{}…", &name[..cut]),
            None => name,
        }
    } else {
        String::new()
    };
    trace::traced_future(name, future)
}

/// trpl's `join!`: every future to completion, the outputs as a tuple. With tracing on,
/// each future's polls are recorded under its source text (`join!(tx_fut, rx_fut)`:
/// `tx_fut` and `rx_fut`).
#[macro_export]
macro_rules! join {
    ($($future:expr),+ $(,)?) => {
        $crate::book_api::futures_join!(
            $($crate::book_api::join_argument(::core::stringify!($future), $future)),+
        )
    };
}
