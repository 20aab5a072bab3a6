//! compio: a thread-per-core runtime whose I/O is completion-based. Each `block_on` builds a
//! compio `Runtime` on the calling thread, and every task it spawns runs on that thread
//! (compio's `spawn` takes futures that are not `Send`); its driver is, by flavor,
//! `io-uring` (the default: the kernel completes each operation and says so on a ring) or
//! `poll` (readiness, through the polling crate, epoll underneath). Its timer lives in the
//! runtime, on the same thread. Blocking work goes to compio's pool, whose threads start
//! on demand; one pool per handle, which every runtime built from it reuses.
//!
//! Run with `cargo run -p runtime-compio -- --flavor poll race`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. `ASYNC_LAB_FLAVOR=poll` picks the polling driver.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Compio);

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_lab_runtime::executor::BuildError;
use async_lab_runtime::handle::Spawned;
use async_lab_runtime::registry::{
    BlockingPool, BlockingThreads, BusyTask, Capabilities, ChannelKind, Configuration,
    DetachedTask, DroppedHandle, Flavor as _, Http, IdleThreads, Io, IoModel, KernelWork, LocalIo,
    LocalSpawn, NestedBlockOn, PanicOnAwait, PollsOn, RuntimeDrop, Sockets, Timer,
};
use async_lab_runtime::runtime::{self, Executor, LocalTask, TaskError};
#[cfg(feature = "lab")]
use async_lab_runtime::runtime::{BlockingWork, BoxTask, RawHandle, Runtime as LabRuntime};
use async_lab_runtime::thread_bound::ThreadBound;
use compio::driver::{AsyncifyPool, DispatchError, DriverType, ProactorBuilder};
use compio::runtime::{
    JoinError as CompioJoinError, JoinHandle as CompioHandle, Runtime as CompioRuntime,
};

/// compio's timer: a wheel in the runtime, fired by the thread that runs it.
const COMPIO_TIMER: Timer = Timer {
    name: "compio (in its runtime)",
    thread: None,
    held_back_by_yields: false,
    millisecond_ticks: false,
};

/// compio's io_uring driver: each operation submitted to a ring, its result read from
/// another; the thread that runs the runtime submits and reaps, and no thread waits for
/// readiness.
const IO_URING: Io = Io {
    driver: "io_uring, through compio-driver",
    model: IoModel::Completion,
    thread: None,
    sockets: Sockets::Own(echo),
    kernel_worker: Some(KernelWork {
        // The kernel never does an fsync on the thread that submits it: it always goes to
        // an io-wq worker.
        name: "an fsync through io_uring (compio::fs::File::sync_all)",
        run: fsync,
    }),
};

/// compio's polling driver: readiness through the polling crate (epoll), on the same
/// thread.
const POLLING: Io = Io {
    driver: "epoll, through compio-driver's polling",
    model: IoModel::Readiness,
    thread: None,
    sockets: Sockets::Own(echo),
    // Its file operations go to compio's own pool (`blocking-pool` shows it).
    kernel_worker: None,
};

/// What both flavors share but their I/O.
const COMPIO: Capabilities = Capabilities {
    polls_on: PollsOn::BlockOnThread,
    takes_workers: false,
    raw_spawn: "compio::runtime::spawn",
    dropped_handle: DroppedHandle::Cancels,
    panic: PanicOnAwait::Error,
    blocking: Some(BlockingPool {
        spawn: "compio::runtime::spawn_blocking",
        // POOL_LIMIT and POOL_IDLE.
        threads: BlockingThreads {
            max: Some(POOL_LIMIT),
            cap_setting: Some("ProactorBuilder::thread_pool_limit"),
            idle: IdleThreads::KeptFor(60),
        },
    }),
    own_timeout: None,
    timer: COMPIO_TIMER,
    io: IO_URING,
    channel: ChannelKind::FuturesMpsc,
    http: Http::CompatBridge,
    local_spawn: Some(LocalSpawn {
        name: "compio::runtime::spawn",
        spawn: spawn_local_task,
    }),
    block_on: "Runtime::block_on",
    nested_block_on: NestedBlockOn::Blocks,
    busy_task: BusyTask::StarvesOthers,
    block_in_place: None,
    // A fresh compio Runtime for every block_on, dropped with its tasks.
    detached_task: DetachedTask::StoppedWithBlockOn,
    runtime_drop: RuntimeDrop::StopsNothing,
    scoped_spawn: None,
    task_may_move: false,
};

async_lab_runtime::flavors! {
    /// compio's flavors: its two Linux drivers.
    pub enum Flavor {
        /// io_uring: operations submitted to the kernel, completions read from a ring.
        IoUring => Configuration {
            runtime: "compio",
            flavor: "io-uring",
            about: "a compio Runtime on the block_on thread, its I/O completed by the kernel through io_uring",
            capabilities: COMPIO,
        },
        /// The polling crate: readiness, through epoll.
        Poll => Configuration {
            runtime: "compio",
            flavor: "poll",
            about: "a compio Runtime on the block_on thread, its I/O through readiness (the polling crate, epoll)",
            capabilities: Capabilities { io: POLLING, ..COMPIO },
        },
    }
}

/// compio, with one of its drivers. The runtime itself lives in the thread that runs a
/// `block_on`; this handle only says which driver to build it with.
#[derive(Clone, Debug)]
pub struct Compio {
    flavor: Flavor,
    /// The pool for blocking work that every runtime built from this handle reuses, and
    /// that `spawn_blocking` dispatches to from any thread.
    pool: AsyncifyPool,
}

/// compio's defaults for its pool (compio-driver's `ThreadPoolBuilder`): at most 256
/// threads, each kept 60 s without a job.
const POOL_LIMIT: usize = 256;
const POOL_IDLE: Duration = Duration::from_secs(60);

impl Compio {
    /// A compio runtime on this thread, with the flavor's driver.
    fn runtime(&self) -> std::io::Result<CompioRuntime> {
        let driver = match self.flavor {
            Flavor::IoUring => DriverType::IoUring,
            Flavor::Poll => DriverType::Poll,
        };
        let mut proactor = ProactorBuilder::new();
        proactor.driver_type(driver);
        proactor.reuse_thread_pool(self.pool.clone());
        CompioRuntime::builder().with_proactor(proactor).build()
    }
}

/// The lab's loopback echo on compio's own sockets (`Sockets::Own`): a task that echoes
/// each byte it reads, and the calling task, which sends one byte there and back `trips`
/// times, on the runtime of the calling thread's `block_on`.
fn echo(trips: u64) -> LocalIo {
    use compio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
    use compio::net::{TcpListener, TcpStream};
    Box::pin(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = CompioRuntime::try_with_current(|rt| {
            rt.spawn(async move {
                let (mut stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let mut byte = Vec::with_capacity(1);
                loop {
                    let compio::BufResult(read, buf) = stream.read(byte).await;
                    if read? == 0 {
                        return Ok::<(), std::io::Error>(());
                    }
                    let compio::BufResult(written, buf) = stream.write_all(buf).await;
                    written?;
                    byte = buf;
                    byte.clear();
                }
            })
        })
        .map_err(|_| std::io::Error::other("compio's echo runs only inside its block_on"))?;
        let mut client = TcpStream::connect(addr).await?;
        client.set_nodelay(true)?;
        let mut byte = vec![7u8];
        for _ in 0..trips {
            let compio::BufResult(written, buf) = client.write_all(byte).await;
            written?;
            let mut buf = buf;
            buf.clear();
            // Fills the buffer to its capacity: one byte.
            let compio::BufResult(read, buf) = client.read_exact(buf).await;
            read?;
            byte = buf;
        }
        drop(client);
        server
            .await
            .map_err(|_| std::io::Error::other("compio's echo server ended early"))?
    })
}

/// An fsync submitted to io_uring (`KernelWork`): the kernel does it on one of the ring's
/// io-wq workers, a thread of this process named `iou-wrk-<tid>`, which stays a few
/// seconds for the next one. The file is made in `dir` and removed.
fn fsync(dir: std::path::PathBuf) -> LocalIo {
    Box::pin(async move {
        let path = dir.join(format!("async-lab-fsync-{}", std::process::id()));
        let file = compio::fs::File::create(&path).await?;
        let synced = file.sync_all().await;
        let _ = file.close().await;
        let _ = std::fs::remove_file(&path);
        synced
    })
}

/// Spawns `task` on the compio runtime of the calling thread's `block_on`, detached.
fn spawn_local_task(task: LocalTask) -> Result<(), TaskError> {
    CompioRuntime::try_with_current(|rt| rt.spawn(task).detach()).map_err(|_| not_in_runtime())
}

/// Why a task cannot start on this thread.
fn not_in_runtime() -> TaskError {
    TaskError::Unsupported("compio spawns only inside a block_on, on its thread".into())
}

impl Executor for Compio {
    type Flavor = Flavor;

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        if workers.is_some() {
            return Err(
                "compio has no workers: every task runs on the thread of its block_on".into(),
            );
        }
        let compio = Compio {
            flavor,
            pool: AsyncifyPool::new(POOL_LIMIT, POOL_IDLE),
        };
        // Where the kernel (or a sandbox) refuses io_uring, say so now, in one line.
        compio.runtime().map_err(|e| {
            BuildError::Start(format!(
                "compio ({}) cannot start: {e}",
                flavor.configuration().flavor
            ))
        })?;
        Ok(compio)
    }

    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let runtime = self
            .runtime()
            .unwrap_or_else(|e| panic!("compio cannot start its runtime: {e}"));
        runtime.block_on(future)
    }

    type Handle<T: Send + 'static> = Spawned<Detaching<T>>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match CompioRuntime::try_with_current(|rt| rt.spawn(future)) {
            Ok(handle) => Spawned::Started(Detaching(Some(handle))),
            Err(_) => Spawned::failed(not_in_runtime()),
        }
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // compio's sleep holds its thread's timer: it stays there, behind a Send handle.
        ThreadBound::new(move || compio::runtime::time::sleep(duration))
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        runtime::yield_once()
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Compio {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        let handle = CompioRuntime::try_with_current(|rt| rt.spawn(task));
        match handle {
            Ok(handle) => runtime::raw_handle(handle, |result| {
                result.map(|()| true).map_err(|e| match e {
                    CompioJoinError::Panicked(payload) => runtime::panic_message(&*payload),
                    e => e.to_string(),
                })
            }),
            Err(_) => Box::pin(std::future::ready(Err(not_in_runtime().to_string()))),
        }
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        // What compio's driver does with a blocking operation: dispatch it to the pool,
        // and while every one of the pool's threads is busy at its cap, try again (the
        // calling thread waits: compio queues nothing).
        let mut work = work;
        while let Err(DispatchError(refused)) = self.pool.dispatch(work) {
            work = refused;
            std::thread::yield_now();
        }
        Ok(())
    }

    fn cap_blocking_pool(&self, cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        // A pool of its own at that cap, which the runtimes built from the new handle reuse.
        Ok(Compio {
            flavor: self.flavor,
            pool: AsyncifyPool::new(cap.get(), POOL_IDLE),
        })
    }
}

/// compio's `JoinHandle`, which cancels its task when dropped, made to detach it instead.
pub struct Detaching<T>(Option<CompioHandle<T>>);

impl<T> Drop for Detaching<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.detach();
        }
    }
}

impl<T> Future for Detaching<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = self.0.as_mut().expect("polled after it finished");
        let result = std::task::ready!(Pin::new(handle).poll(cx));
        self.0 = None; // Finished: nothing left to detach.
        Poll::Ready(result.map_err(|e| match e {
            CompioJoinError::Panicked(payload) => TaskError::from_panic(&*payload),
            _ => TaskError::Cancelled,
        }))
    }
}
