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
//! - On, a poll reads the clock twice and writes one span into a buffer that the task's
//!   own future holds. The clock is the CPU's time-stamp counter where it runs at a
//!   constant rate (through `quanta`, calibrated once against the OS clock when tracing is
//!   turned on, with the `tsc` feature, which the lab turns on; a book program's build
//!   uses `Instant::now()`): a read is an instruction, where `Instant::now()` is a call
//!   into the OS's clock code. The raw counts are turned into `Instant`s only when a report asks
//!   ([`tasks`]). Only one thread polls a future at a time, so the buffer has one writer
//!   and needs no lock: a span is three relaxed stores and a release store of the
//!   buffer's length, which a report reads with an acquire load. The buffer is a chain of
//!   chunks (4 spans, then twice as many each time up to [`CHUNK_MOST`]), each
//!   registered with the process-wide list when it is made, so a report sees every poll
//!   that has returned, of a task that ended, of one still running, and of one that
//!   never runs again (a task stopped with its `block_on`, whose future a
//!   single-threaded runtime never polls nor drops afterwards).
//!
//! Futures inside one task (the arguments of the book API's `join`, `select`, ...) are
//! traced the same way with [`traced_future`]; each is tied to the task that polled it
//! first (a traced task says which one it is, in a thread-local, for the length of its
//! poll), so the timeline can draw a row per future under its task.
//!
//! `benches/trace_overhead.rs` measures both costs.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use crate::census::current_tid;

/// The most spans one chunk of a task's buffer holds.
pub const CHUNK_MOST: usize = 1024;

/// How many spans a task's first chunk holds.
const CHUNK_FIRST: usize = 4;

static ENABLED: AtomicBool = AtomicBool::new(false);
static TASKS: Mutex<Vec<Arc<TaskStats>>> = Mutex::new(Vec::new());
static FUTURES: Mutex<Vec<Arc<TaskStats>>> = Mutex::new(Vec::new());

thread_local! {
    /// Which task is polling on this thread now: its index in [`TASKS`], or `usize::MAX`.
    static CURRENT_TASK: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Turns tracing on for every future wrapped from now on. The runtime binaries do this
/// before a run, since the report is made of what tracing records. The first call
/// calibrates the clock (about a millisecond).
pub fn enable() {
    clock();
    ENABLED.store(true, Ordering::Relaxed);
}

/// Turns tracing off: futures wrapped from now on carry no recorder, and those already
/// wrapped record no more polls (a main future that drives a local executor's tasks would
/// otherwise record a span for each of their polls: half a million in a `bench` run).
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

/// A run of spans a task's buffer holds: three counters a span (tid, start, end), and how
/// many spans are written. One thread writes, any thread may read.
struct Chunk {
    len: AtomicUsize,
    slots: Box<[AtomicU64]>,
}

impl Chunk {
    fn new(spans: usize) -> Chunk {
        Chunk {
            len: AtomicUsize::new(0),
            slots: (0..3 * spans).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn capacity(&self) -> usize {
        self.slots.len() / 3
    }

    /// The spans written so far, as raw counts: (tid, start, end).
    fn read(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        let len = self.len.load(Ordering::Acquire);
        self.slots[..3 * len].chunks_exact(3).map(|s| {
            (
                s[0].load(Ordering::Relaxed),
                s[1].load(Ordering::Relaxed),
                s[2].load(Ordering::Relaxed),
            )
        })
    }
}

/// One traced task or future, as registered process-wide.
struct TaskStats {
    name: String,
    /// When it was wrapped, in raw counts.
    created: u64,
    /// Its chunks, in poll order.
    chunks: Mutex<Vec<Arc<Chunk>>>,
    /// For a future: the index in [`TASKS`] of the task that first polled it (set on its
    /// first poll), `usize::MAX` until then or when no traced task polled it.
    task: AtomicUsize,
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

/// What was seen of one future inside a task ([`traced_future`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FutureSummary {
    /// The index, in [`tasks`], of the task that polled it; `None` when no traced task
    /// did (it ran outside one, or never ran).
    pub task: Option<usize>,
    /// Its polls, as for a task.
    pub summary: TaskSummary,
}

/// Whether a [`Recorder`] records a task or a future inside one.
#[derive(Clone, Copy)]
enum Kind {
    /// A task: its index in [`TASKS`], which it makes the thread's current task while it
    /// is polled.
    Task(usize),
    /// A future inside a task.
    Future,
}

/// The buffer of one traced task or future: lives in its own future.
struct Recorder {
    stats: Arc<TaskStats>,
    clock: &'static Clock,
    kind: Kind,
    /// The chunk being written, and how many spans it holds (its only writer is here).
    chunk: Option<Arc<Chunk>>,
    len: usize,
}

impl Recorder {
    fn new(name: String, kind: impl FnOnce(&Arc<TaskStats>) -> Kind) -> Recorder {
        let clock = clock();
        let stats = Arc::new(TaskStats {
            name,
            created: clock.raw(),
            chunks: Mutex::new(Vec::new()),
            task: AtomicUsize::new(usize::MAX),
        });
        Recorder {
            kind: kind(&stats),
            stats,
            clock,
            chunk: None,
            len: 0,
        }
    }

    /// Records one poll.
    fn record(&mut self, tid: u64, start: u64, end: u64) {
        let chunk = match &self.chunk {
            Some(chunk) if self.len < chunk.capacity() => chunk,
            full => {
                let spans = full
                    .as_ref()
                    .map_or(CHUNK_FIRST, |c| (2 * c.capacity()).min(CHUNK_MOST));
                let chunk = Arc::new(Chunk::new(spans));
                self.stats
                    .chunks
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(chunk.clone());
                self.len = 0;
                self.chunk.insert(chunk)
            }
        };
        let at = 3 * self.len;
        chunk.slots[at].store(tid, Ordering::Relaxed);
        chunk.slots[at + 1].store(start, Ordering::Relaxed);
        chunk.slots[at + 2].store(end, Ordering::Relaxed);
        self.len += 1;
        chunk.len.store(self.len, Ordering::Release);
    }
}

pin_project! {
    /// A future whose polls are recorded, made by [`traced`] or [`traced_future`].
    pub struct Traced<F> {
        #[pin]
        inner: F,
        // Boxed, so that a future traced with tracing off grows by one pointer only.
        recorder: Option<Box<Recorder>>,
    }
}

/// Wraps `future`, a task, so that its polls are recorded under `name` while tracing is on.
pub fn traced<F: Future>(name: impl Into<String>, future: F) -> Traced<F> {
    let recorder = is_enabled().then(|| {
        Box::new(Recorder::new(name.into(), |stats| {
            let mut tasks = TASKS.lock().unwrap_or_else(PoisonError::into_inner);
            tasks.push(stats.clone());
            Kind::Task(tasks.len() - 1)
        }))
    });
    Traced {
        inner: future,
        recorder,
    }
}

/// Wraps `future`, one of several inside a task (the book API's `join`, `select`, ...),
/// so that its polls are recorded under `name`, tied to the task that polls it, while
/// tracing is on.
pub fn traced_future<F: Future>(name: impl Into<String>, future: F) -> Traced<F> {
    let recorder = is_enabled().then(|| {
        Box::new(Recorder::new(name.into(), |stats| {
            FUTURES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(stats.clone());
            Kind::Future
        }))
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
        let Some(recorder) = this.recorder.as_mut().filter(|_| is_enabled()) else {
            return this.inner.poll(cx);
        };
        let tid = current_tid();
        match recorder.kind {
            Kind::Task(index) => {
                let outer = CURRENT_TASK.with(|current| current.replace(index));
                let start = recorder.clock.raw();
                let poll = this.inner.poll(cx);
                let end = recorder.clock.raw();
                CURRENT_TASK.with(|current| current.set(outer));
                recorder.record(tid, start, end);
                poll
            }
            Kind::Future => {
                if recorder.chunk.is_none() {
                    let task = CURRENT_TASK.with(Cell::get);
                    recorder.stats.task.store(task, Ordering::Relaxed);
                }
                let start = recorder.clock.raw();
                let poll = this.inner.poll(cx);
                let end = recorder.clock.raw();
                recorder.record(tid, start, end);
                poll
            }
        }
    }
}

impl TaskStats {
    fn summary(&self) -> TaskSummary {
        let clock = clock();
        let spans: Vec<Span> = self
            .chunks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flat_map(|chunk| chunk.read().collect::<Vec<_>>())
            .map(|(tid, start, end)| Span {
                tid,
                start: clock.instant(start),
                end: clock.instant(end),
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

/// Every task traced so far in this process, in the order they were created, each with
/// every poll that has returned (also of a task still running, or stopped and never
/// dropped).
pub fn tasks() -> Vec<TaskSummary> {
    let tasks: Vec<Arc<TaskStats>> = TASKS.lock().unwrap_or_else(PoisonError::into_inner).clone();
    tasks.iter().map(|t| t.summary()).collect()
}

/// Every future traced inside a task so far ([`traced_future`]), in the order they were
/// created.
pub fn futures() -> Vec<FutureSummary> {
    let futures: Vec<Arc<TaskStats>> = FUTURES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    futures
        .iter()
        .map(|f| FutureSummary {
            task: Some(f.task.load(Ordering::Relaxed)).filter(|&t| t != usize::MAX),
            summary: f.summary(),
        })
        .collect()
}

/// Forgets every task and future traced so far (benchmarks run many rounds in one
/// process).
pub fn clear() {
    TASKS.lock().unwrap_or_else(PoisonError::into_inner).clear();
    FUTURES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
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
        let waker = futures::task::noop_waker();
        let _ = cancelled
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker));
        // Turned off, tracing records no more polls, also of a task wrapped before.
        disable();
        let _ = cancelled
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker));
        drop(cancelled);
        let cancelled = tasks().into_iter().find(|t| t.name == "cancelled").unwrap();
        assert_eq!(cancelled.polls, 1);

        // A task that is neither finished nor dropped when the report is made (a task
        // stopped with its `block_on` on a single-threaded runtime, which never polls it
        // again) still shows every poll it ran, across chunks.
        enable();
        let mut parked = Box::pin(traced("parked", std::future::pending::<()>()));
        let polls = CHUNK_FIRST + CHUNK_MOST + 3;
        for _ in 0..polls {
            let _ = parked
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker));
        }
        disable();
        let seen = tasks().into_iter().find(|t| t.name == "parked").unwrap();
        assert_eq!(seen.polls, polls as u64);
        drop(parked);

        // Futures inside a task are tied to the task that polls them.
        enable();
        let joined = futures::executor::block_on(traced(
            "joiner",
            futures::future::join(
                traced_future("left", async {
                    crate::runtime::yield_once().await;
                    1
                }),
                traced_future("right", async { 2 }),
            ),
        ));
        disable();
        assert_eq!(joined, (1, 2));
        let index = tasks().iter().position(|t| t.name == "joiner").unwrap();
        let futures = futures();
        let left = futures.iter().find(|f| f.summary.name == "left").unwrap();
        let right = futures.iter().find(|f| f.summary.name == "right").unwrap();
        assert_eq!((left.task, right.task), (Some(index), Some(index)));
        assert_eq!((left.summary.polls, right.summary.polls), (2, 1));
    }
}
