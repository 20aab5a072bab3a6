//! tokio, in its two configurations: `multi-thread` (the default: a work-stealing pool of
//! workers, one per core unless `--workers` says otherwise) and `current-thread` (every
//! task polled on the thread that calls `block_on`).
//!
//! Run with `cargo run -p runtime-tokio -- --flavor current-thread race`.

#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_lab_shared::census::{self, Role};
use async_lab_shared::runtime::{BlockingWork, BoxTask, Runtime, TaskError};

/// A tokio runtime in one of its flavors.
#[derive(Clone, Debug)]
pub struct Tokio {
    runtime: Arc<tokio::runtime::Runtime>,
    flavor: &'static str,
}

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";
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

    fn spawn_detached(&self, task: BoxTask) -> Result<(), TaskError> {
        // Dropping a tokio JoinHandle detaches the task.
        drop(self.runtime.spawn(task));
        Ok(())
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

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        drop(self.runtime.spawn_blocking(work));
        Ok(())
    }
}
