//! smol, in two configurations: `global` (the default: `smol::spawn`'s global executor,
//! whose threads smol starts on first use, `SMOL_THREADS` of them, one by default) and
//! `executor` (an explicit `smol::Executor` run by `--workers` threads of our own,
//! one per core by default). Timers and I/O go through async-io's reactor thread; blocking
//! work through the `blocking` crate's pool.
//!
//! Run with `cargo run -p runtime-smol -- --flavor executor --workers 2`.

//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_core::book_api`. Its default configuration is the first flavor above;
//! `ASYNC_LAB_FLAVOR=executor` picks the other.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_core::book_api`.
async_lab_core::trpl_api!(Smol);

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use async_lab_core::book_api::ChannelKind;
use async_lab_core::census::{self, Role};
use async_lab_core::handle::{Spawned, poll_catching};
use async_lab_core::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime, TaskError};

/// smol, in one of its configurations.
#[derive(Clone, Debug)]
pub struct Smol {
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl LabRuntime for Smol {
    const NAME: &'static str = "smol";
    const CHANNEL: ChannelKind = ChannelKind::AsyncChannel;
    const FLAVORS: &'static [&'static str] = &["global", "executor"];

    fn new(flavor: &str, workers: Option<usize>) -> Result<Self, String> {
        match flavor {
            "global" if workers.is_some() => Err(
                "smol's global executor takes its thread count from SMOL_THREADS, not --workers"
                    .into(),
            ),
            "global" => Ok(Smol { executor: None }),
            "executor" => {
                let n = workers
                    .unwrap_or_else(|| thread::available_parallelism().map_or(1, usize::from));
                Ok(Smol {
                    executor: Some(start_executor(n)?),
                })
            }
            other => Err(format!("no flavor '{other}'")),
        }
    }

    fn flavor(&self) -> &'static str {
        if self.executor.is_some() {
            "executor"
        } else {
            "global"
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // The main future runs on the calling thread; spawned tasks on the executor's.
        smol::block_on(future)
    }

    type Handle<T: Send + 'static> = Spawned<Detaching<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = match &self.executor {
            Some(executor) => executor.spawn(future),
            None => smol::spawn(future),
        };
        Spawned::Started(Detaching::new(task))
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

    fn raw_spawn_name(&self) -> &'static str {
        if self.executor.is_some() {
            "Executor::spawn"
        } else {
            "smol::spawn"
        }
    }

    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let task = match &self.executor {
            Some(executor) => executor.spawn(task),
            None => smol::spawn(task),
        };
        Box::pin(async move {
            task.await;
            Ok(true)
        })
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        blocking::unblock(work).detach();
        Ok(())
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
