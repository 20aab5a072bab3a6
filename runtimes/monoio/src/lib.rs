//! monoio: a thread-per-core runtime. A monoio `Runtime` belongs to one thread, and every
//! task it spawns runs on that thread (monoio's `spawn` takes futures that are not
//! `Send`); its driver is, by flavor, `io-uring` (the default: the kernel completes each
//! operation and says so on a ring) or `legacy` (readiness, through mio, epoll
//! underneath). Its timer is a wheel of millisecond ticks in the runtime, on the same
//! thread. This crate keeps one runtime per handle and thread, built at the thread's first
//! `block_on` and reused by the next ones, so a task left pending waits for the next
//! `block_on` on its thread; it is dropped with the handle (on that thread) or the thread.
//!
//! monoio attaches no pool for blocking work (its `spawn_blocking` panics without one):
//! this crate attaches monoio's `DefaultThreadPool`, one per handle, whose threads all
//! start with its first job. Two of monoio's rules the lab shows rather than hides: a
//! task runs with no `catch_unwind`, so its panic unwinds out of `block_on` and ends the
//! main future with it (the drop-in `spawn_task` catches it, as trpl's does); and a
//! dropped `JoinHandle` detaches its task.
//!
//! Run with `cargo run -p runtime-monoio -- --flavor legacy race`.
//!
//! The crate root is also a drop-in replacement for the book's `trpl` crate on this runtime
//! (`block_on`, `spawn_task`, `sleep`, `channel`, `StreamExt`, ...): see
//! `async_lab_runtime::book_api`. `ASYNC_LAB_FLAVOR=legacy` picks the epoll driver.
#![forbid(unsafe_code)]

// The crate root is a drop-in `trpl` on this runtime: see `async_lab_runtime::book_api`.
async_lab_runtime::trpl_api!(Monoio);

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_lab_runtime::census::{Role, ThreadName};
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::registry::{
    BlockingPool, BlockingThreads, BusyTask, Capabilities, ChannelKind, Configuration,
    DetachedTask, DroppedHandle, Flavor as _, Http, IdleThreads, Io, IoModel, LocalIo, LocalSpawn,
    NestedBlockOn, OwnTimeout, PanicOnAwait, PollsOn, RuntimeDrop, Sockets, Timer,
};
use async_lab_runtime::runtime::{
    self, BoxTask, Executor, JoinHandle as ChannelHandle, LocalTask, RawHandle, TaskError,
};
#[cfg(feature = "lab")]
use async_lab_runtime::runtime::{BlockingWork, Runtime as LabRuntime};
use async_lab_runtime::thread_bound::ThreadBound;
use monoio::blocking::{BlockingTask, DefaultThreadPool, ThreadPool};
use monoio::time::TimeDriver;
use monoio::{FusionRuntime, IoUringDriver, LegacyDriver, RuntimeBuilder};

/// monoio's timer: a wheel of millisecond ticks in the runtime (as tokio's), turned by the
/// thread that runs it when it parks (`TimeDriver::park_internal`), which it does only
/// when no task is ready (`Runtime::block_on`).
const MONOIO_TIMER: Timer = Timer {
    name: "monoio (millisecond ticks, turned when idle)",
    thread: None,
    held_back_by_yields: true,
    millisecond_ticks: true,
};

/// The threads of the pool this crate attaches ([`POOL_THREADS`]): monoio's
/// `DefaultThreadPool`, on the threadpool crate, starts them all with its first job and
/// keeps them while the pool lives.
const POOL: BlockingThreads = BlockingThreads {
    max: Some(POOL_THREADS),
    cap_setting: Some("DefaultThreadPool::new"),
    idle: IdleThreads::Kept,
};

/// How many threads the attached `DefaultThreadPool` has: monoio has no default (it
/// attaches no pool), so this is the lab's.
const POOL_THREADS: usize = 16;

/// monoio's io_uring driver: each operation submitted to a ring, its result read from
/// another, by the thread that runs the runtime; no thread waits for readiness.
const IO_URING: Io = Io {
    driver: "io_uring, through monoio's IoUringDriver",
    model: IoModel::Completion,
    thread: None,
    sockets: Sockets::Own(echo),
    kernel_worker: None,
};

/// monoio's legacy driver: readiness through mio (epoll), waited on by the thread that
/// runs the runtime.
const LEGACY: Io = Io {
    driver: "epoll, through monoio's LegacyDriver (mio)",
    model: IoModel::Readiness,
    thread: None,
    sockets: Sockets::Own(echo),
    kernel_worker: None,
};

/// The lab's loopback echo on monoio's own sockets (`Sockets::Own`): a task that echoes
/// each byte it reads, and the calling task, which sends one byte there and back `trips`
/// times, on the runtime of the calling thread's `block_on`.
fn echo(trips: u64) -> LocalIo {
    use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
    use monoio::net::{TcpListener, TcpStream};
    Box::pin(async move {
        if !in_runtime() {
            return Err(std::io::Error::other(
                "monoio's echo runs only inside its block_on",
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = monoio::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let mut byte = Vec::with_capacity(1);
            loop {
                let (read, buf) = stream.read(byte).await;
                if read? == 0 {
                    return Ok::<(), std::io::Error>(());
                }
                let (written, buf) = stream.write_all(buf).await;
                written?;
                byte = buf;
                byte.clear();
            }
        });
        let mut client = TcpStream::connect(addr).await?;
        client.set_nodelay(true)?;
        let mut byte = vec![7u8];
        for _ in 0..trips {
            let (written, mut buf) = client.write_all(byte).await;
            written?;
            // Read into the buffer's capacity: one byte.
            buf.clear();
            let (read, buf) = client.read(buf).await;
            if read? != 1 {
                return Err(std::io::Error::other("monoio's echo closed early"));
            }
            byte = buf;
        }
        drop(client);
        server.await
    })
}

/// What both flavors share but their I/O.
const MONOIO: Capabilities = Capabilities {
    polls_on: PollsOn::BlockOnThread,
    takes_workers: false,
    raw_spawn: "monoio::spawn",
    dropped_handle: DroppedHandle::Detaches,
    panic: PanicOnAwait::TearsDownBlockOn,
    blocking: Some(BlockingPool {
        spawn: "monoio::spawn_blocking",
        threads: POOL,
    }),
    own_timeout: Some(OwnTimeout {
        name: "monoio::time::timeout",
        run: run_with_timeout,
    }),
    timer: MONOIO_TIMER,
    io: IO_URING,
    channel: ChannelKind::FuturesMpsc,
    http: Http::CompatBridge,
    local_spawn: Some(LocalSpawn {
        name: "monoio::spawn",
        spawn: spawn_local_task,
    }),
    block_on: "Runtime::block_on",
    nested_block_on: NestedBlockOn::Panics,
    busy_task: BusyTask::StarvesOthers,
    block_in_place: None,
    // One runtime per handle and thread, reused by the thread's next block_on.
    detached_task: DetachedTask::PausedUntilDrop,
    runtime_drop: RuntimeDrop::StopsNothing,
    scoped_spawn: None,
    task_may_move: false,
};

async_lab_runtime::flavors! {
    /// monoio's flavors: its two Linux drivers.
    pub enum Flavor {
        /// io_uring: operations submitted to the kernel, completions read from a ring.
        IoUring => Configuration {
            runtime: "monoio",
            flavor: "io-uring",
            about: "a monoio Runtime on the block_on thread, its I/O completed by the kernel through io_uring",
            capabilities: MONOIO,
        },
        /// The legacy driver: readiness, through mio (epoll).
        Legacy => Configuration {
            runtime: "monoio",
            flavor: "legacy",
            about: "a monoio Runtime on the block_on thread, its I/O through readiness (its legacy driver: mio, epoll)",
            capabilities: Capabilities {
                io: LEGACY,
                ..MONOIO
            },
        },
    }
}

/// A monoio runtime with its timer, on either driver.
type MonoioRuntime = FusionRuntime<TimeDriver<IoUringDriver>, TimeDriver<LegacyDriver>>;

thread_local! {
    /// This thread's monoio runtimes, one per handle ([`Shared::id`]) that ran a
    /// `block_on` here; taken out while it runs one.
    static RUNTIMES: RefCell<HashMap<usize, MonoioRuntime>> = RefCell::new(HashMap::new());
    /// How many monoio `block_on`s run on this thread now (more than one only for the
    /// moment monoio takes to refuse a nested one): where monoio's `spawn` can start a task.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
    /// The pool a `spawn_blocking` of another handle than the running runtime's sends its
    /// job to, for the length of that call (see [`Attached`]).
    static ROUTE: RefCell<Option<Arc<Pool>>> = const { RefCell::new(None) };
}

/// Where handles get their ids.
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// monoio, with one of its drivers. The runtimes themselves live in the threads that run
/// a `block_on`, one per thread; this handle says how to build them and holds their pool
/// for blocking work.
#[derive(Clone)]
pub struct Monoio {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Monoio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monoio")
            .field("flavor", &self.shared.flavor)
            .field("pool_threads", &self.shared.pool.threads)
            .finish()
    }
}

/// What every clone of a handle shares.
struct Shared {
    flavor: Flavor,
    /// The key of this handle's runtime in each thread's [`RUNTIMES`].
    id: usize,
    /// The pool every runtime built from this handle has attached.
    pool: Arc<Pool>,
}

impl Drop for Shared {
    /// The runtime this handle built on the dropping thread goes too (those of other
    /// threads go when their thread ends). Dropped outside the borrow: its tasks' drops
    /// may drop handles too.
    fn drop(&mut self) {
        let runtime = RUNTIMES
            .try_with(|runtimes| {
                runtimes
                    .try_borrow_mut()
                    .ok()
                    .and_then(|mut runtimes| runtimes.remove(&self.id))
            })
            .ok()
            .flatten();
        drop(runtime);
    }
}

/// monoio's `DefaultThreadPool` of `threads` threads, made with the first job (its threads
/// all start when it is made).
struct Pool {
    threads: usize,
    pool: OnceLock<DefaultThreadPool>,
}

impl Pool {
    fn new(threads: usize) -> Arc<Pool> {
        Arc::new(Pool {
            threads,
            pool: OnceLock::new(),
        })
    }

    fn schedule(&self, task: BlockingTask) {
        self.pool
            .get_or_init(|| named_pool(self.threads))
            .schedule_task(task);
    }
}

/// The name the pool's threads have (they are given none: on Linux a thread starts with
/// the name of the thread that started it, so the pool is made on a thread so named).
const POOL_THREAD_NAME: &str = "monoio-pool";

/// A `DefaultThreadPool` of `threads` threads, made on a thread named
/// [`POOL_THREAD_NAME`], whose name they keep.
fn named_pool(threads: usize) -> DefaultThreadPool {
    std::thread::Builder::new()
        .name(POOL_THREAD_NAME.into())
        .spawn(move || DefaultThreadPool::new(threads))
        .ok()
        .and_then(|maker| maker.join().ok())
        .unwrap_or_else(|| DefaultThreadPool::new(threads))
}

/// The pool attached to a runtime: its handle's, unless a `spawn_blocking` of another
/// handle (a capped one, see `cap_blocking_pool`) routes the job to its own.
struct Attached(Arc<Pool>);

impl ThreadPool for Attached {
    fn schedule_task(&self, task: BlockingTask) {
        let routed = ROUTE.with(|route| route.borrow().clone());
        routed.as_ref().unwrap_or(&self.0).schedule(task);
    }
}

impl Monoio {
    /// A new monoio runtime on this thread, with the flavor's driver, its timer and the
    /// handle's pool for blocking work.
    fn build(&self) -> std::io::Result<MonoioRuntime> {
        let pool = Box::new(Attached(self.shared.pool.clone()));
        Ok(match self.shared.flavor {
            Flavor::IoUring => RuntimeBuilder::<IoUringDriver>::new()
                .enable_timer()
                .attach_thread_pool(pool)
                .build()?
                .into(),
            Flavor::Legacy => RuntimeBuilder::<LegacyDriver>::new()
                .enable_timer()
                .attach_thread_pool(pool)
                .build()?
                .into(),
        })
    }

    /// A handle of `flavor` whose pool for blocking work has `threads` threads.
    fn with_pool(flavor: Flavor, threads: usize) -> Monoio {
        Monoio {
            shared: Arc::new(Shared {
                flavor,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                pool: Pool::new(threads),
            }),
        }
    }
}

/// Whether a monoio `block_on` runs on this thread: where monoio's `spawn` works.
fn in_runtime() -> bool {
    RUNNING.with(Cell::get) > 0
}

/// Counts a `block_on` in [`RUNNING`] while it lasts, unwinding included.
struct Running;

impl Running {
    fn enter() -> Running {
        RUNNING.with(|running| running.set(running.get() + 1));
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| running.set(running.get() - 1));
    }
}

/// Spawns `task` on the monoio runtime of the calling thread's `block_on`, detached.
fn spawn_local_task(task: LocalTask) -> Result<(), TaskError> {
    if !in_runtime() {
        return Err(not_in_runtime());
    }
    drop(monoio::spawn(task));
    Ok(())
}

/// Runs `task` under monoio's own timeout, made and polled on the runtime's thread (it
/// holds that thread's timer).
fn run_with_timeout(duration: Duration, task: BoxTask) -> RawHandle {
    Box::pin(ThreadBound::new(move || async move {
        Ok(monoio::time::timeout(duration, task).await.is_ok())
    }))
}

/// Why a task cannot start on this thread.
fn not_in_runtime() -> TaskError {
    TaskError::Unsupported("monoio spawns only inside a block_on, on its thread".into())
}

impl Executor for Monoio {
    type Flavor = Flavor;

    fn new(flavor: Flavor, workers: Option<usize>) -> Result<Self, BuildError> {
        if workers.is_some() {
            return Err(
                "monoio has no workers: every task runs on the thread of its block_on".into(),
            );
        }
        let monoio = Monoio::with_pool(flavor, POOL_THREADS);
        // Where the kernel (or a sandbox) refuses io_uring, say so now, in one line.
        monoio.build().map_err(|e| {
            BuildError::Start(format!(
                "monoio ({}) cannot start: {e}",
                flavor.configuration().flavor
            ))
        })?;
        Ok(monoio)
    }

    const THREAD_NAMES: &'static [ThreadName] =
        &[ThreadName::new(POOL_THREAD_NAME, Role::BlockingPool)];

    fn flavor(&self) -> Flavor {
        self.shared.flavor
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let id = self.shared.id;
        // This thread's runtime for this handle, taken out while it runs. Inside one of
        // its own tasks it is out already: a new one is built, and monoio refuses it.
        let taken = RUNTIMES.with(|runtimes| runtimes.borrow_mut().remove(&id));
        let mut runtime = taken.unwrap_or_else(|| {
            self.build()
                .unwrap_or_else(|e| panic!("monoio cannot start its runtime: {e}"))
        });
        let output = {
            let _running = Running::enter();
            // A task's panic unwinds out of here, and the runtime is dropped with it.
            runtime.block_on(future)
        };
        RUNTIMES.with(|runtimes| runtimes.borrow_mut().insert(id, runtime));
        output
    }

    type Handle<T: Send + 'static> = ChannelHandle<T>;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if !in_runtime() {
            return ChannelHandle::failed(not_in_runtime());
        }
        // monoio's handle neither reports a panic (the panic ends block_on instead) nor a
        // task dropped unfinished (it waits forever): the channel's handle does both, and
        // the task catches its panic.
        let (task, handle) = ChannelHandle::reporting(future);
        drop(monoio::spawn(task));
        handle
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // monoio's sleep holds its thread's timer: it stays there, behind a Send handle.
        ThreadBound::new(move || monoio::time::sleep(duration))
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        runtime::yield_once()
    }
}

#[cfg(feature = "lab")]
impl LabRuntime for Monoio {
    fn spawn_raw(&self, task: BoxTask) -> RawHandle {
        if !in_runtime() {
            return Box::pin(async { Err(not_in_runtime().to_string()) });
        }
        runtime::raw_handle(monoio::spawn(task), |()| Ok(true))
    }

    fn spawn_blocking(&self, work: BlockingWork) -> Result<(), TaskError> {
        if !in_runtime() {
            return Err(TaskError::Unsupported(
                "monoio::spawn_blocking runs only inside a block_on".into(),
            ));
        }
        // monoio hands the job to the pool attached to the running runtime; this handle's
        // may be another (a capped one), so it is named for the length of the call.
        let previous = ROUTE.with(|route| route.replace(Some(self.shared.pool.clone())));
        let handle = monoio::spawn_blocking(work);
        ROUTE.with(|route| *route.borrow_mut() = previous);
        // The lab's job reports through a channel of its own: monoio's handle is dropped,
        // which detaches the job.
        drop(handle);
        Ok(())
    }

    fn cap_blocking_pool(&self, cap: std::num::NonZeroUsize) -> Result<Self, TaskError> {
        // A pool of its own at that cap, which the runtimes built from the new handle
        // attach, and to which its spawn_blocking sends jobs from any runtime.
        Ok(Monoio::with_pool(self.shared.flavor, cap.get()))
    }
}
