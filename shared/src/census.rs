//! Every OS thread of the process, with its name and the role it plays.
//!
//! On Linux, `/proc/self/task/*/comm` lists the threads and their names (cut to 15
//! bytes by the kernel). A [`Sampler`] reads it every millisecond during a run, so that
//! threads that come and go (a blocking pool, the compat bridge) are caught, and keeps
//! the peak, and which threads were alive at the start, at the peak and at the end.
//! Elsewhere the census says it cannot tell.
//!
//! Roles come first from the runtimes themselves ([`mark_current`], called from their
//! thread hooks), then from who polled tasks, then from the thread names the runtimes
//! and their helper crates are known to give.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What a thread is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// One thread of the census.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The kernel's thread id.
    pub tid: u64,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for.
    pub role: Role,
}

static MARKS: Mutex<BTreeMap<u64, Role>> = Mutex::new(BTreeMap::new());
static EXCLUDED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

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
    marks.entry(tid).or_insert(role);
}

/// Leaves the calling thread out of every census: the embedded site's and the sampler's
/// threads are the lab's, not the runtime's.
pub fn exclude_current() {
    EXCLUDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(current_tid());
}

fn is_excluded(tid: u64) -> bool {
    EXCLUDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(&tid)
}

/// The threads alive now, by tid, with their names; `None` where the OS cannot tell.
pub fn snapshot() -> Option<BTreeMap<u64, String>> {
    let dir = std::fs::read_dir("/proc/self/task").ok()?;
    let mut threads = BTreeMap::new();
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if is_excluded(tid) {
            continue;
        }
        // A thread can end between the directory listing and this read: skip it.
        if let Ok(name) = std::fs::read_to_string(entry.path().join("comm")) {
            threads.insert(tid, name.trim_end().to_string());
        }
    }
    Some(threads)
}

/// Names each thread's role. `pollers` are the threads that polled at least one task.
pub fn classify(threads: &BTreeMap<u64, String>, pollers: &[u64]) -> Vec<ThreadInfo> {
    let marks = MARKS.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let pid = u64::from(std::process::id());
    threads
        .iter()
        .map(|(&tid, name)| ThreadInfo {
            tid,
            name: name.clone(),
            role: role_of(tid, name, pid, &marks, pollers),
        })
        .collect()
}

fn role_of(tid: u64, name: &str, pid: u64, marks: &BTreeMap<u64, Role>, pollers: &[u64]) -> Role {
    if tid == pid {
        return Role::Main;
    }
    if let Some(role) = marks.get(&tid) {
        return *role;
    }
    // Names as the kernel keeps them: cut to 15 bytes.
    let by_name = [
        ("async-compat/to", Role::CompatBridge),
        ("async-io", Role::Reactor),
        ("blocking-", Role::BlockingPool),
        ("futures-timer", Role::Timer),
        ("async-std/runti", Role::Worker),
        ("async-global-ex", Role::Worker),
        ("smol-", Role::Worker),
    ];
    if let Some((_, role)) = by_name.iter().find(|(prefix, _)| name.starts_with(prefix)) {
        return *role;
    }
    if pollers.contains(&tid) {
        return Role::Worker;
    }
    if name.starts_with("tokio-") {
        return Role::TokioIdle;
    }
    Role::Other
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
    /// The threads alive when the most were (the first time there were that many).
    pub at_peak: Vec<u64>,
    /// The threads alive at the last sample, after the run.
    pub at_end: Vec<u64>,
    /// The most threads alive at once.
    pub peak: usize,
    /// False where the OS offers no thread list.
    pub available: bool,
}

/// Reads the thread list every millisecond on a thread of its own (left out of the count)
/// until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<Census>>,
}

impl Sampler {
    /// Starts sampling. The first sample is taken before this returns.
    pub fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let mut census = Census::default();
        take_sample(&mut census);
        let flag = stop.clone();
        let handle = thread::Builder::new()
            .name("lab-census".into())
            .spawn(move || {
                exclude_current();
                while !flag.load(Ordering::Relaxed) {
                    take_sample(&mut census);
                    thread::sleep(Duration::from_millis(1));
                }
                census
            })
            .ok();
        Sampler { stop, handle }
    }

    /// Stops sampling, takes one last sample and returns what was seen.
    pub fn stop(mut self) -> Census {
        self.stop.store(true, Ordering::Relaxed);
        let mut census = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        take_sample(&mut census);
        census
    }
}

fn take_sample(census: &mut Census) {
    let Some(now) = snapshot() else { return };
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
