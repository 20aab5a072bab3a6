//! The book's own `trpl` crate: tokio underneath, with a fresh multi-thread runtime for
//! every `block_on` (so tasks still running when it returns are dropped with it). It has
//! no `spawn_blocking`; experiments that need one say so.
//!
//! Run with `cargo run -p runtime-trpl -- race`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Trpl);

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use async_lab_runtime::census::ThreadName;
use async_lab_runtime::env::Variable;
#[cfg(feature = "lab")]
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::handle::Spawned;
use async_lab_runtime::registry::{
    BusyTask, Capabilities, ChannelKind, Configuration, DetachedTask, DroppedHandle, Http,
    NestedBlockOn, PanicOnAwait, PollsOn, RuntimeDrop,
};
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use async_lab_runtime::runtime::{Executor, TaskError};
use runtime_tokio::{TokioJoin, in_tokio_context};

async_lab_runtime::flavors! {
    /// Trpl's one flavor.
    pub enum Flavor {
        /// The trpl crate's own runtime.
        Trpl => Configuration {
            runtime: "trpl",
            flavor: "trpl",
            about: "the book's trpl crate: a fresh multi-thread tokio runtime for every block_on",
            capabilities: Capabilities {
                polls_on: PollsOn::Workers,
                takes_workers: false,
                raw_spawn: "trpl::spawn_task",
                dropped_handle: DroppedHandle::Detaches,
                panic: PanicOnAwait::Error,
                // tokio underneath has a blocking pool, but trpl does not export it.
                blocking: None,
                own_timeout: None,
                timer: runtime_tokio::TOKIO_TIMER,
                io: runtime_tokio::TOKIO_SOCKETS,
                channel: ChannelKind::TokioMpsc,
                http: Http::OwnReactor,
                local_spawn: None,
                block_on: "trpl::block_on",
                nested_block_on: NestedBlockOn::Panics,
                busy_task: BusyTask::OthersRunElsewhere,
                // tokio underneath has it, but trpl does not export it.
                block_in_place: None,
                // trpl::block_on drops its runtime, and the tasks with it, when it returns.
                detached_task: DetachedTask::StoppedWithBlockOn,
                runtime_drop: RuntimeDrop::StopsNothing,
                scoped_spawn: None,
                task_may_move: true,
            },
        },
    }
}

/// The trpl crate.
#[derive(Clone, Copy, Debug)]
pub struct Trpl;

impl Executor for Trpl {
    type Flavor = Flavor;

    // trpl runs tokio.
    const VARIABLES: &'static [Variable] = runtime_tokio::TOKIO_VARIABLES;

    const THREAD_NAMES: &'static [ThreadName] = runtime_tokio::TOKIO_THREAD_NAMES;

    fn new(_flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        match workers {
            None => Ok(Trpl),
            Some(_) => {
                Err("trpl builds its own runtime for each block_on; it takes no --workers".into())
            }
        }
    }

    fn flavor(&self) -> Flavor {
        Flavor::Trpl
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        trpl::block_on(future)
    }

    type Handle<T: Send + 'static> = Spawned<TokioJoin<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // trpl::spawn_task is tokio::spawn, which panics outside a runtime.
        if !in_tokio_context() {
            return Spawned::failed(TaskError::Unsupported(
                "trpl spawns tasks only inside its block_on".into(),
            ));
        }
        Spawned::Started(TokioJoin(trpl::spawn_task(future)))
    }

    // Not an `async fn`: that would borrow `self`, and the timer must be `'static`.
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async move { trpl::sleep(duration).await }
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        trpl::yield_now()
    }

    #[allow(clippy::manual_async_fn)] // `async fn` would borrow `self`; this must be `'static`.
    fn read_to_string(
        &self,
        path: PathBuf,
    ) -> impl Future<Output = io::Result<String>> + Send + 'static {
        async move { trpl::read_to_string(path).await }
    }

    fn notes(&self) -> Vec<String> {
        vec!["trpl starts a fresh multi-thread tokio runtime for every block_on".into()]
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Trpl {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        if !in_tokio_context() {
            return Box::pin(async {
                Err("trpl spawns tasks only inside its block_on".to_string())
            });
        }
        let handle = trpl::spawn_task(task);
        async_lab_runtime::runtime::raw_handle(handle, |result| {
            result.map(|()| true).map_err(|e| e.to_string())
        })
    }

    fn spawn_blocking(&self, _work: BlockingWork) -> Result<(), TaskError> {
        Err(TaskError::Unsupported(
            "trpl does not export spawn_blocking (tokio underneath has one)".into(),
        ))
    }
}
