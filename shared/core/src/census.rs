//! The half of the thread census that runtimes and tasks touch: each thread's id, the
//! role a runtime marks its own threads with, and the threads the lab leaves out. The
//! census itself (which threads exist, read from the OS) is the lab's
//! (`async_lab_shared::census`); this half is here so that a runtime crate can mark its
//! threads without pulling the lab in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};
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
    /// A tokio thread that polled no task: an idle worker or a blocking-pool thread
    /// (tokio gives both the same name).
    TokioIdle,
    /// None of the above.
    Other,
}

impl Role {
    /// Every role, in the order the report lists them.
    pub const ALL: [Role; 8] = [
        Role::Main,
        Role::Worker,
        Role::Reactor,
        Role::Timer,
        Role::BlockingPool,
        Role::CompatBridge,
        Role::TokioIdle,
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
            Role::TokioIdle => "tokio-idle",
            Role::Other => "other",
        }
    }

    /// The role whose [`Role::key`] is `key`.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
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
            Role::TokioIdle => "idle worker or blocking pool",
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
