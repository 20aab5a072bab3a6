//! tokio, in its two configurations: `multi-thread` (the default: a work-stealing pool of
//! workers, one per core unless `--workers` says otherwise) and `current-thread` (every
//! task polled on the thread that calls `block_on`).
//!
//! Run with `cargo run -p runtime-tokio -- --flavor current-thread race`.

//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_core::book_api`. Its default configuration is the first flavor above;
//! `ASYNC_LAB_FLAVOR=current-thread` picks the other.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_core::book_api`.
async_lab_core::trpl_api!(Tokio);

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_lab_core::book_api::ChannelKind;
use async_lab_core::census::{self, Role};
use async_lab_core::handle::{Spawned, TokioJoin};
use async_lab_core::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime, TaskError};

/// A tokio runtime in one of its flavors.
#[derive(Clone, Debug)]
pub struct Tokio {
    runtime: Arc<tokio::runtime::Runtime>,
    flavor: &'static str,
}

impl LabRuntime for Tokio {
    const NAME: &'static str = "tokio";
    const CHANNEL: ChannelKind = ChannelKind::Tokio;
    const FLAVORS: &'static [&'static str] = &["multi-thread", "current-thread"];

    fn new(flavor: &str, workers: Option<usize>) -> Result<Self, String> {
        let (mut builder, flavor) = match (flavor, workers) {
            ("multi-thread", _) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                if let Some(n) = workers {
                    builder.worker_threads(n);
                }
                (builder, "multi-thread")
            }
            ("current-thread", None) => (
                tokio::runtime::Builder::new_current_thread(),
                "current-thread",
            ),
            ("current-thread", Some(_)) => {
                return Err(
                    "current-thread has no workers: every task runs on the block_on thread".into(),
                );
            }
            (other, _) => return Err(format!("no flavor '{other}'")),
        };
        // Only worker threads park; blocking-pool threads (which tokio names the same way)
        // never call this hook. That is how the report tells them apart.
        builder
            .enable_all()
            .on_thread_park(|| census::mark_current(Role::Worker));
        let runtime = builder
            .build()
            .map_err(|e| format!("cannot start tokio: {e}"))?;
        Ok(Tokio {
            runtime: Arc::new(runtime),
            flavor,
        })
    }

    fn flavor(&self) -> &'static str {
        self.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    type Handle<T: Send + 'static> = Spawned<TokioJoin<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Dropping a tokio JoinHandle detaches the task.
        Spawned::Started(TokioJoin(self.runtime.spawn(future)))
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

    fn raw_spawn_name(&self) -> &'static str {
        "tokio::spawn"
    }

    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let handle = self.runtime.spawn(task);
        Box::pin(async move { handle.await.map(|()| true).map_err(|e| e.to_string()) })
    }

    fn own_timeout(&self, duration: Duration, task: BoxTask) -> Option<(&'static str, RawHandle)> {
        let timed = async move { Ok(tokio::time::timeout(duration, task).await.is_ok()) };
        Some(("tokio::time::timeout", Box::pin(timed)))
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        drop(self.runtime.spawn_blocking(work));
        Ok(())
    }
}
