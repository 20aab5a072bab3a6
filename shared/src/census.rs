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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use async_lab_core::census::{
    Role, current_tid, exclude, exclude_current, is_excluded, mark_current,
};

/// One thread of the census.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The kernel's thread id.
    pub tid: u64,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for.
    #[serde(with = "role_key")]
    pub role: Role,
}

/// How the lab names its own threads (the embedded site's, the sampler's, `bench`'s
/// floors), which no census counts.
pub const LAB_THREAD_PREFIX: &str = "lab-";

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
        // A thread can end between the directory listing and this read: skip it. The
        // lab's own threads are named `lab-…`, and left out from then on.
        if let Ok(name) = std::fs::read_to_string(entry.path().join("comm")) {
            if name.starts_with(LAB_THREAD_PREFIX) {
                exclude(tid);
            } else {
                threads.insert(tid, name.trim_end().to_string());
            }
        }
    }
    Some(threads)
}

/// Names each thread's role. `pollers` are the threads that polled at least one task.
pub fn classify(threads: &BTreeMap<u64, String>, pollers: &[u64]) -> Vec<ThreadInfo> {
    let marks = async_lab_core::census::marks();
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
        // A lab thread may have been seen under its parent's name, before it named
        // itself: leave it out of what was seen, too.
        census.seen.retain(|tid, _| !is_excluded(*tid));
        census.lifetimes.retain(|tid, _| !is_excluded(*tid));
        for tids in [
            &mut census.at_start,
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

/// A [`Role`] in JSON: its [`Role::key`] (`#[serde(with = "census::role_key")]`).
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
