//! `blocking-pool`: N blocking jobs at once on the runtime's pool for blocking work. How
//! many threads it starts, how many jobs run at once, and which of its threads are still
//! there a while after the last job (pools keep idle threads: tokio's for 10 s, the
//! `blocking` crate's until the process exits, a thread per job not at all). Then the same
//! with the pool capped through the runtime's own setting, where it has one: the jobs
//! queue behind the cap.
//!
//! Each job is traced as a task of its own (one poll, the whole job), so the timeline
//! shows the pool's threads appear, run the jobs and, where they end, go.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::{BlockingPool, Lab, Measure, Outcome, millis, ms};
use crate::census;
use crate::runtime::{Runtime, TaskError, spawn_blocking};
use crate::trace;
use async_lab_runtime::registry::{BlockingThreads, IdleThreads};

const THREADS_STARTED: Measure = Measure::count(
    "threads_started",
    "the pool's threads that ran one of the jobs",
);
const MOST_AT_ONCE: Measure = Measure::count("most_at_once", "the most jobs running at once");
const LAST_JOB: Measure = Measure::ms(
    "last_job_ms",
    "from the first spawn to the end of the last job",
);
const ALIVE_AFTER: Measure = Measure::count(
    "alive_after_{}s",
    "of those threads, the ones alive that many seconds (--after) after the last job",
);
const CAPPED_THREADS_STARTED: Measure = Measure::count(
    "capped_threads_started",
    "the threads that ran a job, the pool capped",
);
const CAPPED_MOST_AT_ONCE: Measure = Measure::count(
    "capped_most_at_once",
    "the most jobs running at once, the pool capped",
);
const CAPPED_LAST_JOB: Measure = Measure::ms(
    "capped_last_job_ms",
    "from the first spawn to the end of the last job, the pool capped",
);

/// `blocking-pool`'s measurements.
pub(super) const MEASURES: &[Measure] = &[
    THREADS_STARTED,
    MOST_AT_ONCE,
    LAST_JOB,
    ALIVE_AFTER,
    CAPPED_THREADS_STARTED,
    CAPPED_MOST_AT_ONCE,
    CAPPED_LAST_JOB,
];

/// What one batch of jobs showed.
#[derive(Debug, Default)]
struct Batch {
    /// The threads that ran a job.
    threads: BTreeSet<u64>,
    /// The most jobs running at the same time.
    most_at_once: usize,
    /// From the first spawn to the end of the last job.
    last_end: Duration,
}

/// Counts the jobs running now and the most there were.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// Starts `n` jobs of `job` each at once on `rt`'s pool and waits for them all.
async fn run_batch<R: Runtime>(
    rt: &R,
    n: u64,
    job: Duration,
    label: &str,
) -> Result<Batch, TaskError> {
    let threads = Arc::new(Mutex::new(BTreeSet::new()));
    let running = Arc::new(Running::default());
    let start = Instant::now();
    let handles: Vec<_> = (1..=n)
        .map(|i| {
            let (threads, running) = (threads.clone(), running.clone());
            let name = format!("{label} job {i}");
            spawn_blocking(rt, move || {
                // One poll of a traced future: the job shows on its thread's row.
                futures::executor::block_on(trace::traced(name, async move {
                    threads
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(census::current_tid());
                    let now = running.now.fetch_add(1, Ordering::SeqCst) + 1;
                    running.most.fetch_max(now, Ordering::SeqCst);
                    thread::sleep(job);
                    running.now.fetch_sub(1, Ordering::SeqCst);
                }));
            })
        })
        .collect();
    for result in join_all(handles).await {
        result?;
    }
    let last_end = start.elapsed();
    let threads = std::mem::take(&mut *threads.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(Batch {
        threads,
        most_at_once: running.most.load(Ordering::SeqCst),
        last_end,
    })
}

/// How many of `threads` are alive now; `None` where the census cannot tell.
fn alive(threads: &BTreeSet<u64>) -> Option<usize> {
    let now = census::snapshot()?;
    Some(threads.iter().filter(|tid| now.contains_key(tid)).count())
}

/// `n` of `all`, in words.
fn how_many(n: usize, all: usize) -> &'static str {
    match n {
        0 => "none of its threads was left",
        n if n == all => "all its threads were still there",
        _ => "some of its threads were still there",
    }
}

/// What the registry says an idle thread does, for the lines.
fn idle_words(idle: IdleThreads) -> String {
    match idle {
        IdleThreads::KeptFor(secs) => format!("an idle thread waits {secs} s for another job"),
        IdleThreads::Kept => "an idle thread stays until the process exits".into(),
        IdleThreads::EndsWithJob => "a thread ends with its job".into(),
    }
}

/// The experiment: the pool as it is, then capped.
pub async fn blocking_pool<R: Runtime>(lab: &Lab<R>, args: &BlockingPool) -> Outcome {
    let mut outcome = Outcome::default();
    let configuration = lab.rt.configuration();
    let Some(async_lab_runtime::registry::BlockingPool {
        spawn: pool,
        threads: facts,
    }) = lab.capabilities().blocking
    else {
        lab.out
            .line(outcome.not_available("spawn_blocking", configuration));
        return outcome;
    };
    let n = args.n.get();
    let job = lab.scaled(ms(args.job_ms.get()));
    let cap_words = match (facts.max, facts.cap_setting) {
        (Some(max), Some(setting)) => {
            format!("at most {max} threads by default; {setting} sets it")
        }
        (Some(max), None) => format!("at most {max} threads"),
        (None, _) => "a thread for every job, no cap".into(),
    };
    lab.out.line(format!(
        "{n} blocking jobs of {} at once on {pool} ({cap_words})",
        millis(job)
    ));
    let batch = match run_batch(&lab.rt, n, job, "").await {
        Ok(batch) => batch,
        Err(e) => {
            outcome.fail(format!("the blocking jobs failed: {e}"));
            return outcome;
        }
    };
    let started = batch.threads.len();
    lab.out.set_measure(THREADS_STARTED, started as f64);
    lab.out.set_measure(MOST_AT_ONCE, batch.most_at_once as f64);
    lab.out
        .set_measure(LAST_JOB, batch.last_end.as_secs_f64() * 1e3);
    lab.out.remark(format!(
        "the pool ran the {n} jobs on {started} threads, at most {} at once; the last ended after {}",
        batch.most_at_once,
        millis(batch.last_end)
    ));
    let ended = Instant::now();
    for &after in &args.after {
        let at = Duration::from_secs_f64(after);
        lab.rt.sleep(at.saturating_sub(ended.elapsed())).await;
        let Some(left) = alive(&batch.threads) else {
            lab.out
                .line("the thread census is not available here: which threads are left is unknown");
            break;
        };
        lab.out.set_measure_at(ALIVE_AFTER, after, left as f64);
        lab.out.line(format!(
            "{after} s after the last job: {} ({})",
            how_many(left, started),
            idle_words(facts.idle)
        ));
        lab.out.remark(format!(
            "{after} s after the last job: {left} of its {started} threads alive"
        ));
    }
    capped(lab, args, facts, &batch, &mut outcome).await;
    kernel_worker(lab, &mut outcome).await;
    outcome
}

/// Last, where the configuration's I/O driver hands blocking work to the kernel (its
/// registry's `io.kernel_worker`: io_uring's): the work done once, and the kernel's own
/// worker thread that did it, a thread of this process that no pool of the runtime's
/// started (the census gives it the role `io-uring-worker`).
async fn kernel_worker<R: Runtime>(lab: &Lab<R>, outcome: &mut Outcome) {
    let Some(work) = lab.capabilities().io.kernel_worker else {
        return;
    };
    if let Err(e) = (work.run)(std::env::temp_dir()).await {
        outcome.fail(format!("{} failed: {e}", work.name));
        return;
    }
    let Some(threads) = census::snapshot() else {
        lab.out.line(format!(
            "{}: done; the thread census is not available here, so which thread did it is unknown",
            work.name
        ));
        return;
    };
    let workers: Vec<&String> = threads
        .values()
        .filter(|name| name.starts_with(census::IO_URING_WORKER.prefix))
        .collect();
    lab.out.line(format!(
        "{}: {}",
        work.name,
        if workers.is_empty() {
            "done, and no io_uring worker of the kernel's is alive".to_string()
        } else {
            format!(
                "the kernel did it on a worker of its own ({}*), a thread of this process that no pool of the runtime started",
                census::IO_URING_WORKER.prefix
            )
        }
    ));
    lab.out.remark(format!(
        "io_uring workers alive after it: {}",
        if workers.is_empty() {
            "none".to_string()
        } else {
            workers
                .iter()
                .map(|name| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
}

/// The second part: the same jobs with the pool capped at `--cap`.
async fn capped<R: Runtime>(
    lab: &Lab<R>,
    args: &BlockingPool,
    facts: BlockingThreads,
    first: &Batch,
    outcome: &mut Outcome,
) {
    let (n, cap) = (args.n.get(), args.cap);
    let job = lab.scaled(ms(args.job_ms.get()));
    let Some(setting) = facts.cap_setting else {
        lab.out.line(format!(
            "no setting caps it: {} starts a thread for every job",
            lab.capabilities()
                .blocking
                .map(|b| b.spawn)
                .unwrap_or("its spawn_blocking")
        ));
        return;
    };
    let rt = match lab.rt.cap_blocking_pool(cap) {
        Ok(rt) => rt,
        Err(e) => {
            outcome.fail(format!("{setting}({cap}) failed: {e}"));
            return;
        }
    };
    // A process-wide cap (the blocking crate's) lowered under the threads the first part
    // left: the idle ones over it end after their next wait (500 ms). Jobs started before
    // would still find them, so wait for them to go.
    // Where the cap is the new runtime's own (tokio's), nothing ends: stop waiting once
    // no thread has ended for longer than that wait.
    let waited = Instant::now();
    let (mut last, mut changed) = (alive(&first.threads), Instant::now());
    while last.is_some_and(|left| left > cap.get())
        && waited.elapsed() < Duration::from_secs(3)
        && changed.elapsed() < ms(700)
    {
        lab.rt.sleep(ms(50)).await;
        let now = alive(&first.threads);
        if now != last {
            (last, changed) = (now, Instant::now());
        }
    }
    if let Some(left) = alive(&first.threads) {
        lab.out.remark(format!(
            "after {setting}({cap}), {left} of the first part's {} threads were left ({} later)",
            first.threads.len(),
            millis(waited.elapsed())
        ));
    }
    let result = run_batch(&rt, n, job, "capped").await;
    // A new tokio runtime must not be dropped inside async code: a thread of the lab's
    // drops it (its shutdown waits for its idle blocking threads to end).
    let dropper = thread::Builder::new()
        .name("lab-drop".into())
        .spawn(move || drop(rt));
    if let Ok(dropper) = dropper {
        let _ = dropper.join();
    }
    let batch = match result {
        Ok(batch) => batch,
        Err(e) => {
            outcome.fail(format!("the capped blocking jobs failed: {e}"));
            return;
        }
    };
    lab.out
        .set_measure(CAPPED_THREADS_STARTED, batch.threads.len() as f64);
    lab.out
        .set_measure(CAPPED_MOST_AT_ONCE, batch.most_at_once as f64);
    lab.out
        .set_measure(CAPPED_LAST_JOB, batch.last_end.as_secs_f64() * 1e3);
    let rounds = n.div_ceil(cap.get() as u64);
    let held = batch.most_at_once <= cap.get();
    let queued = batch.last_end >= job.mul_f64(rounds as f64);
    lab.out.line(format!(
        "the same with the pool capped by {setting}({cap}): {}, {}",
        if held {
            format!("at most {cap} jobs ran at once, the others queued")
        } else {
            format!("more than {cap} jobs ran at once: the cap did not hold")
        },
        if queued {
            format!("so the last ended after {rounds} jobs' time or more")
        } else {
            format!("yet the last ended before {rounds} jobs' time")
        }
    ));
    lab.out.remark(format!(
        "capped at {cap}: {} threads, at most {} jobs at once, the last ended after {} ({rounds} rounds of {})",
        batch.threads.len(),
        batch.most_at_once,
        millis(batch.last_end),
        millis(job)
    ));
}
