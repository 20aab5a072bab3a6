//! The [`Executor`] trait: what a learner's program, through the `trpl` API, needs from an
//! executor.
//!
//! Each `runtimes/<rt>` crate implements it, and the lab's
//! [`Runtime`](crate::runtime::Runtime) on top of it. It is kept small on purpose: a
//! runtime says how it is built in each of its flavors, how to run a future to completion
//! on the current thread (`block_on`), how to start a task and get the runtime's own typed
//! handle to it (`spawn`, adapted by [`crate::handle`]: awaiting gives a `Result`, dropping
//! detaches), and which of its own timers, yields and file reads to use. What is built on
//! top (tracing, the book API's scopes) is written once, here and in `book_api`.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use futures::channel::oneshot;

use crate::census::ThreadName;
use crate::env::Variable;
use crate::registry::{Configuration, Flavor};
use crate::runtime::{JoinHandle, TaskError};

/// An async executor, in one of its configurations ("flavors"): what the `trpl` API, and so
/// a learner's program, needs of it.
///
/// A value of this type is a handle, cheap to clone and shared by every task that sleeps
/// or spawns, so it is `Send + Sync` even where the executor itself never leaves its
/// thread: such a runtime keeps its executor in a thread-local and its handle finds it
/// there (smol's `local`, tokio's `local` with its `LocalSet`, futures'
/// `local-pool`). Its tasks are first-class through [`Executor::spawn_local`], which takes
/// a future that is not `Send`; [`Executor::spawn`] takes any `Send` future on every
/// runtime, and on those it stays on the calling thread too. The futures it returns
/// (`sleep`, `yield_now`) are `Send`, because the lab's experiments hold them in tasks
/// that a multi-thread executor may move; a runtime whose timer lives in its thread (a
/// thread-per-core runtime's sleep holds an `Rc` of its timer wheel) returns it inside a
/// [`ThreadBound`](crate::thread_bound::ThreadBound), the `Send` handle of a future that
/// stays in its thread.
pub trait Executor: Clone + Send + Sync + 'static {
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
    /// says whose it is, in one line for the user: the options' ([`BuildError::Usage`]) or
    /// the system's ([`BuildError::Start`]).
    fn new(flavor: Self::Flavor, workers: Option<usize>) -> Result<Self, BuildError>;

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

    /// Facts about this runtime that every report should carry (async-std being
    /// discontinued, say).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Starts `future`, which need not be `Send`, as a task of the executor that runs the
    /// calling thread, through the configuration's
    /// [`local_spawn`](crate::registry::Capabilities::local_spawn): the one definition of
    /// it, which the registry's table names and this method calls. The handle gives the
    /// output, [`TaskError::Panicked`] or [`TaskError::Cancelled`]; it gives
    /// [`TaskError::Unsupported`] on a configuration whose tasks may move between threads
    /// (no such spawn), or from a thread its executor does not run.
    fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let configuration = self.configuration();
        let Some(local) = configuration.capabilities.local_spawn else {
            return JoinHandle::failed(TaskError::Unsupported(format!(
                "{} ({}) may move tasks between threads: it has no spawn for a task that is not Send",
                configuration.runtime, configuration.flavor
            )));
        };
        let (task, handle) = JoinHandle::reporting_local(future);
        match (local.spawn)(Box::pin(task)) {
            Ok(()) => handle,
            Err(error) => JoinHandle::failed(error),
        }
    }
}

/// Why an executor could not be built, in one line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// The options ask what the flavor does not take (`--workers` on a flavor without
    /// workers, say): a usage error. A plain message converts into this one.
    Usage(String),
    /// The system refused what the runtime needs (a thread, io_uring): the run cannot
    /// start here, whatever the options.
    Start(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Usage(message) | BuildError::Start(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<String> for BuildError {
    fn from(message: String) -> BuildError {
        BuildError::Usage(message)
    }
}

impl From<&str> for BuildError {
    fn from(message: &str) -> BuildError {
        BuildError::Usage(message.to_string())
    }
}
