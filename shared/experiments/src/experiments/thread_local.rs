//! `thread-local`: four tasks each write their number into a `thread_local!` before an
//! `.await` and read it after. A task reads another task's value in two ways: another
//! task ran on its thread while it waited (wherever tasks share a thread, a single one
//! too), or it came back on another thread (a pool of two workers or more; the census's
//! migration count shows the moves). Only a thread per task reads its own every time. A
//! task-local (tokio's `task_local!`, whose `scope` sets the value around each poll of
//! the task, on any executor) reads right everywhere.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::join_all;

use super::{Lab, Measure, Outcome};
use crate::census;
use crate::runtime::Runtime;

const AWAITS: Measure = Measure::count("awaits", "the tasks' .awaits, in all");
const MOVES: Measure = Measure::count(
    "moves",
    "the .awaits after which a task came back on another thread",
);
const WRONG_AFTER_MOVE: Measure = Measure::count(
    "wrong_after_move",
    "times a task read a value not its own after coming back on another thread",
);
const WRONG_SAME_THREAD: Measure = Measure::count(
    "wrong_same_thread",
    "times a task read another task's value on the same thread",
);

/// `thread-local`'s measurements.
pub(super) const MEASURES: &[Measure] = &[AWAITS, MOVES, WRONG_AFTER_MOVE, WRONG_SAME_THREAD];

thread_local! {
    /// What the task running on this thread last wrote.
    static SLOT: Cell<Option<u64>> = const { Cell::new(None) };
}

tokio::task_local! {
    /// The task's own number, set around each of its polls.
    static TASK_SLOT: u64;
}

/// How many tasks write and read.
const TASKS: u64 = 4;
/// The most `.await`s a task makes; fewer once both ways of a wrong read were seen.
const MOST_AWAITS: u64 = 200;
/// The fewest `.await`s a task makes.
const FEWEST_AWAITS: u64 = 20;
/// What each task awaits (not scaled: the timer's wake-ups are what move tasks).
const NAP: Duration = Duration::from_millis(1);

/// What the tasks saw, in all.
#[derive(Default)]
struct Seen {
    awaits: AtomicU64,
    moves: AtomicU64,
    /// Reads of another task's value (or none) after coming back on another thread.
    wrong_after_move: AtomicU64,
    /// Reads of another task's value on the same thread.
    wrong_same_thread: AtomicU64,
    wrong_task_local: AtomicU64,
    /// Set at the first move.
    any_moved: AtomicBool,
    /// Set at the first wrong read on the same thread.
    any_same_thread: AtomicBool,
}

/// One task: writes `me`, awaits, reads, again and again.
async fn writer<R: Runtime>(rt: R, me: u64, seen: Arc<Seen>) {
    for n in 1..=MOST_AWAITS {
        SLOT.with(|slot| slot.set(Some(me)));
        let before = census::current_tid();
        rt.sleep(NAP).await;
        seen.awaits.fetch_add(1, Ordering::SeqCst);
        let moved = census::current_tid() != before;
        if moved {
            seen.moves.fetch_add(1, Ordering::SeqCst);
            seen.any_moved.store(true, Ordering::SeqCst);
        }
        if SLOT.with(Cell::get) != Some(me) {
            if moved {
                seen.wrong_after_move.fetch_add(1, Ordering::SeqCst);
            } else {
                seen.wrong_same_thread.fetch_add(1, Ordering::SeqCst);
                seen.any_same_thread.store(true, Ordering::SeqCst);
            }
        }
        if TASK_SLOT.try_with(|v| *v) != Ok(me) {
            seen.wrong_task_local.fetch_add(1, Ordering::SeqCst);
        }
        // Stop early only once both a move and a wrong read on the same thread were
        // seen: either may take a while to come.
        if n >= FEWEST_AWAITS
            && seen.any_moved.load(Ordering::SeqCst)
            && seen.any_same_thread.load(Ordering::SeqCst)
        {
            break;
        }
    }
}

/// The experiment.
pub async fn thread_local<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let seen = Arc::new(Seen::default());
    let tasks: Vec<_> = (1..=TASKS)
        .map(|me| {
            let task = TASK_SLOT.scope(me, writer(lab.rt.clone(), me, seen.clone()));
            lab.spawn(format!("thread-local task {me}"), task)
        })
        .collect();
    for result in join_all(tasks).await {
        if let Err(e) = result {
            outcome.fail(format!("a task failed: {e}"));
        }
    }
    let load = |n: &AtomicU64| n.load(Ordering::SeqCst);
    let (awaits, moves) = (load(&seen.awaits), load(&seen.moves));
    let (after_move, same_thread, task_wrong) = (
        load(&seen.wrong_after_move),
        load(&seen.wrong_same_thread),
        load(&seen.wrong_task_local),
    );
    lab.out.set_measure(AWAITS, awaits as f64);
    lab.out.set_measure(MOVES, moves as f64);
    lab.out.set_measure(WRONG_AFTER_MOVE, after_move as f64);
    lab.out.set_measure(WRONG_SAME_THREAD, same_thread as f64);
    lab.out.remark(format!(
        "{awaits} .awaits in all: a task came back on another thread after {moves} of them, and then read a value not its own {after_move} times; on the same thread it read another task's value {same_thread} times"
    ));
    let some = |n: u64| if n > 0 { "some" } else { "none" };
    lab.out.line(format!(
        "thread_local! written before an .await and read after it, in {TASKS} tasks: {}",
        if after_move + same_thread > 0 {
            "some reads found another task's value, or none"
        } else {
            "each read found the task's own value"
        }
    ));
    lab.out.line(format!(
        "  tasks that came back on another thread after an .await: {}",
        if moves > 0 {
            "some (the census counts the moves)".to_string()
        } else {
            "none: every task stayed on its thread".to_string()
        }
    ));
    lab.out.line(format!(
        "  reads on the task's own thread that found another task's value, written there while it waited: {}",
        some(same_thread)
    ));
    lab.out.line(format!(
        "tokio::task_local! set by scope around each task, read after the same .awaits: {}",
        if task_wrong == 0 {
            "each read found the task's own value"
        } else {
            "some reads found another value"
        }
    ));
    outcome
}
