//! `shutdown`: what becomes of work still going when `block_on` returns and when the
//! runtime is dropped. On a plain thread, a new runtime of the configuration runs a
//! `block_on` that starts a task with the runtime's own spawn and never joins it (its
//! handle is dropped with the main future), a detached task, a blocking job and a task
//! waiting on a timer, then returns; the thread waits, calls `block_on` once more, drops
//! the runtime and waits again, watching each. Some runtimes stop the tasks with
//! `block_on`, some pause them until the next one, some let them run until the runtime is
//! dropped, some until the process exits; tokio's drop waits for the blocking job. Then a
//! new runtime dropped inside async code: tokio refuses with a panic, caught and shown.
//!
//! The durations are not scaled: the parts are ordered in time (the timer is due after
//! the drop, the job ends after it), with margins of 100 ms or more.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use async_lab_runtime::registry::DetachedTask;
use futures::channel::oneshot;

use super::{Lab, Measure, Outcome, millis, ms};
use crate::census;
use crate::runtime::{Runtime, TaskError, panic_message, spawn_blocking};
use crate::trace;

const DROP: Measure = Measure::ms("drop_ms", "how long dropping the runtime took");

/// `shutdown`'s measurements.
pub(super) const MEASURES: &[Measure] = &[DROP];

/// The tasks' period (on futures-timer's thread, so that a task holds no runtime).
const TICK: Duration = Duration::from_millis(5);
/// How long the first `block_on` runs, then the second.
const BLOCK_ON: Duration = Duration::from_millis(50);
/// How long the thread waits between them, and after the drop (with [`AFTER_DROP`]).
const BETWEEN: Duration = Duration::from_millis(100);
/// How long the thread waits after the drop: past the timer and the job's end.
const AFTER_DROP: Duration = Duration::from_millis(400);
/// When the timer is due, from its task's start: after the drop (at about 200 ms).
const TIMER: Duration = Duration::from_millis(300);
/// The blocking job: so many steps of 10 ms, ending after the drop.
const JOB_STEPS: u64 = 40;
/// How long a job that has not stepped is taken to have stopped: many of its 10 ms steps.
const STILL: Duration = Duration::from_millis(200);
/// How long, at most, the thread waits past [`AFTER_DROP`] for a job still stepping.
const JOB_GRACE: Duration = Duration::from_secs(5);

/// A task that ticks until it is stopped: how often, and on which threads.
#[derive(Default)]
struct Ticks {
    count: AtomicU64,
    threads: Mutex<BTreeSet<u64>>,
}

impl Ticks {
    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    fn threads(&self) -> BTreeSet<u64> {
        self.threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Ticks every [`TICK`] forever.
async fn ticking(ticks: Arc<Ticks>) {
    loop {
        ticks.count.fetch_add(1, Ordering::SeqCst);
        ticks
            .threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(census::current_tid());
        futures_timer::Delay::new(TICK).await;
    }
}

/// A ticking task's count at each step of the thread's sequence.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    at_return: u64,
    before_second: u64,
    after_second: u64,
    at_drop: u64,
    at_end: u64,
}

impl Counts {
    /// What the counts show, as the registry names it.
    fn fate(&self) -> DetachedTask {
        let ran_between = self.before_second > self.at_return;
        let ran_in_second = self.after_second > self.before_second;
        let ran_after_drop = self.at_end > self.at_drop;
        match (ran_between, ran_in_second, ran_after_drop) {
            (true, _, true) => DetachedTask::RunsUntilExit,
            (true, _, false) => DetachedTask::RunsUntilDrop,
            (false, true, _) => DetachedTask::PausedUntilDrop,
            (false, false, _) => DetachedTask::StoppedWithBlockOn,
        }
    }
}

/// What the thread saw.
struct Seen {
    unjoined: Counts,
    detached: Counts,
    detached_threads: BTreeSet<u64>,
    /// `None` where the runtime has no pool for blocking work.
    job: Option<JobSeen>,
    timer_fired: bool,
    drop_took: Duration,
}

/// The blocking job's steps when `block_on` returned, when the drop returned, at the end.
struct JobSeen {
    at_return: u64,
    at_drop: u64,
    at_end: u64,
}

/// Runs the sequence on the calling thread, with a new runtime of `lab`'s configuration.
fn sequence<R: Runtime>(lab: &Lab<R>) -> Result<Seen, String> {
    let rt = R::new(lab.rt.flavor(), None).map_err(|e| e.to_string())?;
    let (unjoined, detached) = (Arc::new(Ticks::default()), Arc::new(Ticks::default()));
    let steps = Arc::new(AtomicU64::new(0));
    let fired = Arc::new(AtomicBool::new(false));
    let has_pool = rt.block_on(async {
        // The runtime's own spawn; its handle, never awaited, is dropped when this future
        // ends (smol's and the futures crate's handles cancel their task then).
        let _unjoined = rt.spawn_raw(Box::pin(trace::traced(
            "unjoined",
            ticking(unjoined.clone()),
        )));
        drop(rt.spawn(trace::traced("detached", ticking(detached.clone()))));
        let timer = rt.sleep(TIMER);
        let flag = fired.clone();
        drop(rt.spawn(trace::traced("timer", async move {
            timer.await;
            flag.store(true, Ordering::SeqCst);
        })));
        let job_steps = steps.clone();
        let job = spawn_blocking(&rt, move || {
            for _ in 0..JOB_STEPS {
                thread::sleep(ms(10));
                job_steps.fetch_add(1, Ordering::SeqCst);
            }
        });
        rt.sleep(BLOCK_ON).await;
        // Its result comes at once where there is no pool; else it is dropped, detached.
        !matches!(
            futures::FutureExt::now_or_never(job),
            Some(Err(TaskError::Unsupported(_)))
        )
    });
    let mut counts = [Counts::default(); 2];
    let probes = [&unjoined, &detached];
    let read = |counts: &mut [Counts; 2], field: fn(&mut Counts) -> &mut u64| {
        for (c, p) in counts.iter_mut().zip(probes) {
            *field(c) = p.count();
        }
    };
    read(&mut counts, |c| &mut c.at_return);
    let job_at_return = steps.load(Ordering::SeqCst);
    thread::sleep(BETWEEN);
    read(&mut counts, |c| &mut c.before_second);
    rt.block_on(rt.sleep(BLOCK_ON));
    read(&mut counts, |c| &mut c.after_second);
    let dropping = Instant::now();
    drop(rt);
    let drop_took = dropping.elapsed();
    read(&mut counts, |c| &mut c.at_drop);
    let job_at_drop = steps.load(Ordering::SeqCst);
    thread::sleep(AFTER_DROP);
    read(&mut counts, |c| &mut c.at_end);
    // A job that is still stepping has not stopped, however slow the machine made it:
    // wait for its end while it advances (a stopped one stands still for a whole wait).
    let mut seen_steps = steps.load(Ordering::SeqCst);
    let waiting = Instant::now();
    while seen_steps < JOB_STEPS && waiting.elapsed() < JOB_GRACE {
        thread::sleep(STILL);
        let now = steps.load(Ordering::SeqCst);
        if now == seen_steps {
            break;
        }
        seen_steps = now;
    }
    Ok(Seen {
        unjoined: counts[0],
        detached: counts[1],
        detached_threads: detached.threads(),
        job: has_pool.then(|| JobSeen {
            at_return: job_at_return,
            at_drop: job_at_drop,
            at_end: steps.load(Ordering::SeqCst),
        }),
        timer_fired: fired.load(Ordering::SeqCst),
        drop_took,
    })
}

/// The experiment: the sequence on a thread of its own, then a drop inside async code.
pub async fn shutdown<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let capabilities = lab.capabilities();
    let configuration = lab.rt.configuration();
    let before = census::snapshot();
    let (sender, receiver) = oneshot::channel();
    let thread_lab = lab.clone();
    let started = thread::Builder::new()
        .name("shutdown-main".into())
        .spawn(move || {
            let seen = std::panic::catch_unwind(AssertUnwindSafe(|| sequence(&thread_lab)))
                .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_message(&*payload))));
            let _ = sender.send(seen);
        });
    let thread = match started {
        Ok(thread) => thread,
        Err(e) => {
            outcome.fail(format!("cannot start the thread: {e}"));
            return outcome;
        }
    };
    let answer = receiver.await;
    // It has sent its answer and is ending: wait for it, so that the census below does
    // not count it among the threads still alive.
    let _ = thread.join();
    let seen = match answer {
        Ok(Ok(seen)) => seen,
        Ok(Err(why)) => {
            outcome.fail(format!("the sequence failed: {why}"));
            return outcome;
        }
        Err(_) => {
            outcome.fail("the sequence's thread ended without an answer");
            return outcome;
        }
    };
    lab.out.remark(format!(
        "a new {} ({}) runtime on a thread of its own: block_on for {}, {} without, block_on for {} again, then the drop (it took {}), then {} more",
        configuration.runtime,
        configuration.flavor,
        millis(BLOCK_ON),
        millis(BETWEEN),
        millis(BLOCK_ON),
        millis(seen.drop_took),
        millis(AFTER_DROP)
    ));
    lab.out
        .set_measure(DROP, seen.drop_took.as_secs_f64() * 1e3);
    lab.out.line(format!(
        "a task nobody joined (started with {}, its handle dropped with the main future): {}",
        capabilities.raw_spawn,
        seen.unjoined.fate().words()
    ));
    lab.out
        .line(format!("a detached task: {}", seen.detached.fate().words()));
    for (name, counts) in [("unjoined", seen.unjoined), ("detached", seen.detached)] {
        lab.out.remark(format!(
            "{name} task's ticks: {} when block_on returned, {} before the second, {} after it, {} after the drop, {} at the end",
            counts.at_return, counts.before_second, counts.after_second, counts.at_drop, counts.at_end
        ));
    }
    match &seen.job {
        None => {
            lab.out
                .line(outcome.not_available("spawn_blocking", configuration));
        }
        Some(job) => {
            lab.out.remark(format!(
                "the blocking job's steps (of {JOB_STEPS}): {} when block_on returned, {} when the drop returned, {} at the end",
                job.at_return, job.at_drop, job.at_end
            ));
            let words = if job.at_return >= JOB_STEPS {
                "it had ended before block_on returned"
            } else if job.at_drop >= JOB_STEPS {
                "dropping the runtime waited for it to end"
            } else if job.at_end >= JOB_STEPS {
                "nothing waited for it: it ran on to its end after the runtime was dropped"
            } else {
                "it stopped partway"
            };
            lab.out.line(format!(
                "a blocking job still running when block_on returned: {words}"
            ));
        }
    }
    lab.out.line(format!(
        "a task waiting on a {} timer, due after the drop: {}",
        millis(TIMER),
        if seen.timer_fired {
            "it fired"
        } else {
            "it never fired: its task was stopped first"
        }
    ));
    let now = census::snapshot();
    lab.out.line(match &now {
        None => {
            "the thread census is not available here: which threads are left is unknown".to_string()
        }
        Some(now) => {
            let left = seen
                .detached_threads
                .iter()
                .filter(|tid| now.contains_key(tid))
                .count();
            if left == 0 {
                "the threads that ran the detached task: gone after the drop".to_string()
            } else {
                "the threads that ran the detached task: still alive after the drop".to_string()
            }
        }
    });
    if let (Some(before), Some(now)) = (&before, &now) {
        let new: Vec<&str> = now
            .iter()
            .filter(|(tid, _)| !before.contains_key(tid))
            .map(|(_, name)| name.as_str())
            .collect();
        lab.out.remark(format!(
            "threads started since the new runtime was built and still alive: {}",
            if new.is_empty() {
                "none".to_string()
            } else {
                new.join(", ")
            }
        ));
    }

    // A new runtime dropped inside async code (this future's `block_on`).
    let line = match R::new(lab.rt.flavor(), None) {
        Err(e) => format!("a new runtime could not be built: {e}"),
        Ok(fresh) => match std::panic::catch_unwind(AssertUnwindSafe(move || drop(fresh))) {
            Ok(()) => "a new runtime dropped inside async code: nothing to stop, no panic".into(),
            Err(payload) => format!(
                "a new runtime dropped inside async code: panicked: {}",
                panic_message(&*payload)
            ),
        },
    };
    lab.out.line(line);
    outcome
}
