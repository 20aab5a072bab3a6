//! async-std's global executor. **async-std is discontinued upstream**: its maintainers
//! point users to smol, which it was built on (async-global-executor, async-io and
//! blocking are smol's parts). It is here so that programs written for it can be compared.
//!
//! Run with `cargo run -p runtime-async-std -- race`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(AsyncStd);

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_lab_runtime::census::{self, Role, ThreadName};
use async_lab_runtime::env::{self, Variable};
#[cfg(feature = "lab")]
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::handle::poll_catching;
use async_lab_runtime::registry::{
    ASYNC_IO_SOCKETS, ASYNC_IO_TIMER, BLOCKING_CRATE, BlockingPool, BusyTask, Capabilities,
    ChannelKind, Configuration, DetachedTask, DroppedHandle, Http, NestedBlockOn, OwnTimeout,
    PanicOnAwait, PollsOn, RuntimeDrop,
};
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use async_lab_runtime::runtime::{Executor, TaskError};

async_lab_runtime::flavors! {
    /// AsyncStd's one flavor.
    pub enum Flavor {
        /// async-std's global executor.
        Global => Configuration {
            runtime: "async-std",
            flavor: "global",
            about: "async-std's global executor (discontinued upstream; its maintainers recommend smol)",
            capabilities: Capabilities {
                polls_on: PollsOn::Workers,
                takes_workers: false,
                raw_spawn: "async_std::task::spawn",
                dropped_handle: DroppedHandle::Detaches,
                panic: PanicOnAwait::Propagates,
                // async_std::task::spawn_blocking is async-global-executor's, which is
                // blocking::unblock: the blocking crate's pool.
                blocking: Some(BlockingPool {
                    spawn: "async_std::task::spawn_blocking",
                    threads: BLOCKING_CRATE,
                }),
                own_timeout: Some(OwnTimeout {
                    name: "async_std::future::timeout",
                    run: |duration, task| {
                        Box::pin(async move {
                            Ok(async_std::future::timeout(duration, task).await.is_ok())
                        })
                    },
                }),
                timer: ASYNC_IO_TIMER,
                io: ASYNC_IO_SOCKETS,
                channel: ChannelKind::AsyncChannel,
                http: Http::CompatBridge,
                local_spawn: None,
                block_on: "async_std::task::block_on",
                nested_block_on: NestedBlockOn::Works,
                busy_task: BusyTask::OthersRunElsewhere,
                block_in_place: None,
                detached_task: DetachedTask::RunsUntilExit,
                runtime_drop: RuntimeDrop::StopsNothing,
                scoped_spawn: None,
                task_may_move: true,
            },
        },
    }
}

/// async-std's one global executor.
#[derive(Clone, Copy, Debug)]
pub struct AsyncStd;

impl Executor for AsyncStd {
    type Flavor = Flavor;

    const VARIABLES: &'static [Variable] = &[
        Variable {
            names: &["ASYNC_STD_THREAD_COUNT"],
            read_by: "async-std's global executor",
            takes: env::POOL,
            why: "async-std reads 0 or anything but a number as one thread per core without a word",
        },
        Variable {
            names: &["ASYNC_STD_THREAD_NAME"],
            read_by: "async-std's global executor, for its threads' names",
            takes: env::Takes::Unset,
            why: "the thread report tells async-std's workers by the name async-std gives them",
        },
        env::BLOCKING_MAX_THREADS,
    ];

    // Its executor's threads (`async-std/runtime`, or async-global-executor's), async-io's
    // reactor and the blocking crate's pool.
    const THREAD_NAMES: &'static [ThreadName] = &[
        ThreadName::new("async-std/runti", Role::Worker),
        ThreadName::new("async-global-ex", Role::Worker),
        census::ASYNC_IO,
        census::BLOCKING,
    ];

    fn new(_flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        match workers {
            None => Ok(AsyncStd),
            Some(_) => Err("async-std's global executor takes its thread count from ASYNC_STD_THREAD_COUNT, not --workers".into()),
        }
    }

    fn flavor(&self) -> Flavor {
        Flavor::Global
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    type Handle<T: Send + 'static> = Join<T>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Dropping an async-std JoinHandle detaches the task.
        Join(async_std::task::spawn(future))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(duration)
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::yield_now()
    }

    #[allow(clippy::manual_async_fn)] // `async fn` would borrow `self`; this must be `'static`.
    fn read_to_string(
        &self,
        path: PathBuf,
    ) -> impl Future<Output = io::Result<String>> + Send + 'static {
        async move { async_std::fs::read_to_string(async_std::path::PathBuf::from(path)).await }
    }

    fn notes(&self) -> Vec<String> {
        vec!["async-std is discontinued upstream; its maintainers recommend smol".into()]
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for AsyncStd {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let handle = async_std::task::spawn(task);
        async_lab_runtime::runtime::raw_handle(handle, |()| Ok(true))
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        drop(async_std::task::spawn_blocking(work));
        Ok(())
    }

    fn cap_blocking_pool(&self, cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        // async_std::task::spawn_blocking runs on the blocking crate's pool, one for the
        // whole process.
        blocking::set_max_blocking_threads(cap);
        Ok(*self)
    }
}

/// async-std's `JoinHandle`, which detaches its task when dropped, with the panic it
/// carries into the awaiting task caught and turned into [`TaskError::Panicked`].
#[derive(Debug)]
pub struct Join<T>(async_std::task::JoinHandle<T>);

impl<T> Future for Join<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_catching(&mut self.0, cx)
    }
}
