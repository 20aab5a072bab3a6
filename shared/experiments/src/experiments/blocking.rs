//! `blocking`, `yield` and `timeout`: listings 17-14 to 17-20, about handing control back.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures::future::{Either, select};

use super::{Lab, Measure, Outcome, millis, ms};
use crate::runtime::Runtime;

const BLOCKED: Measure = Measure::ms(
    "blocked_ms",
    "how long the blocking task blocked its thread (scaled)",
);
const TICKER_LATE: Measure = Measure::ms(
    "ticker_late_ms",
    "how late the 10 ms ticker was at most beside the blocked thread",
);
const SLEEP_1000: Measure = Measure::ms("sleep_1000_ms", "999 sleeps of 1 ns, one after another");
const YIELD_1000: Measure = Measure::ms("yield_1000_ms", "999 yield_now calls, one after another");
const SELECT_TIMEOUT: Measure = Measure::ms(
    "select_timeout_ms",
    "the timeout built from select and sleep, until it gave up",
);
const OWN_TIMEOUT: Measure = Measure::ms(
    "own_timeout_ms",
    "the runtime's own timeout on the same slow future, until it gave up",
);

/// `blocking`'s measurements.
pub(super) const BLOCKING_MEASURES: &[Measure] = &[BLOCKED, TICKER_LATE];
/// `yield`'s measurements.
pub(super) const YIELD_MEASURES: &[Measure] = &[SLEEP_1000, YIELD_1000];
/// `timeout`'s measurements.
pub(super) const TIMEOUT_MEASURES: &[Measure] = &[SELECT_TIMEOUT, OWN_TIMEOUT];

/// Listing 17-14's `slow`: blocks the thread for `millis` (scaled), then says for how long
/// it asked to: the book's number at `--time-scale 1`, the scaled one otherwise.
fn slow<R: Runtime>(lab: &Lab<R>, name: &str, millis: u64) {
    let asked = lab.scaled(ms(millis));
    lab.block_thread(ms(millis));
    lab.out.line(format!(
        "'{name}' ran for {}ms",
        asked.as_secs_f64() * 1000.0
    ));
}

/// How each future hands control back between its steps in [`race_steps`].
#[derive(Clone, Copy)]
enum Handover {
    /// Not at all: only one sleep at the end (listing 17-15).
    Never,
    /// A 1 ms sleep between steps (listing 17-16).
    Sleep,
    /// `yield_now` between steps (listing 17-17).
    Yield,
}

/// Listings 17-15 to 17-17: two futures of blocking steps, raced with `select`.
async fn race_steps<R: Runtime>(lab: &Lab<R>, handover: Handover) {
    let step = |lab: &Lab<R>| {
        let lab = lab.clone();
        async move {
            match handover {
                Handover::Never => {}
                Handover::Sleep => lab.sleep(ms(1)).await,
                Handover::Yield => lab.rt.yield_now().await,
            }
        }
    };
    let steps = |name: &'static str, millis: &'static [u64]| {
        let lab = lab.clone();
        async move {
            lab.out.line(format!("'{name}' started."));
            for &m in millis {
                slow(&lab, name, m);
                step(&lab).await;
            }
            if let Handover::Never = handover {
                lab.sleep(ms(50)).await;
            }
            lab.out.line(format!("'{name}' finished."));
        }
    };
    let a = steps("a", &[30, 10, 20]);
    let b = steps("b", &[75, 10, 15, 350]);
    crate::book_api::select(a, b).await;
}

/// Listings 17-14/17-15, then the same starvation across tasks: a ticker beside a task
/// that blocks its thread.
pub async fn blocking<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.part("listing 17-15: blocking steps run each future to its first real await before the other starts");
    race_steps(lab, Handover::Never).await;

    let blocked = ms(200);
    let blocker = lab.clone();
    let stop = async move {
        // Give the ticker a moment to start, then block a thread of the runtime.
        blocker.sleep(ms(20)).await;
        let task_lab = blocker.clone();
        let _ = blocker
            .spawn("blocker", async move { task_lab.block_thread(blocked) })
            .await;
    };
    let late = lab.ticker_lateness(ms(10), stop).await;
    let blocked = lab.scaled(blocked);
    lab.out.set_measure(BLOCKED, blocked.as_secs_f64() * 1000.0);
    lab.out
        .set_measure(TICKER_LATE, late.as_secs_f64() * 1000.0);
    lab.out.remark(format!(
        "a {} ticker was at most {} late (one run) while another task blocked its thread for {}: {}",
        millis(lab.scaled(ms(10))),
        millis(late),
        millis(blocked),
        if late >= blocked.mul_f64(0.5) {
            "the blocked thread was the one its timer needed"
        } else {
            "it ran on a thread that was not blocked"
        }
    ));
    Outcome::default()
}

/// Listings 17-16/17-17 and the timing after them: 1,000 sleeps of 1 ns against 1,000
/// `yield_now`s.
pub async fn yielding<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out
        .part("listing 17-16: a 1 ms sleep between steps hands control back");
    race_steps(lab, Handover::Sleep).await;
    lab.out
        .part("listing 17-17: yield_now between steps hands control back");
    race_steps(lab, Handover::Yield).await;

    lab.out
        .part("from the earlier edition: 999 sleeps of 1 ns against 999 yield_now calls");
    let one_ns = Duration::from_nanos(1);
    let start = Instant::now();
    for _ in 1..1000 {
        lab.rt.sleep(one_ns).await;
    }
    let sleep_time = start.elapsed();
    lab.out.line(format!(
        "'sleep' version finished after {} seconds.",
        sleep_time.as_secs_f32()
    ));
    let start = Instant::now();
    for _ in 1..1000 {
        lab.rt.yield_now().await;
    }
    let yield_time = start.elapsed();
    lab.out.line(format!(
        "'yield' version finished after {} seconds.",
        yield_time.as_secs_f32()
    ));
    lab.out
        .set_measure(SLEEP_1000, sleep_time.as_secs_f64() * 1000.0);
    lab.out
        .set_measure(YIELD_1000, yield_time.as_secs_f64() * 1000.0);
    let ratio = sleep_time.as_secs_f64() / yield_time.as_secs_f64().max(1e-9);
    lab.out.remark(format!(
        "999 sleeps of 1 ns took {:.0}x as long as 999 yields (one run): a sleep waits for the timer's next tick ({} a sleep here)",
        ratio,
        millis(sleep_time / 999)
    ));
    Outcome::default()
}

/// Listings 17-18 to 17-20: a `timeout` built from `select` and `sleep`, then the runtime's
/// own timeout, where it has one, on the same slow future.
pub async fn timeout<R: Runtime>(lab: &Lab<R>) -> Outcome {
    async fn timeout<F: Future>(
        lab: &Lab<impl Runtime>,
        future: F,
        max: Duration,
    ) -> Result<F::Output, Duration> {
        match select(pin!(future), pin!(lab.rt.sleep(max))).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(_) => Err(max),
        }
    }
    let slow_for = lab.scaled(ms(5_000));
    let max = lab.scaled(ms(2_000));
    let slow = {
        let lab = lab.clone();
        async move {
            lab.rt.sleep(slow_for).await;
            "Finally finished"
        }
    };
    let start = Instant::now();
    match timeout(lab, slow, max).await {
        Ok(message) => lab.out.line(format!("Succeeded with '{message}'")),
        Err(duration) => lab
            .out
            .line(format!("Failed after {} seconds", duration.as_secs_f64())),
    }
    lab.out
        .set_measure(SELECT_TIMEOUT, start.elapsed().as_secs_f64() * 1000.0);

    let mut outcome = Outcome::default();
    let rt = lab.rt.clone();
    match lab.capabilities().own_timeout {
        Some(timeout) => {
            let name = timeout.name;
            let timed = (timeout.run)(max, Box::pin(async move { rt.sleep(slow_for).await }));
            let start = Instant::now();
            let finished = timed.await;
            let took = start.elapsed();
            lab.out
                .set_measure(OWN_TIMEOUT, took.as_secs_f64() * 1000.0);
            let what = match finished {
                Ok(false) => "timed out",
                Ok(true) => "finished in time",
                Err(_) => "failed",
            };
            lab.out.remark(format!(
                "{name}: the same slow future {what} after {}",
                millis(took)
            ));
        }
        None => {
            lab.out.remark(format!(
                "{}: no timeout function of its own; select and sleep are the way",
                R::NAME
            ));
            outcome
                .unsupported
                .push("a timeout function of its own".into());
        }
    }
    outcome
}
