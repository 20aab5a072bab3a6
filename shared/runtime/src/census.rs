//! Every OS thread of the process, with its name and the role it plays; and the half of
//! it that runtimes and tasks touch: each thread's id, the role a runtime marks its own
//! threads with ([`mark_current`]), and the threads the lab leaves out. It is here, not
//! in the lab, so that a runtime crate can mark its threads and a book program can have
//! its thread report (`ASYNC_LAB_REPORT=1`) without pulling the lab in.
//!
//! On Linux, `/proc/self/task/*/comm` lists the threads and their names (cut to 15
//! bytes by the kernel). A [`Sampler`] reads it every millisecond during a run (less
//! often with thousands of threads), so that threads that come and go (a blocking pool,
//! the compat bridge) are caught, and keeps the peak, and which threads were alive at the
//! start, at the peak and at the end.
//! Elsewhere the census says it cannot tell.
//!
//! Roles come first from the runtimes themselves ([`mark_current`], called from their
//! thread hooks), then from who polled tasks, then from the thread names the runtimes
//! and their helper crates are known to give.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use std::time::Instant;

/// What a thread is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The thread `main` runs on, where `block_on` drives the main future.
    Main,
    /// An executor thread that polls tasks.
    Worker,
    /// A thread that runs the I/O reactor (and, for async-io, the timers).
    Reactor,
    /// A thread that only runs timers.
    Timer,
    /// A thread of a pool for blocking work.
    BlockingPool,
    /// The tokio runtime `async-compat` starts so that reqwest can run off tokio.
    CompatBridge,
    /// A thread the kernel starts for io_uring, which belongs to the process and is listed
    /// with its threads: an io-wq worker (`iou-wrk-<tid>`), which does an operation that
    /// would block (an fsync, say), or the submission-queue poller (`iou-sqp-<pid>`).
    IoUringWorker,
    /// A thread the runtime started that polled no task and that its name cannot place:
    /// an idle worker or a blocking-pool thread, where the runtime names both alike
    /// (tokio does).
    Idle,
    /// None of the above.
    Other,
}

impl Role {
    /// Every role, in the order the report lists them.
    pub const ALL: [Role; 9] = [
        Role::Main,
        Role::Worker,
        Role::Reactor,
        Role::Timer,
        Role::BlockingPool,
        Role::CompatBridge,
        Role::IoUringWorker,
        Role::Idle,
        Role::Other,
    ];

    /// The role's name in the JSON report: `main`, `blocking-pool`, ...
    pub fn key(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Worker => "worker",
            Role::Reactor => "reactor",
            Role::Timer => "timer",
            Role::BlockingPool => "blocking-pool",
            Role::CompatBridge => "compat-bridge",
            Role::IoUringWorker => "io-uring-worker",
            Role::Idle => "idle",
            Role::Other => "other",
        }
    }

    /// The role whose [`Role::key`] is `key`.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// What the role means, in a phrase (the notes' tables explain their roles with it).
    pub fn meaning(self) -> &'static str {
        match self {
            Role::Main => "the thread that called `block_on`, where the main future runs",
            Role::Worker => {
                "an executor's worker: a thread its runtime marks as one when it starts (whether or not it polled a task in this run), or another thread that polled tasks"
            }
            Role::Reactor => {
                "a reactor's thread (async-io's): it waits on sockets and timers, and wakes the tasks they were waiting for"
            }
            Role::Timer => {
                "a timer's thread (futures-timer's, mini's): it wakes each sleep at its deadline"
            }
            Role::BlockingPool => {
                "a thread of a pool for blocking work (`spawn_blocking`, `unblock`)"
            }
            Role::CompatBridge => {
                "the tokio thread async-compat starts so that reqwest runs off tokio"
            }
            Role::IoUringWorker => {
                "a thread the kernel starts for io_uring, one of the process's own: an io-wq worker (`iou-wrk-*`) doing an operation that would block, or the submission-queue poller (`iou-sqp-*`)"
            }
            Role::Idle => {
                "a thread the runtime started that polled no task: an idle worker or a blocking-pool thread, which the runtime names alike"
            }
            Role::Other => {
                "a thread none of the other rules names (an experiment's own plain thread, a helper crate's)"
            }
        }
    }

    /// How the report names the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Worker => "worker",
            Role::Reactor => "reactor",
            Role::Timer => "timer",
            Role::BlockingPool => "blocking pool",
            Role::CompatBridge => "compat bridge",
            Role::IoUringWorker => "io_uring worker (kernel)",
            Role::Idle => "idle worker or blocking pool",
            Role::Other => "other",
        }
    }
}

static MARKS: Mutex<BTreeMap<u64, Role>> = Mutex::new(BTreeMap::new());
static STARTED: Mutex<BTreeMap<u64, (String, Instant)>> = Mutex::new(BTreeMap::new());
static EXCLUDED: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

/// The calling thread's kernel thread id (a process-unique counter off Linux).
pub fn current_tid() -> u64 {
    thread_local! {
        static TID: u64 = os_tid();
    }
    TID.with(|tid| *tid)
}

#[cfg(target_os = "linux")]
fn os_tid() -> u64 {
    u64::from(
        rustix::thread::gettid()
            .as_raw_nonzero()
            .get()
            .unsigned_abs(),
    )
}

#[cfg(not(target_os = "linux"))]
fn os_tid() -> u64 {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Records the calling thread's role. Runtimes call this from their thread hooks.
pub fn mark_current(role: Role) {
    let tid = current_tid();
    let mut marks = MARKS.lock().unwrap_or_else(PoisonError::into_inner);
    // A worker mark is never downgraded: a worker's hooks fire again and again.
    if let std::collections::btree_map::Entry::Vacant(entry) = marks.entry(tid) {
        entry.insert(role);
        drop(marks);
        // The census samples the thread list now and then; a thread that starts and ends
        // between two samples (a thread per task) is still known, by name, from here.
        let name = std::thread::current()
            .name()
            .map_or_else(|| "(unnamed)".to_string(), kernel_name);
        STARTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tid, (name, Instant::now()));
    }
}

/// `name` as the kernel keeps a thread's name: its first 15 bytes.
fn kernel_name(name: &str) -> String {
    let bytes = &name.as_bytes()[..name.len().min(15)];
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every thread a runtime marked ([`mark_current`]), by tid: its name (as the kernel
/// keeps it) and when it was first marked.
pub fn marked_threads() -> BTreeMap<u64, (String, Instant)> {
    STARTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Leaves the calling thread out of every census: the embedded site's and the sampler's
/// threads are the lab's, not the runtime's.
pub fn exclude_current() {
    exclude(current_tid());
}

/// Leaves thread `tid` out of every census.
pub fn exclude(tid: u64) {
    EXCLUDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(tid);
}

/// True for a thread left out with [`exclude_current`].
pub fn is_excluded(tid: u64) -> bool {
    EXCLUDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(&tid)
}

/// Every role a runtime marked, by tid.
pub fn marks() -> BTreeMap<u64, Role> {
    MARKS.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// One thread of the census.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThreadInfo {
    /// The kernel's thread id.
    pub tid: u64,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for.
    #[cfg_attr(feature = "serde", serde(with = "role_key"))]
    pub role: Role,
}

/// How the lab names its own threads (the embedded site's, the sampler's, `bench`'s
/// floors), which no census counts.
pub const LAB_THREAD_PREFIX: &str = "lab-";

/// The threads alive now, by tid, with their names; `None` where the OS cannot tell.
pub fn snapshot() -> Option<BTreeMap<u64, String>> {
    TaskList::open().read()
}

/// The process's thread list, `/proc/self/task`, through a directory handle opened once:
/// a process that has used up every descriptor (a load test) can still list its
/// threads. A name that cannot be read then is the one read before, or `?`.
///
/// A thread names itself just after it starts, so its name is read again on each of its
/// first `NAME_READS` samples, then kept: with 10,000 threads (a thread per task),
/// reading every name every millisecond would take a core from the run it measures.
pub struct TaskList {
    #[cfg(target_os = "linux")]
    dir: Option<rustix::fs::Dir>,
    /// Each thread's name, and how many times it was read.
    names: BTreeMap<u64, (String, u32)>,
}

/// How many samples read a thread's name before it is kept.
const NAME_READS: u32 = 8;

impl TaskList {
    /// Opens the list (on Linux; elsewhere it is empty).
    pub fn open() -> TaskList {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{CWD, Dir, Mode, OFlags, openat};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let dir = openat(CWD, "/proc/self/task", flags, Mode::empty())
                .ok()
                .and_then(|fd| Dir::new(fd).ok());
            TaskList {
                dir,
                names: BTreeMap::new(),
            }
        }
        #[cfg(not(target_os = "linux"))]
        TaskList {
            names: BTreeMap::new(),
        }
    }

    /// The threads alive now, by tid, with their names; `None` where the OS cannot tell.
    #[cfg(target_os = "linux")]
    pub fn read(&mut self) -> Option<BTreeMap<u64, String>> {
        let dir = self.dir.as_mut()?;
        dir.rewind();
        let mut tids = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry.ok()?;
            if let Some(tid) = entry.file_name().to_str().ok().and_then(|s| s.parse().ok()) {
                tids.push(tid);
            }
        }
        let mut threads = BTreeMap::new();
        for tid in tids {
            if is_excluded(tid) {
                continue;
            }
            let known = self.names.get(&tid).cloned();
            if let Some((name, reads)) = &known
                && *reads >= NAME_READS
            {
                threads.insert(tid, name.clone());
                continue;
            }
            // A thread can end between the listing and this read: then it is skipped.
            // Out of descriptors, the name read before stands.
            let (name, reads) = match std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
            {
                Ok(name) => (name.trim_end().to_string(), known.map_or(1, |(_, n)| n + 1)),
                Err(e) if is_out_of_descriptors(&e) => {
                    known.unwrap_or_else(|| ("?".to_string(), 0))
                }
                Err(_) => continue,
            };
            // The lab's own threads are named `lab-…`, and left out from then on.
            if name.starts_with(LAB_THREAD_PREFIX) {
                exclude(tid);
                continue;
            }
            threads.insert(tid, name.clone());
            self.names.insert(tid, (name, reads));
        }
        Some(threads)
    }

    /// The threads alive now: where the OS cannot tell, `None`.
    #[cfg(not(target_os = "linux"))]
    pub fn read(&mut self) -> Option<BTreeMap<u64, String>> {
        None
    }
}

/// True when `error` says the process or the system has no descriptor left.
#[cfg(target_os = "linux")]
fn is_out_of_descriptors(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(23 | 24))
}

/// A name that a runtime, or a crate it runs on, gives its threads, and the role of a
/// thread so named. Each runtime crate lists its own (`Executor::THREAD_NAMES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadName {
    /// How the name starts, as the kernel keeps it: cut to 15 bytes.
    pub prefix: &'static str,
    /// The role of a thread so named.
    pub role: Role,
    /// True where the name alone does not decide: a thread so named that polled a task is
    /// a [`Role::Worker`] (tokio names its workers and its blocking-pool threads alike).
    pub unless_it_polled: bool,
}

impl ThreadName {
    /// A thread whose name starts with `prefix` plays `role`.
    pub const fn new(prefix: &'static str, role: Role) -> ThreadName {
        ThreadName {
            prefix,
            role,
            unless_it_polled: false,
        }
    }

    /// A thread whose name starts with `prefix` is a worker if it polled a task, else
    /// plays `role`.
    pub const fn unless_it_polled(prefix: &'static str, role: Role) -> ThreadName {
        ThreadName {
            prefix,
            role,
            unless_it_polled: true,
        }
    }
}

/// The thread of the tokio runtime that [`crate::compat`] starts so that reqwest runs off
/// tokio: the lab's own, on every runtime whose HTTP goes through it.
pub const COMPAT_BRIDGE: ThreadName = ThreadName::new("async-compat/to", Role::CompatBridge);

/// io_uring's io-wq workers, which the kernel starts in the process of a ring whose
/// operation would block (an fsync; a read that cannot wait on readiness): named
/// `iou-wrk-` and the tid of the thread whose ring it serves. On every runtime: the kernel
/// names them, whichever crate submitted the operation.
pub const IO_URING_WORKER: ThreadName = ThreadName::new("iou-wrk-", Role::IoUringWorker);

/// io_uring's submission-queue poller (`IORING_SETUP_SQPOLL`), which reads the ring in the
/// kernel so that submitting needs no system call: `iou-sqp-` and the pid.
pub const IO_URING_SQPOLL: ThreadName = ThreadName::new("iou-sqp-", Role::IoUringWorker);

/// async-io's reactor thread, which smol and async-std both run their I/O and timers on.
pub const ASYNC_IO: ThreadName = ThreadName::new("async-io", Role::Reactor);

/// The `blocking` crate's pool, which smol and async-std both run blocking work on.
pub const BLOCKING: ThreadName = ThreadName::new("blocking-", Role::BlockingPool);

/// Names each thread's role. `pollers` are the threads that polled at least one task;
/// `names` are the thread names the runtime gives (its `Executor::THREAD_NAMES`).
pub fn classify(
    threads: &BTreeMap<u64, String>,
    pollers: &[u64],
    names: &[ThreadName],
) -> Vec<ThreadInfo> {
    let marks = marks();
    let pid = u64::from(std::process::id());
    threads
        .iter()
        .map(|(&tid, name)| ThreadInfo {
            tid,
            name: name.clone(),
            role: role_of(tid, name, pid, &marks, pollers, names),
        })
        .collect()
}

/// A thread's role: the main thread's; else the one its runtime marked it with; else the
/// one its name gives, where the name decides (the runtime's names, the compat bridge's,
/// and io_uring's kernel threads', which no runtime names); else a worker if it polled a
/// task; else the one its name gives; else other.
fn role_of(
    tid: u64,
    name: &str,
    pid: u64,
    marks: &BTreeMap<u64, Role>,
    pollers: &[u64],
    names: &[ThreadName],
) -> Role {
    if tid == pid {
        return Role::Main;
    }
    if let Some(role) = marks.get(&tid) {
        return *role;
    }
    let named = |unless_it_polled: bool| {
        [&COMPAT_BRIDGE, &IO_URING_WORKER, &IO_URING_SQPOLL]
            .into_iter()
            .chain(names)
            .find(|n| n.unless_it_polled == unless_it_polled && name.starts_with(n.prefix))
            .map(|n| n.role)
    };
    if let Some(role) = named(false) {
        return role;
    }
    if pollers.contains(&tid) {
        return Role::Worker;
    }
    named(true).unwrap_or(Role::Other)
}

/// What a [`Sampler`] saw over a run.
#[derive(Debug, Clone, Default)]
pub struct Census {
    /// Every thread seen, by tid, with its last-seen name.
    pub seen: BTreeMap<u64, String>,
    /// When each thread was first and last seen alive.
    pub lifetimes: BTreeMap<u64, (Instant, Instant)>,
    /// The threads alive at the first sample, before the runtime was built.
    pub at_start: Vec<u64>,
    /// The threads alive once the runtime was built ([`Sampler::sample_built`]).
    pub at_built: Vec<u64>,
    /// The threads alive when the most were (the first time there were that many).
    pub at_peak: Vec<u64>,
    /// The threads alive at the last sample, after the run.
    pub at_end: Vec<u64>,
    /// The most threads alive at once.
    pub peak: usize,
    /// False where the OS offers no thread list.
    pub available: bool,
}

/// Reads the thread list every millisecond (less often when a sample is slow) on a thread
/// of its own (left out of the count) until stopped, and whenever [`Sampler::sample`] is
/// called: when the runtime has been built, when the main future is first polled and when
/// it ends, so that even a run of a millisecond sees every thread its runtime started.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<(Census, TaskList)>>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Sampler {
    /// Starts sampling. The first sample is taken before this returns.
    pub fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let mut census = Census::default();
        let mut list = TaskList::open();
        take_sample(&mut census, &mut list);
        let state = Arc::new(Mutex::new((census, list)));
        let (flag, shared) = (stop.clone(), state.clone());
        let (started, running) = std::sync::mpsc::channel();
        let handle = thread::Builder::new()
            .name("lab-census".into())
            .spawn(move || {
                exclude_current();
                let _ = started.send(());
                while !flag.load(Ordering::Relaxed) {
                    let began = Instant::now();
                    sample(&shared);
                    // Every millisecond, unless a sample is slow (thousands of threads):
                    // then the census keeps to a third of a core.
                    thread::sleep(Duration::from_millis(1).max(2 * began.elapsed()));
                }
            })
            .ok();
        // Left out before any other sample can see it under its parent's name.
        if handle.is_some() {
            let _ = running.recv();
        }
        Sampler {
            stop,
            state,
            handle,
        }
    }

    /// Takes a sample now, on the calling thread.
    pub fn sample(&self) {
        sample(&self.state);
    }

    /// Takes a sample now, and records its threads as the ones alive once the runtime was
    /// built ([`Census::at_built`]).
    pub fn sample_built(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (census, list) = &mut *state;
        take_sample(census, list);
        census.at_built = census.at_end.clone();
    }

    /// Takes a sample now and returns what was seen so far; sampling goes on.
    pub fn census(&self) -> Census {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (census, list) = &mut *state;
        take_sample(census, list);
        finish(census.clone())
    }

    /// Stops sampling, takes one last sample and returns what was seen.
    pub fn stop(mut self) -> Census {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        self.census()
    }
}

/// What was seen, with what the samples could not see added (threads a runtime marked)
/// and the lab's own threads left out.
fn finish(mut census: Census) -> Census {
    // A thread a runtime marked that started and ended between two samples.
    for (tid, (name, at)) in marked_threads() {
        if !census.seen.contains_key(&tid) && census.available {
            census.seen.insert(tid, name);
            census.lifetimes.insert(tid, (at, at));
        }
    }
    // A lab thread may have been seen under its parent's name, before it named
    // itself: leave it out of what was seen, too.
    census.seen.retain(|tid, _| !is_excluded(*tid));
    census.lifetimes.retain(|tid, _| !is_excluded(*tid));
    for tids in [
        &mut census.at_start,
        &mut census.at_built,
        &mut census.at_peak,
        &mut census.at_end,
    ] {
        tids.retain(|tid| !is_excluded(*tid));
    }
    census.peak = census
        .peak
        .min(census.at_peak.len().max(census.at_end.len()));
    census
}

fn sample(state: &Mutex<(Census, TaskList)>) {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let (census, list) = &mut *state;
    take_sample(census, list);
}

fn take_sample(census: &mut Census, list: &mut TaskList) {
    let Some(now) = list.read() else { return };
    let at = Instant::now();
    let tids: Vec<u64> = now.keys().copied().collect();
    if !census.available {
        census.at_start = tids.clone();
    }
    census.available = true;
    if now.len() > census.peak {
        census.peak = now.len();
        census.at_peak = tids.clone();
    }
    for tid in &tids {
        census
            .lifetimes
            .entry(*tid)
            .and_modify(|(_, last)| *last = at)
            .or_insert((at, at));
    }
    census.at_end = tids;
    census.seen.extend(now);
}

/// A [`Role`] in JSON: its [`Role::key`] (`#[serde(with = "census::role_key")]`).
#[cfg(feature = "serde")]
pub mod role_key {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::Role;

    /// Writes the role's key.
    pub fn serialize<S: Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(role.key())
    }

    /// Reads a role from its key.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        let key = String::deserialize(d)?;
        Role::from_key(&key).ok_or_else(|| D::Error::custom(format!("no role '{key}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKIO_LIKE: [ThreadName; 1] = [ThreadName::unless_it_polled("tokio-", Role::Idle)];

    fn role(tid: u64, name: &str, pollers: &[u64]) -> Role {
        role_of(tid, name, 1, &BTreeMap::new(), pollers, &TOKIO_LIKE)
    }

    #[test]
    fn io_uring_s_kernel_threads_are_named_on_every_runtime() {
        // The kernel names them after the thread (or process) whose ring they serve, and
        // cuts the name to 15 bytes.
        assert_eq!(role(7, "iou-wrk-4242", &[]), Role::IoUringWorker);
        assert_eq!(role(8, "iou-wrk-1234567", &[]), Role::IoUringWorker);
        assert_eq!(role(9, "iou-sqp-4242", &[]), Role::IoUringWorker);
        // Not by a runtime's names alone: with none given, the kernel's still place them.
        let none = role_of(7, "iou-wrk-3", 1, &BTreeMap::new(), &[], &[]);
        assert_eq!(none, Role::IoUringWorker);
        // A kernel thread polls no task; were one in the list of pollers, its name decides.
        assert_eq!(role(7, "iou-wrk-4242", &[7]), Role::IoUringWorker);
    }

    #[test]
    fn other_names_keep_their_roles() {
        assert_eq!(role(1, "main", &[]), Role::Main);
        assert_eq!(role(2, "iou-wr", &[]), Role::Other);
        assert_eq!(role(3, "tokio-runtime-w", &[3]), Role::Worker);
        assert_eq!(role(4, "tokio-runtime-w", &[]), Role::Idle);
        assert_eq!(role(5, "async-compat/to", &[]), Role::CompatBridge);
    }

    #[test]
    fn every_role_has_a_distinct_key_that_reads_back() {
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(role));
        }
        let keys: BTreeSet<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        assert_eq!(keys.len(), Role::ALL.len());
    }
}
