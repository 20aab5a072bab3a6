//! The registry: every runtime configuration, and what it can do, as data.
//!
//! Each runtime crate declares its configurations once, in its [`Executor`] impl's
//! `CONFIGURATIONS`. The driver's table, its `--only`, the tests' per-configuration runs,
//! the notes and every capability a test relies on are read from there, so adding a
//! configuration touches its runtime crate and nothing else that lists configurations.
//! Each capability is also checked by a test that observes the runtime doing it
//! (`tests/integration/registry.rs`), so the registry cannot drift from the truth.
//!
//! [`Executor`]: crate::Executor

use std::time::Duration;

use crate::census::Role;
use crate::runtime::{BoxTask, LocalTask, RawHandle, TaskError};

/// One runtime configuration ("flavor") and what it can do.
#[derive(Debug, Clone, Copy)]
pub struct Configuration {
    /// The runtime, as the report names it: `tokio`, `smol`, `async-std`, ...
    pub runtime: &'static str,
    /// The configuration, as `--flavor` names it: `multi-thread`, `local`, ...
    pub flavor: &'static str,
    /// What runs the tasks, in one line.
    pub about: &'static str,
    /// What it can do, and how.
    pub capabilities: Capabilities,
}

/// A configuration is known by its runtime and flavor.
impl PartialEq for Configuration {
    fn eq(&self, other: &Configuration) -> bool {
        (self.runtime, self.flavor) == (other.runtime, other.flavor)
    }
}

impl Eq for Configuration {}

impl Configuration {
    /// `runtime:flavor`, as `--only` and the tests name it.
    pub fn id(&self) -> String {
        format!("{}:{}", self.runtime, self.flavor)
    }
}

/// What a configuration can do, and how: the differences between runtimes that the
/// experiments show and the tests assert.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// Which threads poll the tasks.
    pub polls_on: PollsOn,
    /// Whether `--workers N` sets the number of threads that poll tasks.
    pub takes_workers: bool,
    /// The runtime's own spawn function, as the `drop-handle` and `panic` experiments
    /// call it.
    pub raw_spawn: &'static str,
    /// What dropping the handle of [`Capabilities::raw_spawn`] does to the task.
    pub dropped_handle: DroppedHandle,
    /// How a panic in a task spawned with [`Capabilities::raw_spawn`] comes back.
    pub panic: PanicOnAwait,
    /// The runtime's pool for blocking work, where it has one: the function that runs a
    /// job on it, and its threads (`blocking-pool`), in one value, so that a pool cannot be
    /// declared without its threads or threads without their pool.
    pub blocking: Option<BlockingPool>,
    /// The runtime's own timeout function, where it has one: named and done by one value.
    pub own_timeout: Option<OwnTimeout>,
    /// Whose timer `sleep` uses.
    pub timer: Timer,
    /// How its sockets wait: readiness or completion, through which kernel interface, on
    /// which thread, and how the lab's loopback echo (`bench`'s system calls) does its I/O.
    pub io: Io,
    /// Whose channel the `trpl` API's `channel` is.
    pub channel: ChannelKind,
    /// How reqwest, and any other future that needs a tokio reactor (a tokio timer),
    /// runs on it: directly, or only inside `async_compat` (`no-reactor` shows both).
    pub http: Http,
    /// The spawn that takes a task which is not `Send` (it never leaves the thread that
    /// runs it), where the configuration has one (`not-send` uses it).
    pub local_spawn: Option<LocalSpawn>,
    /// The runtime's own `block_on`, as the `nested-block-on` experiment calls it from
    /// inside a task.
    pub block_on: &'static str,
    /// What [`Capabilities::block_on`] does when a task calls it.
    pub nested_block_on: NestedBlockOn,
    /// What a task that computes without awaiting does to the other tasks (`busy-loop`),
    /// with the default number of threads (and at least two where `--workers` is taken).
    pub busy_task: BusyTask,
    /// The runtime's way to block a task's thread after handing the worker's other tasks
    /// away, where it has one (`block-in-place`): named and done by one value.
    pub block_in_place: Option<BlockInPlace>,
    /// What becomes of a detached task when `block_on` returns and when the runtime is
    /// dropped (`shutdown`).
    pub detached_task: DetachedTask,
    /// What dropping the runtime's value does (`shutdown`).
    pub runtime_drop: RuntimeDrop,
    /// The runtime's way to spawn tasks that borrow a local, where it has one (`scoped`):
    /// every runtime's spawn takes only `'static` tasks.
    pub scoped_spawn: Option<ScopedSpawn>,
    /// Whether a task may come back on another thread after an `.await`, with the default
    /// number of threads on a machine of two cores or more (and `--workers 2` where it is
    /// taken): then a `thread_local!` read after an `.await` may be another task's
    /// (`thread-local`).
    pub task_may_move: bool,
}

/// A runtime's own timeout function: its name, and the function that runs a task under it,
/// so that what the registry says and what the lab runs are one definition.
#[derive(Debug, Clone, Copy)]
pub struct OwnTimeout {
    /// Its name: `tokio::time::timeout`, say.
    pub name: &'static str,
    /// Runs the task under it: `Ok(true)` when the task finished in time, `Ok(false)`
    /// when the timeout came first.
    pub run: fn(Duration, BoxTask) -> RawHandle,
}

/// A spawn for tasks that are not `Send`: its name, and the function that spawns with it.
#[derive(Debug, Clone, Copy)]
pub struct LocalSpawn {
    /// Its name: `tokio::task::spawn_local`, say.
    pub name: &'static str,
    /// Spawns the task on the local executor of the calling thread, which must be the
    /// thread that runs this configuration's `block_on`; elsewhere
    /// [`TaskError::Unsupported`].
    pub spawn: fn(LocalTask) -> Result<(), TaskError>,
}

/// A pool for blocking work: the function that runs a job on it, and its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockingPool {
    /// The function that runs a job on it: `tokio::task::spawn_blocking`, say.
    pub spawn: &'static str,
    /// Its threads.
    pub threads: BlockingThreads,
}

/// The threads of a pool for blocking work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockingThreads {
    /// The most threads it starts by default; `None`: a thread for every job, no cap.
    pub max: Option<usize>,
    /// The runtime's own setting that caps it, where it has one.
    pub cap_setting: Option<&'static str>,
    /// What becomes of a thread whose job ended and that has no other.
    pub idle: IdleThreads,
}

/// The `blocking` crate's pool, which smol and async-std both run blocking work on
/// (blocking/src/lib.rs: `DEFAULT_MAX_THREADS` 500, `BLOCKING_MAX_THREADS`; `main_loop`
/// ends a thread only when there are more than the cap).
pub const BLOCKING_CRATE: BlockingThreads = BlockingThreads {
    max: Some(500),
    cap_setting: Some("blocking::set_max_blocking_threads"),
    idle: IdleThreads::Kept,
};

/// What becomes of a pool thread with no job left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleThreads {
    /// It waits this many seconds for another job, then ends (tokio's `thread_keep_alive`,
    /// 10 s by default).
    KeptFor(u64),
    /// It stays until the process exits (the `blocking` crate 1.7 ends a thread only when
    /// the pool has more threads than its cap).
    Kept,
    /// It ends with its job: a thread per job.
    EndsWithJob,
}

/// A runtime's way to run blocking work on a task's own thread after handing the worker's
/// other tasks to another thread (tokio's `block_in_place`): what it is called, the
/// function that does it, and what it does in a task of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct BlockInPlace {
    /// The runtime's name for it: `tokio::task::block_in_place`.
    pub name: &'static str,
    /// Runs `work` in place, as the runtime does (panicking where it refuses).
    pub run: fn(work: &mut dyn FnMut()),
    /// What it does in a task of this configuration.
    pub in_a_task: InPlace,
}

/// What a [`BlockInPlace`] does in a task of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InPlace {
    /// It runs the closure on the task's thread, after handing the worker's other tasks
    /// to another thread (a multi-thread runtime).
    Works,
    /// It panics: only a multi-thread runtime can give the worker's tasks away.
    Panics,
}

/// What becomes of a detached task (its handle dropped) when `block_on` returns, then
/// when the runtime is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetachedTask {
    /// It runs on after `block_on`, on the runtime's workers, until the runtime is dropped.
    RunsUntilDrop,
    /// It waits while no `block_on` runs (the `block_on` thread is the only one that polls
    /// it), runs again in the next one, and is dropped with the runtime.
    PausedUntilDrop,
    /// It is dropped when `block_on` returns (its executor lives only that long).
    StoppedWithBlockOn,
    /// It runs on until the process exits: nothing the program holds stops it.
    RunsUntilExit,
}

impl DetachedTask {
    /// The fate in words, as the `shutdown` experiment prints it.
    pub fn words(self) -> &'static str {
        match self {
            DetachedTask::RunsUntilDrop => {
                "it ran on after block_on returned, until the runtime was dropped"
            }
            DetachedTask::PausedUntilDrop => {
                "it stood still after block_on returned, ran again in the next block_on, and stopped when the runtime was dropped"
            }
            DetachedTask::StoppedWithBlockOn => "it stopped when block_on returned",
            DetachedTask::RunsUntilExit => {
                "it ran on after block_on returned and after the runtime was dropped: it runs until the process exits"
            }
        }
    }
}

/// What dropping a configuration's runtime value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeDrop {
    /// It stops the tasks, waits for the running blocking jobs to end, and panics when
    /// done inside async code, where waiting is not allowed (tokio).
    StopsAndWaits,
    /// It stops nothing: the executor is global, or lives with its tasks (or there is
    /// none).
    StopsNothing,
}

/// What a runtime's `block_on` does when it is called from inside one of its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestedBlockOn {
    /// It refuses, with a panic whose message says why (tokio, the futures crate's
    /// executors, which `std::thread`'s tasks are driven by too).
    Panics,
    /// It runs, and blocks the thread it was called on: the executor's other tasks on
    /// that thread wait, so a future that needs one of them never finishes.
    Blocks,
    /// It runs, and other threads keep the executor's other tasks going.
    Works,
}

/// What a task that computes without ever awaiting does to the other tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyTask {
    /// They wait until it awaits: they share its one thread.
    StarvesOthers,
    /// They run on other threads meanwhile.
    OthersRunElsewhere,
}

/// Which threads poll a configuration's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollsOn {
    /// Only the thread that calls `block_on`.
    BlockOnThread,
    /// A pool of worker threads (the `block_on` thread polls only the main future).
    Workers,
    /// A thread of its own for every task.
    ThreadPerTask,
}

/// What dropping a runtime's own join handle does to its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DroppedHandle {
    /// The task runs on, detached (tokio, async-std, `std::thread`).
    Detaches,
    /// The task is cancelled (smol's `Task`, the futures crate's `RemoteHandle`).
    Cancels,
}

/// How a panic in a task comes back to the task that awaits its handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanicOnAwait {
    /// As an error value (tokio's `JoinError`, `thread::JoinHandle::join`'s `Err`).
    Error,
    /// As the same panic, resumed in the awaiting task.
    Propagates,
    /// Not at all: the task is polled with no `catch_unwind`, so its panic unwinds out of
    /// the executor's loop and out of `block_on`, which ends with it, and so do the main
    /// future and every other task of that `block_on` (monoio).
    TearsDownBlockOn,
}

/// A way to spawn tasks (or threads) that borrow a local: one that ends before the local
/// does. `scoped` spawns with it, as `how` says; `name` is the runtime's own name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopedSpawn {
    /// Its name in the runtime's API: `std::thread::scope`, say.
    pub name: &'static str,
    /// What the lab runs for it.
    pub how: Scope,
}

/// What runs the tasks of a [`ScopedSpawn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// An `async_executor::Executor<'a>`, run inside the task until its tasks end.
    Executor,
    /// An `async_executor::LocalExecutor<'a>`, the same on the task's own thread.
    LocalExecutor,
    /// `std::thread::scope`: threads that borrow, joined before it returns.
    Threads,
}

/// Whose timer a configuration's `sleep` uses, and which thread drives it: declared by
/// the runtime crate that runs it (`runtime-tokio`'s), or here for a timer crate that
/// several runtimes run on ([`ASYNC_IO_TIMER`], [`FUTURES_TIMER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    /// The crate whose timer it is, as `--configurations` shows it.
    pub name: &'static str,
    /// The thread of its own that fires it (a thread of that role in the census), or
    /// `None` where the runtime's own threads drive it.
    pub thread: Option<Role>,
    /// True where the runtime turns it only when it parks, which it does only when no task
    /// is ready: a task that yields in a loop (`busy-loop`) keeps every sleep of its
    /// thread from waking until it stops (monoio's wheel). False where the timer fires
    /// meanwhile: on a thread of its own, or checked by the runtime between tasks.
    pub held_back_by_yields: bool,
    /// True where it counts time in ticks of a millisecond (tokio's wheel, and monoio's,
    /// which is a copy of it): a sleep, however short, wakes at the next tick at the
    /// earliest, so that ten sleeps of a microsecond in a row take nine milliseconds or
    /// more. False where a sleep is kept to its deadline's own instant.
    pub millisecond_ticks: bool,
}

/// async-io's timer, driven by its reactor thread (smol's and async-std's).
pub const ASYNC_IO_TIMER: Timer = Timer {
    name: "async-io",
    thread: Some(Role::Reactor),
    held_back_by_yields: false,
    millisecond_ticks: false,
};

/// futures-timer's one global thread, which works on any executor.
pub const FUTURES_TIMER: Timer = Timer {
    name: "futures-timer",
    thread: Some(Role::Timer),
    held_back_by_yields: false,
    millisecond_ticks: false,
};

/// How a configuration's sockets wait for the kernel: declared by the runtime crate (or
/// here, for the I/O of a crate several runtimes run on: [`ASYNC_IO_SOCKETS`],
/// [`COMPAT_SOCKETS`]).
#[derive(Debug, Clone, Copy)]
pub struct Io {
    /// The kernel interface and the crate that drives it, as `--configurations` shows it.
    pub driver: &'static str,
    /// Whether the kernel says "ready" or "done".
    pub model: IoModel,
    /// The thread of its own that waits on the kernel (a thread of that role in the
    /// census: async-io's `reactor`, the compat bridge), or `None` where the executor's
    /// own threads do (tokio's workers, compio's `block_on` thread).
    pub thread: Option<Role>,
    /// What the lab's loopback echo runs on it.
    pub sockets: Sockets,
    /// An operation the driver hands to the kernel, which does it on a thread of its own
    /// that belongs to the process (io_uring's io-wq worker, `iou-wrk-*`), where the
    /// driver has one: `blocking-pool` does it and shows that thread.
    pub kernel_worker: Option<KernelWork>,
}

/// An operation the kernel does on a worker thread of the process's own (see
/// [`Io::kernel_worker`]): named and done by one value.
#[derive(Debug, Clone, Copy)]
pub struct KernelWork {
    /// What it is, as the lab says it: `an fsync through io_uring (...)`, say.
    pub name: &'static str,
    /// Does it once, on a file it makes in the folder it is given, on the thread of the
    /// configuration's `block_on`.
    pub run: fn(std::path::PathBuf) -> LocalIo,
}

/// What the kernel tells an I/O driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoModel {
    /// "This socket is ready": the driver waits (epoll), then the task makes the system
    /// call itself (`read`, `write`), which may find nothing after all.
    Readiness,
    /// "Your operation is done": the task's operation is submitted to the kernel (a ring,
    /// io_uring) and its result comes back on another ring; no system call per operation
    /// where submissions are batched.
    Completion,
}

/// The sockets the lab's loopback echo uses on a configuration: the lab runs the first
/// three; a runtime whose sockets the lab does not depend on does it with its function.
#[derive(Debug, Clone, Copy)]
pub enum Sockets {
    /// `tokio::net`, on the runtime's own reactor.
    Tokio,
    /// async-io's `Async<TcpStream>` (smol's and async-std's sockets), on its reactor.
    AsyncIo,
    /// `tokio::net` inside `async_compat`: the bridge's reactor, on its thread.
    CompatBridge,
    /// The runtime's own: `echo(trips)` makes a loopback TCP connection between two of its
    /// tasks and sends one byte there and back `trips` times. Called, and the future run,
    /// on the thread of the configuration's `block_on`.
    Own(fn(u64) -> LocalIo),
}

/// I/O a runtime does itself, on the thread of its `block_on` ([`Sockets::Own`],
/// [`KernelWork`]).
pub type LocalIo = std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>>>>;

impl Io {
    /// What the thread report says of the configuration's I/O where a reader would look
    /// for a reactor thread and find none: on a completion driver, there is none.
    pub fn census_note(&self) -> Option<String> {
        (self.model == IoModel::Completion).then(|| {
            format!(
                "no reactor thread: {} completes each operation in the kernel, and the thread that runs block_on reaps the completions from a ring; the threads the kernel starts for the ring (iou-wrk-*, iou-sqp-*) are the process's own, with the role io-uring-worker",
                self.driver
            )
        })
    }
}

/// async-io's sockets (smol's and async-std's): readiness, through the polling crate
/// (epoll), waited on by its reactor thread (or by a `block_on` with nothing to run).
pub const ASYNC_IO_SOCKETS: Io = Io {
    driver: "epoll, through async-io",
    model: IoModel::Readiness,
    thread: Some(Role::Reactor),
    sockets: Sockets::AsyncIo,
    kernel_worker: None,
};

/// The sockets of a runtime with no I/O of its own: tokio's inside `async_compat`, whose
/// reactor runs on the bridge's thread.
pub const COMPAT_SOCKETS: Io = Io {
    driver: "epoll, through tokio in async-compat",
    model: IoModel::Readiness,
    thread: Some(Role::CompatBridge),
    sockets: Sockets::CompatBridge,
    kernel_worker: None,
};

/// Which channel crate the `trpl` API's `channel` is on a configuration: each works on any
/// executor, so a runtime picks the one of its ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// `tokio::sync::mpsc::unbounded_channel`.
    TokioMpsc,
    /// `async_channel::unbounded`, smol's and async-std's.
    AsyncChannel,
    /// `futures::channel::mpsc::unbounded`.
    FuturesMpsc,
}

/// How reqwest, which needs a tokio reactor, runs on a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http {
    /// Directly: the runtime itself provides the reactor reqwest needs.
    OwnReactor,
    /// Through `async_compat`, whose tokio runtime runs on a thread of its own.
    CompatBridge,
}

/// Where the configuration called `flavor` is among `configurations`, or a one-line
/// reason naming the flavors there are.
pub fn find(configurations: &[Configuration], flavor: &str) -> Result<usize, String> {
    configurations
        .iter()
        .position(|c| c.flavor == flavor)
        .ok_or_else(|| {
            let known: Vec<&str> = configurations.iter().map(|c| c.flavor).collect();
            format!(
                "no flavor '{flavor}'; runtime-{} has: {}",
                configurations.first().map_or("?", |c| c.runtime),
                known.join(", ")
            )
        })
}

/// A runtime crate's flavors as a type: one variant per configuration, so that the
/// crate's `new()` is an exhaustive `match` and a new flavor cannot fall into another's
/// arm. Declare it with [`flavors!`](crate::flavors), which writes the variants and
/// their configurations once, side by side.
pub trait Flavor: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// Every flavor's configuration, in the order the flavors are declared; the first is
    /// the default.
    const CONFIGURATIONS: &'static [Configuration];

    /// Every flavor, in the order of [`Flavor::CONFIGURATIONS`].
    const ALL: &'static [Self];

    /// This flavor's configuration.
    fn configuration(self) -> &'static Configuration;

    /// The flavor `--flavor` (or `ASYNC_LAB_FLAVOR`) calls `name`, or a one-line reason.
    fn named(name: &str) -> Result<Self, String> {
        find(Self::CONFIGURATIONS, name).map(|index| Self::ALL[index])
    }

    /// The default flavor: the first declared.
    fn default_flavor() -> Self {
        Self::ALL[0]
    }
}

/// Declares a runtime crate's flavor enum and its configurations in one place: each
/// variant beside the [`Configuration`] that describes it. The first is the default.
/// Every runtime crate does, as `flavors! { pub enum Flavor { Global => GLOBAL, ... } }`.
#[macro_export]
macro_rules! flavors {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $configuration:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $crate::registry::Flavor for $name {
            const CONFIGURATIONS: &'static [$crate::registry::Configuration] =
                &[$( $configuration ),+];
            const ALL: &'static [Self] = &[$( $name::$variant ),+];

            fn configuration(self) -> &'static $crate::registry::Configuration {
                // The variants and the configurations are listed in the same order.
                &<Self as $crate::registry::Flavor>::CONFIGURATIONS[self as usize]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Configuration = Configuration {
        runtime: "rt",
        flavor: "one",
        about: "the first",
        capabilities: Capabilities {
            polls_on: PollsOn::BlockOnThread,
            takes_workers: false,
            raw_spawn: "rt::spawn",
            dropped_handle: DroppedHandle::Detaches,
            panic: PanicOnAwait::Error,
            blocking: None,
            own_timeout: None,
            timer: FUTURES_TIMER,
            io: COMPAT_SOCKETS,
            channel: ChannelKind::FuturesMpsc,
            http: Http::CompatBridge,
            local_spawn: None,
            block_on: "rt::block_on",
            nested_block_on: NestedBlockOn::Panics,
            busy_task: BusyTask::StarvesOthers,
            block_in_place: None,
            detached_task: DetachedTask::RunsUntilExit,
            runtime_drop: RuntimeDrop::StopsNothing,
            scoped_spawn: None,
            task_may_move: false,
        },
    };
    const TWO: Configuration = Configuration {
        flavor: "two",
        about: "the second",
        ..ONE
    };

    crate::flavors! {
        /// Two flavors, declared as a runtime crate declares its own.
        enum Test {
            /// The default.
            One => ONE,
            /// The other.
            Two => TWO,
        }
    }

    #[test]
    fn each_flavor_is_its_own_configuration_and_the_first_is_the_default() {
        assert_eq!(Test::ALL, &[Test::One, Test::Two]);
        assert_eq!(Test::One.configuration().flavor, "one");
        assert_eq!(Test::Two.configuration().about, "the second");
        assert_eq!(Test::default_flavor(), Test::One);
        assert_eq!(Test::named("two"), Ok(Test::Two));
        assert_eq!(
            Test::named("three"),
            Err("no flavor 'three'; runtime-rt has: one, two".to_string())
        );
    }
}
