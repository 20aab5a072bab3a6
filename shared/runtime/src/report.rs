//! The report of a run, as data: every thread, every task, every poll. Its JSON form
//! (`--json`, with the `serde` feature, which the lab turns on) is this data model
//! serialized; the renderers that draw it for people (text, SVG, HTML) are in
//! [`crate::render`], and only read it.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::census::{self, Census, Role, ThreadInfo, ThreadName};
use crate::trace::{FutureSummary, TaskSummary};

/// The report of one run. Its JSON form is what a runtime binary prints with `--json` and
/// what the driver reads from each child; ARCHITECTURE.md lists its keys.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Report {
    /// The runtime's name.
    pub runtime: String,
    /// The runtime's configuration.
    pub flavor: String,
    /// The experiment's name.
    pub experiment: String,
    /// The lines the experiment printed, in order.
    pub lines: Vec<String>,
    /// True when the experiment behaved as designed and nothing failed.
    pub ok: bool,
    /// One line per failure.
    pub errors: Vec<String>,
    /// Wall-clock time of the experiment, in milliseconds.
    pub wall_ms: f64,
    /// The process's OS threads.
    pub threads: Threads,
    /// Every traced task.
    pub tasks: Vec<TaskReport>,
    /// Every traced future inside a task: the arguments of the book API's `join`,
    /// `join3`, `join_all`, `join!` and `select`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub futures: Vec<FutureReport>,
    /// Facts about the runtime worth knowing when reading the numbers.
    pub notes: Vec<String>,
    /// The parts of the experiment this runtime cannot do (`spawn_blocking`, say).
    pub unsupported: Vec<String>,
    /// The experiment's own remarks (printed to stderr, prefixed `## `).
    pub remarks: Vec<String>,
    /// The remarks that belong among the lines, each with where it stands: the title of
    /// each part of the experiment (which listing each block of lines is), and what
    /// happened at a point of it. Each is also one of the `remarks`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub parts: Vec<Part>,
    /// What the experiment measured, by name (milliseconds where the name ends in `_ms`).
    pub measurements: BTreeMap<String, f64>,
    /// For a measurement taken several times (its median in `measurements`): `[min, max]`,
    /// or for `bench`'s figures the median's confidence interval `[low, high]` (at least 95%:
    /// see `stats`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub spread: BTreeMap<String, [f64; 2]>,
    /// For a measurement taken several times: every value, one per round, in the order
    /// they were taken (`bench`'s, from which the driver pools its interleaved rounds).
    #[cfg_attr(feature = "serde", serde(default))]
    pub samples: BTreeMap<String, Vec<f64>>,
}

/// The thread census of a run.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Threads {
    /// False where the OS does not list a process's threads (everywhere but Linux).
    pub census_available: bool,
    /// The most threads alive at once, the lab's own (site, census) left out.
    pub peak: usize,
    /// Every thread seen during the run.
    pub list: Vec<ThreadReport>,
    /// The threads alive before the runtime was built (tids, as in `list`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub at_start: Vec<u64>,
    /// The threads alive once the runtime was built, before the run (trpl builds its
    /// runtime later, inside each `block_on`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub at_built: Vec<u64>,
    /// The threads alive when the most were.
    #[cfg_attr(feature = "serde", serde(default))]
    pub at_peak: Vec<u64>,
    /// The threads alive after the run.
    #[cfg_attr(feature = "serde", serde(default))]
    pub at_end: Vec<u64>,
}

/// One OS thread: who it is, when it lived and what it polled.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThreadReport {
    /// The kernel's thread id.
    pub tid: u64,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for.
    #[cfg_attr(feature = "serde", serde(with = "census::role_key"))]
    pub role: Role,
    /// When the census first saw it, in ms from the start of the run (the call to
    /// `block_on`); negative for threads started before, with the runtime.
    #[cfg_attr(feature = "serde", serde(default))]
    pub first_seen_ms: Option<f64>,
    /// When the census last saw it, in ms from the start of the run.
    #[cfg_attr(feature = "serde", serde(default))]
    pub last_seen_ms: Option<f64>,
    /// Polls it ran, of any task.
    #[cfg_attr(feature = "serde", serde(default))]
    pub polls: u64,
    /// How many tasks it polled at least once.
    #[cfg_attr(feature = "serde", serde(default))]
    pub tasks_polled: usize,
    /// Time spent inside polls, in ms.
    #[cfg_attr(feature = "serde", serde(default))]
    pub busy_ms: f64,
    /// `busy_ms` over the run's wall time: 1.0 is a thread that polled all the time.
    #[cfg_attr(feature = "serde", serde(default))]
    pub busy_share: f64,
}

/// One task: how often it was polled, by which threads, and when.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TaskReport {
    /// The task's name.
    pub name: String,
    /// Polls.
    pub polls: u64,
    /// The OS thread ids that polled it, as in `threads.list`.
    pub threads: Vec<u64>,
    /// Moves from one thread to another between consecutive polls.
    pub migrations: u64,
    /// Time spent inside its polls, in ms.
    #[cfg_attr(feature = "serde", serde(default))]
    pub busy_ms: f64,
    /// From spawn (or, for `main`, from the call to `block_on`) to its first poll, in
    /// ms; `None` when it was never polled.
    #[cfg_attr(feature = "serde", serde(default))]
    pub first_poll_delay_ms: Option<f64>,
    /// Every poll: which thread, from when to when.
    #[cfg_attr(feature = "serde", serde(default))]
    pub spans: Vec<SpanReport>,
}

/// A remark that belongs among the lines: a part's title (a listing, say).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Part {
    /// How many of the experiment's lines came before it.
    pub line: usize,
    /// The remark: `listing 17-9: one message`.
    pub title: String,
}

/// One future inside a task: which task polled it, and each of its polls (which fall
/// inside its task's polls).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FutureReport {
    /// The index, in the report's `tasks`, of the task that polled it; `None` when no
    /// traced task did.
    pub task: Option<usize>,
    /// The future's name: `join #1`, `select #2`, or its source text in `join!`.
    pub name: String,
    /// Polls.
    pub polls: u64,
    /// Every poll: which thread, from when to when.
    pub spans: Vec<SpanReport>,
}

/// One poll of a task, in microseconds from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SpanReport {
    /// The thread that polled, as in `threads.list`.
    pub tid: u64,
    /// When the poll began.
    pub start_us: f64,
    /// When it returned.
    pub end_us: f64,
}

/// `at` in ms from `epoch`, negative when it came before.
fn ms_since(epoch: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(epoch) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(epoch.duration_since(at).as_secs_f64() * 1e3),
    }
}

impl Report {
    /// Puts the census and the task records together. `epoch` is the start of the run
    /// (the call to `block_on`), which every time in the report counts from; `wall_ms` is
    /// the run's length, against which busy shares are measured; `names` are the thread
    /// names the runtime gives (its `Executor::THREAD_NAMES`).
    pub fn threads_from(
        census: &Census,
        tasks: &[TaskSummary],
        names: &[ThreadName],
        epoch: Instant,
        wall_ms: f64,
    ) -> (Threads, Vec<TaskReport>) {
        let pollers: Vec<u64> = tasks
            .iter()
            .flat_map(|t| t.threads.iter().copied())
            .collect();
        let mut seen = census.seen.clone();
        // A thread that polled a task but ended between two samples is still one of ours.
        for tid in &pollers {
            seen.entry(*tid).or_insert_with(|| "(ended)".to_string());
        }
        let tasks: Vec<TaskReport> = tasks.iter().map(|t| task_report(t, epoch)).collect();
        let list = census::classify(&seen, &pollers, names)
            .into_iter()
            .map(|info| thread_report(info, census, &tasks, epoch, wall_ms))
            .collect();
        let threads = Threads {
            census_available: census.available,
            peak: census.peak,
            list,
            at_start: census.at_start.clone(),
            at_built: census.at_built.clone(),
            at_peak: census.at_peak.clone(),
            at_end: census.at_end.clone(),
        };
        (threads, tasks)
    }

    /// The futures traced inside tasks, timed from `epoch` as [`Report::threads_from`]
    /// times the tasks.
    pub fn futures_from(futures: &[FutureSummary], epoch: Instant) -> Vec<FutureReport> {
        futures
            .iter()
            .map(|f| FutureReport {
                task: f.task,
                name: f.summary.name.clone(),
                polls: f.summary.polls,
                spans: spans_report(&f.summary, epoch),
            })
            .collect()
    }

    /// The report of a run that left none (its process crashed, say): no lines, no
    /// threads, and `reason` as its one error.
    pub fn without_run(runtime: &str, flavor: &str, experiment: &str, reason: &str) -> Report {
        Report {
            runtime: runtime.to_string(),
            flavor: flavor.to_string(),
            experiment: experiment.to_string(),
            lines: Vec::new(),
            ok: false,
            errors: vec![reason.to_string()],
            wall_ms: 0.0,
            threads: Threads {
                census_available: false,
                peak: 0,
                list: Vec::new(),
                at_start: Vec::new(),
                at_built: Vec::new(),
                at_peak: Vec::new(),
                at_end: Vec::new(),
            },
            tasks: Vec::new(),
            futures: Vec::new(),
            notes: Vec::new(),
            unsupported: Vec::new(),
            remarks: Vec::new(),
            parts: Vec::new(),
            measurements: BTreeMap::new(),
            spread: BTreeMap::new(),
            samples: BTreeMap::new(),
        }
    }

    /// The name of thread `tid`, `?` when the census did not see it.
    pub fn thread_name(&self, tid: u64) -> &str {
        self.threads
            .list
            .iter()
            .find(|t| t.tid == tid)
            .map_or("?", |t| t.name.as_str())
    }
}

fn task_report(task: &TaskSummary, epoch: Instant) -> TaskReport {
    TaskReport {
        name: task.name.clone(),
        polls: task.polls,
        threads: task.threads.clone(),
        migrations: task.migrations,
        busy_ms: task
            .spans
            .iter()
            .map(|s| (s.end - s.start).as_secs_f64() * 1e3)
            .sum(),
        // `main` is wrapped just before `block_on` starts: its delay counts from then.
        first_poll_delay_ms: task
            .spans
            .first()
            .map(|s| ms_since(task.created.max(epoch), s.start)),
        spans: spans_report(task, epoch),
    }
}

/// `task`'s polls, in µs from `epoch`.
fn spans_report(task: &TaskSummary, epoch: Instant) -> Vec<SpanReport> {
    let us = |at: Instant| ms_since(epoch, at) * 1e3;
    task.spans
        .iter()
        .map(|s| SpanReport {
            tid: s.tid,
            start_us: us(s.start),
            end_us: us(s.end),
        })
        .collect()
}

fn thread_report(
    info: ThreadInfo,
    census: &Census,
    tasks: &[TaskReport],
    epoch: Instant,
    wall_ms: f64,
) -> ThreadReport {
    // A thread was alive while it polled, whatever the samples caught of it.
    let mut lifetime = census
        .lifetimes
        .get(&info.tid)
        .map(|(first, last)| (ms_since(epoch, *first), ms_since(epoch, *last)));
    for span in tasks
        .iter()
        .flat_map(|t| &t.spans)
        .filter(|s| s.tid == info.tid)
    {
        let (first, last) = (span.start_us / 1e3, span.end_us / 1e3);
        lifetime = Some(lifetime.map_or((first, last), |(f, l)| (f.min(first), l.max(last))));
    }
    let mut polls = 0;
    let mut tasks_polled = 0;
    let mut busy_us = 0.0;
    for task in tasks {
        let mine = task.spans.iter().filter(|s| s.tid == info.tid);
        let before = polls;
        for span in mine {
            polls += 1;
            busy_us += span.end_us - span.start_us;
        }
        if polls > before {
            tasks_polled += 1;
        }
    }
    let busy_ms = busy_us / 1e3;
    ThreadReport {
        tid: info.tid,
        name: info.name,
        role: info.role,
        first_seen_ms: lifetime.map(|(first, _)| first),
        last_seen_ms: lifetime.map(|(_, last)| last),
        polls,
        tasks_polled,
        busy_ms,
        busy_share: if wall_ms > 0.0 {
            busy_ms / wall_ms
        } else {
            0.0
        },
    }
}
