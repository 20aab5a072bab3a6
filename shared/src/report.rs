//! What a run prints after the experiment's own lines: the thread report, as text on
//! stderr or as one JSON object on stdout (`--json`): every thread, every task, every
//! poll, and the timeline drawn from them ([`crate::timeline`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::census::{self, Census, Role, ThreadInfo};
use crate::timeline;
use crate::trace::TaskSummary;

/// The most threads, tasks or timeline rows the text report lists; `--json` has them all,
/// so that a run with thousands of tasks does not drown its own output.
pub const TEXT_ROWS: usize = 24;

/// "… and N more", when a list was cut at [`TEXT_ROWS`].
pub fn more_rows(s: &mut String, total: usize, what: &str) {
    if total > TEXT_ROWS {
        let _ = writeln!(
            s,
            "  … and {} more {what} (--json lists them all)",
            total - TEXT_ROWS
        );
    }
}

/// The report of one run. Its JSON form is the contract in DESIGN.md.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Facts about the runtime worth knowing when reading the numbers.
    pub notes: Vec<String>,
    /// The parts of the experiment this runtime cannot do (`spawn_blocking`, say).
    pub unsupported: Vec<String>,
    /// The experiment's own remarks (printed to stderr, prefixed `## `).
    pub remarks: Vec<String>,
    /// What the experiment measured, by name (milliseconds where the name ends in `_ms`).
    pub measurements: BTreeMap<String, f64>,
}

/// The thread census of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Threads {
    /// False where the OS does not list a process's threads (everywhere but Linux).
    pub census_available: bool,
    /// The most threads alive at once, the lab's own (site, census) left out.
    pub peak: usize,
    /// Every thread seen during the run.
    pub list: Vec<ThreadReport>,
    /// The threads alive before the runtime was built (tids, as in `list`).
    #[serde(default)]
    pub at_start: Vec<u64>,
    /// The threads alive when the most were.
    #[serde(default)]
    pub at_peak: Vec<u64>,
    /// The threads alive after the run.
    #[serde(default)]
    pub at_end: Vec<u64>,
}

/// One OS thread: who it is, when it lived and what it polled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThreadReport {
    /// The kernel's thread id.
    pub tid: u64,
    /// The thread's name, as the kernel keeps it (at most 15 bytes).
    pub name: String,
    /// What the thread is for.
    #[serde(with = "census::role_key")]
    pub role: Role,
    /// When the census first saw it, in ms from the start of the run (the call to
    /// `block_on`); negative for threads started before, with the runtime.
    #[serde(default)]
    pub first_seen_ms: Option<f64>,
    /// When the census last saw it, in ms from the start of the run.
    #[serde(default)]
    pub last_seen_ms: Option<f64>,
    /// Polls it ran, of any task.
    #[serde(default)]
    pub polls: u64,
    /// How many tasks it polled at least once.
    #[serde(default)]
    pub tasks_polled: usize,
    /// Time spent inside polls, in ms.
    #[serde(default)]
    pub busy_ms: f64,
    /// `busy_ms` over the run's wall time: 1.0 is a thread that polled all the time.
    #[serde(default)]
    pub busy_share: f64,
}

/// One task: how often it was polled, by which threads, and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    #[serde(default)]
    pub busy_ms: f64,
    /// From spawn (or, for `main`, from the call to `block_on`) to its first poll, in
    /// ms; `None` when it was never polled.
    #[serde(default)]
    pub first_poll_delay_ms: Option<f64>,
    /// Every poll: which thread, from when to when.
    #[serde(default)]
    pub spans: Vec<SpanReport>,
}

/// One poll of a task, in microseconds from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// the run's length, against which busy shares are measured.
    pub fn threads_from(
        census: &Census,
        tasks: &[TaskSummary],
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
        let list = census::classify(&seen, &pollers)
            .into_iter()
            .map(|info| thread_report(info, census, &tasks, epoch, wall_ms))
            .collect();
        let threads = Threads {
            census_available: census.available,
            peak: census.peak,
            list,
            at_start: census.at_start.clone(),
            at_peak: census.at_peak.clone(),
            at_end: census.at_end.clone(),
        };
        (threads, tasks)
    }

    /// The report as people read it, set apart from the experiment's lines: the threads,
    /// the tasks, then the timeline.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "── thread report: {} ({}), {} ──",
            self.runtime, self.flavor, self.experiment
        );
        if !self.threads.census_available {
            let _ = writeln!(
                s,
                "{:.1} ms wall; this OS does not list a process's threads, so there is no census",
                self.wall_ms
            );
        } else {
            let _ = writeln!(
                s,
                "{:.1} ms wall, {} OS threads seen, at most {} at once (the embedded site's and the census's own threads are left out)",
                self.wall_ms,
                self.threads.list.len(),
                self.threads.peak
            );
            let _ = writeln!(
                s,
                "alive at the start: {}; at the peak: {}; at the end: {}",
                self.thread_names(&self.threads.at_start),
                self.thread_names(&self.threads.at_peak),
                self.thread_names(&self.threads.at_end),
            );
        }
        let _ = writeln!(
            s,
            "threads (tid, name, role, tasks polled, polls, busy share, seen from..to ms):"
        );
        for t in self.threads.list.iter().take(TEXT_ROWS) {
            let seen = match (t.first_seen_ms, t.last_seen_ms) {
                (Some(first), Some(last)) => format!("{first:.1}..{last:.1}"),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "  {:>7}  {:<16} {:<29} {:>3} task(s) {:>6} polls {:>5.1}%  {seen}",
                t.tid,
                t.name,
                t.role.label(),
                t.tasks_polled,
                t.polls,
                t.busy_share * 100.0,
            );
        }
        more_rows(&mut s, self.threads.list.len(), "threads");
        let _ = writeln!(
            s,
            "tasks (polls, busy ms, spawn to first poll ms, then the threads that polled them):"
        );
        for task in self.tasks.iter().take(TEXT_ROWS) {
            let threads: Vec<String> = task
                .threads
                .iter()
                .map(|tid| format!("{} [{tid}]", self.thread_name(*tid)))
                .collect();
            let moved = if task.migrations > 0 {
                format!(", moved {} time(s)", task.migrations)
            } else {
                String::new()
            };
            let delay = task
                .first_poll_delay_ms
                .map_or("-".to_string(), |ms| format!("{ms:.2}"));
            let _ = writeln!(
                s,
                "  {:<44} {:>5} {:>8.2} {:>7} on {}{moved}",
                shorten(&task.name, 44),
                task.polls,
                task.busy_ms,
                delay,
                threads.join(", ")
            );
        }
        more_rows(&mut s, self.tasks.len(), "tasks");
        s.push_str(&timeline::text(self, timeline::TEXT_COLUMNS));
        for part in &self.unsupported {
            let _ = writeln!(s, "not on this runtime: {part}");
        }
        for note in &self.notes {
            let _ = writeln!(s, "note: {note}");
        }
        s
    }

    /// The name of thread `tid`, `?` when the census did not see it.
    pub fn thread_name(&self, tid: u64) -> &str {
        self.threads
            .list
            .iter()
            .find(|t| t.tid == tid)
            .map_or("?", |t| t.name.as_str())
    }

    /// `tids` as a short list of names: `main, 2 worker, async-io`.
    fn thread_names(&self, tids: &[u64]) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for tid in tids {
            let name = self.thread_name(*tid);
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => counts.push((name, 1)),
            }
        }
        let names: Vec<String> = counts
            .iter()
            .map(|(name, n)| {
                if *n > 1 {
                    format!("{n}× {name}")
                } else {
                    (*name).to_string()
                }
            })
            .collect();
        let shown = names.len().min(12);
        let more = if names.len() > shown {
            format!(", and {} more", names.len() - shown)
        } else {
            String::new()
        };
        format!("{} ({}{more})", tids.len(), names[..shown].join(", "))
    }
}

fn task_report(task: &TaskSummary, epoch: Instant) -> TaskReport {
    let us = |at: Instant| ms_since(epoch, at) * 1e3;
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
        spans: task
            .spans
            .iter()
            .map(|s| SpanReport {
                tid: s.tid,
                start_us: us(s.start),
                end_us: us(s.end),
            })
            .collect(),
    }
}

fn thread_report(
    info: ThreadInfo,
    census: &Census,
    tasks: &[TaskReport],
    epoch: Instant,
    wall_ms: f64,
) -> ThreadReport {
    let lifetime = census.lifetimes.get(&info.tid);
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
        first_seen_ms: lifetime.map(|(first, _)| ms_since(epoch, *first)),
        last_seen_ms: lifetime.map(|(_, last)| ms_since(epoch, *last)),
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

pub(crate) fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let tail: String = text
            .chars()
            .rev()
            .take(width - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}
