//! `waker`: a `Future` written by hand (17.5), a timer whose own thread wakes it, logging
//! every call to its `poll` with the result and every wake, with the thread of each.
//!
//! The first poll starts the timer's thread and keeps the `Context`'s waker; it returns
//! `Pending`. The thread sleeps, marks the timer done and calls `wake`; the next poll
//! returns `Ready`. The future is awaited twice: by the main future (polled by
//! `block_on`, on its thread) and inside a spawned task (polled wherever the executor
//! polls tasks). A poll stores the newest waker each time: a task polled by another
//! worker may bring another one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_lab_runtime::census::current_tid;

use super::{Lab, Measure, Outcome, ms};
use crate::runtime::Runtime;

const MAIN_POLLS: Measure = Measure::count(
    "main_polls",
    "polls of the timer awaited by the main future",
);
const MAIN_WAKES: Measure = Measure::count(
    "main_wakes",
    "wakes of the timer awaited by the main future",
);
const TASK_POLLS: Measure =
    Measure::count("task_polls", "polls of the timer awaited in a spawned task");
const TASK_WAKES: Measure =
    Measure::count("task_wakes", "wakes of the timer awaited in a spawned task");

/// `waker`'s measurements.
pub(super) const MEASURES: &[Measure] = &[MAIN_POLLS, MAIN_WAKES, TASK_POLLS, TASK_WAKES];

/// One thing that happened to the timer future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `poll` was called on thread `tid`, and gave `Ready` or `Pending`.
    Poll {
        /// The polling thread.
        tid: u64,
        /// Whether it returned `Ready`.
        ready: bool,
    },
    /// The timer's thread (`tid`) called `wake`.
    Wake {
        /// The waking thread.
        tid: u64,
    },
}

#[derive(Default)]
struct State {
    done: bool,
    waker: Option<Waker>,
    log: Vec<Event>,
}

/// A timer future: `Ready` once its own thread has slept `delay`.
struct Timer {
    delay: Duration,
    started: bool,
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Timer {
    fn new(delay: Duration) -> Timer {
        Timer {
            delay,
            started: false,
            state: Arc::default(),
        }
    }

    /// The log, shared with whoever reads it once the timer is done.
    fn log(&self) -> Arc<Mutex<State>> {
        self.state.clone()
    }

    /// Starts the timer's thread; `false` when the OS refused one.
    fn start(&self) -> bool {
        let (state, delay) = (self.state.clone(), self.delay);
        std::thread::Builder::new()
            .name("waker-timer".into())
            .spawn(move || {
                std::thread::sleep(delay);
                let waker = {
                    let mut state = lock(&state);
                    state.done = true;
                    // Logged before waking, under the lock a poll logs under, so that
                    // the log's order is the order things happened in.
                    state.log.push(Event::Wake { tid: current_tid() });
                    state.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            })
            .is_ok()
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.state);
        let ready = state.done;
        if !ready {
            // The newest waker: the task may have moved to another thread since.
            state.waker = Some(cx.waker().clone());
        }
        state.log.push(Event::Poll {
            tid: current_tid(),
            ready,
        });
        drop(state);
        if ready {
            return Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            if !self.start() {
                // No thread for the timer: done at once, rather than never.
                lock(&self.state).done = true;
                cx.waker().wake_by_ref();
            }
        }
        Poll::Pending
    }
}

/// The timer awaited as `who`, by the main future or `in_task`; the lines of its log,
/// its polls and wakes counted.
async fn awaited<R: Runtime>(lab: &Lab<R>, who: &str, in_task: bool) {
    let main_tid = current_tid();
    let timer = Timer::new(lab.scaled(ms(50)));
    let state = timer.log();
    if in_task {
        if let Err(e) = lab.spawn("hand-written timer", timer).await {
            lab.out.line(format!("{who}: the task failed: {e}"));
            return;
        }
    } else {
        timer.await;
    }
    let log = lock(&state).log.clone();
    lab.out
        .line(format!("{who} awaits the hand-written timer:"));
    let (mut polls, mut wakes) = (0, 0);
    for event in &log {
        let (line, remark) = match *event {
            Event::Poll { tid, ready } => {
                polls += 1;
                let thread = if tid == main_tid {
                    "the block_on thread"
                } else {
                    "another thread"
                };
                let result = if ready { "Ready" } else { "Pending" };
                (
                    format!("  poll, on {thread}: {result}"),
                    format!("{who}: poll on tid {tid}: {result}"),
                )
            }
            Event::Wake { tid } => {
                wakes += 1;
                (
                    "  wake, from the timer's own thread".to_string(),
                    format!("{who}: wake from tid {tid}"),
                )
            }
        };
        lab.out.line(line);
        lab.out.remark(remark);
    }
    let (polls_measure, wakes_measure) = match in_task {
        false => (MAIN_POLLS, MAIN_WAKES),
        true => (TASK_POLLS, TASK_WAKES),
    };
    lab.out.set_measure(polls_measure, f64::from(polls));
    lab.out.set_measure(wakes_measure, f64::from(wakes));
}

/// The experiment: the timer awaited by the main future, then by a spawned task.
pub async fn waker<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.remark(
        "a hand-written Future: its first poll starts a thread that sleeps, then calls the waker it kept",
    );
    awaited(lab, "the main future", false).await;
    awaited(lab, "a spawned task", true).await;
    Outcome::default()
}
