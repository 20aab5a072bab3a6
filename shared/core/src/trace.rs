//! Which OS thread polled which task, and when.
//!
//! [`traced`] wraps a future so that, while tracing is on ([`enable`]), every poll is
//! recorded as a [`Span`]: the OS thread that ran it, and when it started and ended. The
//! report turns the spans into per-task and per-thread numbers and into the timeline.
//!
//! The cost is kept where it does not hurt:
//! - Off (the default, and whenever [`enable`] was not called when the future was
//!   wrapped), a poll costs one branch on a field of the future: no clock, no atomic, no
//!   allocation, and the future grows by one pointer (it is held in place, not boxed).
//! - On, a poll reads the clock twice and pushes one span onto a buffer that lives inside
//!   the task's own future. The clock is the CPU's time-stamp counter where it runs at a
//!   constant rate (through `quanta`, calibrated once against the OS clock when tracing is
//!   turned on, with the `tsc` feature, which the lab turns on; a book program's build
//!   uses `Instant::now()`): a read is an instruction, where `Instant::now()` is a call
//!   into the OS's clock code. The raw counts are turned into `Instant`s only when a report asks
//!   ([`tasks`]). Only one thread polls a future at a time, so the buffer needs no lock;
//!   it is handed whole (no copy) to the process-wide list every [`FLUSH_EVERY`] polls
//!   and when the task ends or is dropped. A task still running when the report is made
//!   shows the polls flushed so far.
//!
//! `benches/trace_overhead.rs` measures both costs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use crate::census::current_tid;

/// How many spans a task buffers before handing them to the process-wide list.
pub const FLUSH_EVERY: usize = 1024;

static ENABLED: AtomicBool = AtomicBool::new(false);
static TASKS: Mutex<Vec<Arc<TaskStats>>> = Mutex::new(Vec::new());

/// Turns tracing on for every future wrapped from now on. The runtime binaries do this
/// before a run, since the report is made of what tracing records. The first call
/// calibrates the clock (about a millisecond).
pub fn enable() {
    clock();
    ENABLED.store(true, Ordering::Relaxed);
}

/// Turns tracing off for futures wrapped from now on (already wrapped ones keep theirs).
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

/// True when futures wrapped now are traced.
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// One poll of a task: the thread that ran it, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The OS thread id (as in the census) that polled.
    pub tid: u64,
    /// When the poll began.
    pub start: Instant,
    /// When the poll returned.
    pub end: Instant,
}

/// The clock polls are timed with, and how its raw counts become `Instant`s.
#[cfg(feature = "tsc")]
struct Clock {
    counter: quanta::Clock,
    /// The same moment on both clocks, taken when this one was made.
    anchor: (Instant, quanta::Instant),
}

/// Without the `tsc` feature (a book program's build, which traces nothing unless asked):
/// nanoseconds since the clock was made, from `Instant::now`.
#[cfg(not(feature = "tsc"))]
struct Clock {
    anchor: Instant,
}

#[cfg(not(feature = "tsc"))]
impl Clock {
    fn new() -> Clock {
        Clock {
            anchor: Instant::now(),
        }
    }

    /// Now, in raw counts: nanoseconds since the clock was made.
    fn raw(&self) -> u64 {
        u64::try_from(self.anchor.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The `Instant` of a raw count read from this clock.
    fn instant(&self, raw: u64) -> Instant {
        self.anchor + std::time::Duration::from_nanos(raw)
    }
}

#[cfg(feature = "tsc")]
impl Clock {
    fn new() -> Clock {
        let counter = quanta::Clock::new();
        let counted = counter.now();
        Clock {
            anchor: (Instant::now(), counted),
            counter,
        }
    }

    /// Now, in raw counts: the time-stamp counter where it is usable, else nanoseconds.
    fn raw(&self) -> u64 {
        self.counter.raw()
    }

    /// The `Instant` of a raw count read from this clock.
    fn instant(&self, raw: u64) -> Instant {
        let (anchor, counted) = self.anchor;
        let at = self.counter.scaled(raw);
        match at.checked_duration_since(counted) {
            Some(after) => anchor + after,
            // Read before the anchor (counters of two cores a little apart).
            None => anchor
                .checked_sub(counted.saturating_duration_since(at))
                .unwrap_or(anchor),
        }
    }
}

/// The process's one clock for spans, calibrated on first use.
fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(Clock::new)
}

/// One poll as recorded: raw counts of the [`Clock`], turned into a [`Span`] on demand.
#[derive(Debug, Clone, Copy)]
struct RawSpan {
    tid: u64,
    start: u64,
    end: u64,
}

/// One traced task, as registered process-wide.
struct TaskStats {
    name: String,
    /// When the task was wrapped, in raw counts.
    created: u64,
    /// The flushed buffers, each in poll order, in the order they were flushed.
    spans: Mutex<Vec<Vec<RawSpan>>>,
}

/// What was seen of one task's polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// The task's name.
    pub name: String,
    /// How many times it was polled.
    pub polls: u64,
    /// The OS thread ids that polled it, in the order they first did.
    pub threads: Vec<u64>,
    /// How many times a poll ran on another thread than the poll before it.
    pub migrations: u64,
    /// When the task was wrapped: for a spawned task, when it was spawned.
    pub created: Instant,
    /// Every poll, in the order they ran.
    pub spans: Vec<Span>,
}

/// The buffer of one traced task: lives in the task's own future, flushed on drop.
struct Recorder {
    stats: Arc<TaskStats>,
    clock: &'static Clock,
    spans: Vec<RawSpan>,
}

impl Recorder {
    /// Hands the buffer to the process-wide list. `more` says whether more polls will
    /// come: then the next buffer is made full size at once.
    fn flush(&mut self, more: bool) {
        if !self.spans.is_empty() {
            let next = if more {
                Vec::with_capacity(FLUSH_EVERY)
            } else {
                Vec::new()
            };
            let full = std::mem::replace(&mut self.spans, next);
            self.stats
                .spans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(full);
        }
    }
}

impl Drop for Recorder {
    // Runs when the task ends, and also when it is cancelled (dropped unfinished).
    fn drop(&mut self) {
        self.flush(false);
    }
}

pin_project! {
    /// A future whose polls are recorded, made by [`traced`].
    pub struct Traced<F> {
        #[pin]
        inner: F,
        // Boxed, so that a future traced with tracing off grows by one pointer only.
        recorder: Option<Box<Recorder>>,
    }
}

/// Wraps `future` so that its polls are recorded under `name` while tracing is on.
pub fn traced<F: Future>(name: impl Into<String>, future: F) -> Traced<F> {
    let recorder = is_enabled().then(|| {
        let clock = clock();
        let stats = Arc::new(TaskStats {
            name: name.into(),
            created: clock.raw(),
            spans: Mutex::new(Vec::new()),
        });
        TASKS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stats.clone());
        Box::new(Recorder {
            stats,
            clock,
            spans: Vec::new(),
        })
    });
    Traced {
        inner: future,
        recorder,
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(recorder) = this.recorder.as_mut() else {
            return this.inner.poll(cx);
        };
        let tid = current_tid();
        let start = recorder.clock.raw();
        let poll = this.inner.poll(cx);
        let end = recorder.clock.raw();
        recorder.spans.push(RawSpan { tid, start, end });
        if poll.is_ready() {
            // At once, not on drop: whoever awaits this task may make the report next.
            recorder.flush(false);
        } else if recorder.spans.len() >= FLUSH_EVERY {
            recorder.flush(true);
        }
        poll
    }
}

impl TaskStats {
    fn summary(&self) -> TaskSummary {
        let clock = clock();
        let spans: Vec<Span> = self
            .spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flatten()
            .map(|raw| Span {
                tid: raw.tid,
                start: clock.instant(raw.start),
                end: clock.instant(raw.end),
            })
            .collect();
        let mut threads: Vec<u64> = Vec::new();
        let mut migrations = 0;
        for (i, span) in spans.iter().enumerate() {
            if !threads.contains(&span.tid) {
                threads.push(span.tid);
            }
            if i > 0 && spans[i - 1].tid != span.tid {
                migrations += 1;
            }
        }
        TaskSummary {
            name: self.name.clone(),
            polls: spans.len() as u64,
            threads,
            migrations,
            created: clock.instant(self.created),
            spans,
        }
    }
}

/// Every task traced so far in this process, in the order they were created.
pub fn tasks() -> Vec<TaskSummary> {
    TASKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|t| t.summary())
        .collect()
}

/// Forgets every task traced so far (benchmarks run many rounds in one process).
pub fn clear() {
    TASKS.lock().unwrap_or_else(PoisonError::into_inner).clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test, because the enable flag and the task list are process-wide.
    #[test]
    fn records_polls_only_when_enabled() {
        let before = tasks().len();
        futures::executor::block_on(traced("off", async { 1 }));
        assert_eq!(tasks().len(), before, "tracing off records nothing");

        enable();
        let value = futures::executor::block_on(traced("on", async {
            crate::runtime::yield_once().await;
            crate::runtime::yield_once().await;
            7
        }));
        disable();
        assert_eq!(value, 7);
        let on = tasks().into_iter().find(|t| t.name == "on").unwrap();
        assert_eq!(on.polls, 3);
        assert_eq!(on.threads, vec![current_tid()]);
        assert_eq!(on.migrations, 0);
        assert!(
            on.spans
                .iter()
                .all(|s| s.start >= on.created && s.end >= s.start)
        );

        // A task dropped before it ends still hands over its polls.
        enable();
        let mut cancelled = Box::pin(traced("cancelled", std::future::pending::<()>()));
        disable();
        let waker = futures::task::noop_waker();
        let _ = cancelled
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker));
        drop(cancelled);
        let cancelled = tasks().into_iter().find(|t| t.name == "cancelled").unwrap();
        assert_eq!(cancelled.polls, 1);
    }
}
