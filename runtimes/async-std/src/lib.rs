//! async-std's global executor. **async-std is discontinued upstream**: its maintainers
//! point users to smol, which it was built on (async-global-executor, async-io and
//! blocking are smol's parts). It is here so that programs written for it can be compared.
//!
//! Run with `cargo run -p runtime-async-std -- race`.

#![forbid(unsafe_code)]

use std::future::Future;
use std::time::Duration;

use async_lab_shared::runtime::{BlockingWork, BoxTask, Runtime, TaskError};

/// async-std's one global executor.
#[derive(Clone, Copy, Debug)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";
    const FLAVORS: &'static [&'static str] = &["global"];

    fn new(_flavor: &str, workers: Option<usize>) -> Result<Self, String> {
        match workers {
            None => Ok(AsyncStd),
            Some(_) => Err("async-std's global executor takes its thread count from ASYNC_STD_THREAD_COUNT, not --workers".into()),
        }
    }

    fn flavor(&self) -> &'static str {
        "global"
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    fn spawn_detached(&self, task: BoxTask) -> Result<(), TaskError> {
        // Dropping an async-std JoinHandle detaches the task.
        drop(async_std::task::spawn(task));
        Ok(())
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(duration)
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::yield_now()
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        drop(async_std::task::spawn_blocking(work));
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        vec!["async-std is discontinued upstream; its maintainers recommend smol".into()]
    }
}
