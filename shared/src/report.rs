//! What a run prints after the experiment's own lines: the thread report, as text on
//! stderr or as one JSON object on stdout (`--json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::census::{self, Census, Role, ThreadInfo};
use crate::trace::TaskSummary;

/// The report of one run. Its JSON form is the contract in DESIGN.md.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Threads {
    /// False where the OS does not list a process's threads (everywhere but Linux).
    pub census_available: bool,
    /// The most threads alive at once, the lab's own (site, census) left out.
    pub peak: usize,
    /// Every thread seen during the run.
    pub list: Vec<ThreadInfo>,
}

/// One task: how often it was polled and by which threads.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// The task's name.
    pub name: String,
    /// Polls.
    pub polls: u64,
    /// The OS thread ids that polled it, as in `threads.list`.
    pub threads: Vec<u64>,
    /// Moves from one thread to another between consecutive polls.
    pub migrations: u64,
}

impl Report {
    /// Puts the census and the task records together.
    pub fn threads_from(census: &Census, tasks: &[TaskSummary]) -> (Threads, Vec<TaskReport>) {
        let pollers: Vec<u64> = tasks
            .iter()
            .flat_map(|t| t.threads.iter().copied())
            .collect();
        let mut seen = census.seen.clone();
        // A thread that polled a task but ended between two samples is still one of ours.
        for tid in &pollers {
            seen.entry(*tid).or_insert_with(|| "(ended)".to_string());
        }
        let threads = Threads {
            census_available: census.available,
            peak: census.peak,
            list: census::classify(&seen, &pollers),
        };
        let tasks = tasks
            .iter()
            .map(|t| TaskReport {
                name: t.name.clone(),
                polls: t.polls,
                threads: t.threads.clone(),
                migrations: t.migrations,
            })
            .collect();
        (threads, tasks)
    }

    /// The report as people read it, set apart from the experiment's lines.
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
        }
        let names: BTreeMap<u64, &str> = self
            .threads
            .list
            .iter()
            .map(|t| (t.tid, t.name.as_str()))
            .collect();
        for t in &self.threads.list {
            let polled = self
                .tasks
                .iter()
                .filter(|task| task.threads.contains(&t.tid))
                .count();
            let _ = writeln!(
                s,
                "  {:>7}  {:<16} {:<29} polled {polled} task(s)",
                t.tid,
                t.name,
                t.role.label()
            );
        }
        let _ = writeln!(s, "tasks (polls, then the threads that polled them):");
        for task in &self.tasks {
            let threads: Vec<String> = task
                .threads
                .iter()
                .map(|tid| format!("{} [{tid}]", names.get(tid).copied().unwrap_or("?")))
                .collect();
            let moved = if task.migrations > 0 {
                format!(", moved {} time(s)", task.migrations)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {:<48} {:>4} polls on {}{moved}",
                shorten(&task.name, 48),
                task.polls,
                threads.join(", ")
            );
        }
        for part in &self.unsupported {
            let _ = writeln!(s, "not on this runtime: {part}");
        }
        for note in &self.notes {
            let _ = writeln!(s, "note: {note}");
        }
        s
    }

    /// How many threads polled at least one task.
    pub fn polling_threads(&self) -> usize {
        self.threads
            .list
            .iter()
            .filter(|t| self.tasks.iter().any(|task| task.threads.contains(&t.tid)))
            .count()
    }

    /// How many threads have `role`.
    pub fn count(&self, role: Role) -> usize {
        self.threads.list.iter().filter(|t| t.role == role).count()
    }
}

fn shorten(text: &str, width: usize) -> String {
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
