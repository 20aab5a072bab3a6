//! `block-in-place`: blocking work done by a task that also drives a second future,
//! joined with it. A runtime's block in place (tokio's `block_in_place`, the only one: the
//! registry's `block_in_place` carries its function) runs the work on the task's own thread (after
//! handing the worker's other tasks to another thread), so the future joined beside it in
//! the same task stalls for the whole call; on a current-thread runtime it panics, as
//! there is no other thread to hand the tasks to. `spawn_blocking(..).await` moves the
//! work to the pool, and a thread of its own does the same where there is no pool: the
//! joined future keeps its rhythm.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use futures::channel::oneshot;

use super::{Lab, Measure, Outcome, millis, ms};
use crate::runtime::{Runtime, TaskError, panic_message, spawn_blocking};

const BLOCK_IN_PLACE_LATE: Measure = Measure::ms(
    "block_in_place_late_ms",
    "how late the joined future's tick was at most beside block_in_place",
);
const SPAWN_BLOCKING_LATE: Measure = Measure::ms(
    "spawn_blocking_late_ms",
    "how late it was at most beside spawn_blocking(..).await",
);
const OWN_THREAD_LATE: Measure = Measure::ms(
    "own_thread_late_ms",
    "how late it was at most beside a thread of its own, awaited",
);

/// `block-in-place`'s measurements.
pub(super) const MEASURES: &[Measure] =
    &[BLOCK_IN_PLACE_LATE, SPAWN_BLOCKING_LATE, OWN_THREAD_LATE];

/// How long the blocking work blocks (not scaled: "stalled" must mean the same at any
/// --time-scale, as the ticker's period is not scaled either).
const BLOCK: Duration = Duration::from_millis(200);

/// The joined future's period.
const TICK: Duration = Duration::from_millis(10);

/// How the blocking work is done.
#[derive(Clone, Copy)]
enum Way {
    /// The runtime's block in place (its function) on the task's thread.
    InPlace(fn(&mut dyn FnMut())),
    /// The runtime's pool, awaited.
    SpawnBlocking,
    /// A thread of its own, awaited through a oneshot.
    OwnThread,
}

impl Way {
    /// The name of the task that does the work this way.
    fn task_name(self) -> &'static str {
        match self {
            Way::InPlace(_) => "BlockInPlace beside a ticker",
            Way::SpawnBlocking => "SpawnBlocking beside a ticker",
            Way::OwnThread => "OwnThread beside a ticker",
        }
    }
}

/// Does the blocking work `way`; `Err` with why it could not (a panic's message).
async fn block<R: Runtime>(rt: &R, way: Way) -> Result<(), String> {
    let work = || thread::sleep(BLOCK);
    match way {
        Way::InPlace(run) => std::panic::catch_unwind(AssertUnwindSafe(|| run(&mut { work })))
            .map_err(|payload| format!("panicked: {}", panic_message(&*payload))),
        Way::SpawnBlocking => spawn_blocking(rt, work).await.map_err(|e| match e {
            TaskError::Unsupported(what) => format!("not available: {what}"),
            e => e.to_string(),
        }),
        Way::OwnThread => {
            let (sender, receiver) = oneshot::channel();
            thread::Builder::new()
                .name("own-thread".into())
                .spawn(move || {
                    work();
                    let _ = sender.send(());
                })
                .map_err(|e| format!("cannot start a thread: {e}"))?;
            receiver
                .await
                .map_err(|_| "the thread ended without an answer".to_string())
        }
    }
}

/// A task joins a 10 ms ticker with the blocking work done `way`: how late the ticker got,
/// or why the work could not be done.
async fn beside_a_ticker<R: Runtime>(lab: &Lab<R>, way: Way) -> Result<Duration, String> {
    let rt = lab.rt.clone();
    let task = lab.spawn(way.task_name(), async move {
        let done = AtomicBool::new(false);
        let ticker = async {
            let mut worst = Duration::ZERO;
            while !done.load(Ordering::SeqCst) {
                let asked = Instant::now();
                rt.sleep(TICK).await;
                worst = worst.max(asked.elapsed().saturating_sub(TICK));
            }
            worst
        };
        let work = async {
            // The ticker runs first, then the work starts.
            rt.sleep(ms(20)).await;
            let result = block(&rt, way).await;
            done.store(true, Ordering::SeqCst);
            result
        };
        let (worst, result) = futures::join!(ticker, work);
        result.map(|()| worst)
    });
    task.await.map_err(|e| e.to_string())?
}

/// The line for a ticker that was at most `late`.
fn verdict(late: Duration) -> &'static str {
    if late >= BLOCK / 2 {
        "the joined future stalled for the whole call"
    } else {
        "the joined future kept its rhythm"
    }
}

/// The experiment: `block_in_place`, `spawn_blocking` and a thread of its own, each beside
/// a joined ticker.
pub async fn block_in_place<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let configuration = lab.rt.configuration();
    let capabilities = lab.capabilities();
    lab.out.remark(format!(
        "each part blocks for {} beside a {} ticker joined in the same task; a `panic on thread` line is expected where block_in_place refuses",
        millis(BLOCK),
        millis(TICK)
    ));
    let first = match capabilities.block_in_place {
        None => format!(
            "no block_in_place on {} ({}): {} instead",
            configuration.runtime,
            configuration.flavor,
            capabilities
                .blocking
                .map(|b| b.spawn)
                .map_or("a thread of its own".to_string(), |pool| format!(
                    "{pool} or a thread of its own"
                ))
        ),
        Some(in_place) => match beside_a_ticker(lab, Way::InPlace(in_place.run)).await {
            Ok(late) => {
                lab.out
                    .set_measure(BLOCK_IN_PLACE_LATE, late.as_secs_f64() * 1e3);
                format!(
                    "{} beside a future joined in the same task: {}",
                    in_place.name,
                    verdict(late)
                )
            }
            Err(why) => {
                format!(
                    "{} beside a future joined in the same task: {why}",
                    in_place.name
                )
            }
        },
    };
    lab.out.line(first);

    let second = match capabilities.blocking.map(|b| b.spawn) {
        None => outcome.not_available("spawn_blocking", configuration),
        Some(pool) => match beside_a_ticker(lab, Way::SpawnBlocking).await {
            Ok(late) => {
                lab.out
                    .set_measure(SPAWN_BLOCKING_LATE, late.as_secs_f64() * 1e3);
                format!("{pool}(..).await beside it: {}", verdict(late))
            }
            Err(why) => format!("{pool}(..).await beside it: {why}"),
        },
    };
    lab.out.line(second);

    let third = match beside_a_ticker(lab, Way::OwnThread).await {
        Ok(late) => {
            lab.out
                .set_measure(OWN_THREAD_LATE, late.as_secs_f64() * 1e3);
            format!(
                "a thread of its own, awaited through a oneshot beside it: {}",
                verdict(late)
            )
        }
        Err(why) => format!("a thread of its own, awaited through a oneshot beside it: {why}"),
    };
    lab.out.line(third);
    outcome
}
