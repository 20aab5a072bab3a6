//! `busy-loop`: a task that computes without ever awaiting, beside a 10 ms ticker. Where
//! the ticker shares the busy task's thread it starves until the loop ends; `yield_now`
//! every N steps hands the thread back often enough for it to keep its rhythm, where the
//! timer fires meanwhile (monoio turns its wheel only when no task is ready, so there it
//! starves still). (`export` shows the same for whole frames, and what `spawn_blocking`
//! does about it.)

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{BusyLoop, Lab, Measure, Outcome, millis, ms};
use crate::runtime::Runtime;

const TICKER_LATE: Measure = Measure::ms(
    "ticker_late_ms",
    "how late the 10 ms ticker was at most beside the loop that never awaits",
);
const YIELDING_TICKER_LATE: Measure = Measure::ms(
    "yielding_ticker_late_ms",
    "how late it was at most beside the loop that yields every N steps",
);

/// `busy-loop`'s measurements.
pub(super) const MEASURES: &[Measure] = &[TICKER_LATE, YIELDING_TICKER_LATE];

/// One step of the loop: a little arithmetic the compiler cannot skip.
fn step(state: u64) -> u64 {
    (0..1_000).fold(state, |x, i| {
        black_box(x.rotate_left(5) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// Computes for `busy`, in steps; with `yield_every`, hands control back every that
/// many steps. Gives how many steps it made.
async fn compute<R: Runtime>(rt: R, busy: Duration, yield_every: Option<u64>) -> u64 {
    let start = Instant::now();
    let (mut state, mut steps) = (1_u64, 0_u64);
    while start.elapsed() < busy {
        state = step(state);
        steps += 1;
        if yield_every.is_some_and(|n| steps % n == 0) {
            rt.yield_now().await;
        }
    }
    black_box(state);
    steps
}

/// How late a 10 ms ticker got while a task computed for `busy`.
async fn ticker_beside<R: Runtime>(
    lab: &Lab<R>,
    busy: Duration,
    yield_every: Option<u64>,
) -> Duration {
    let task_lab = lab.clone();
    let stop = async move {
        // Give the ticker a moment to start, then start computing.
        task_lab.rt.sleep(ms(20)).await;
        let rt = task_lab.rt.clone();
        let _ = task_lab
            .spawn("busy loop", compute(rt, busy, yield_every))
            .await;
    };
    lab.ticker_lateness(ms(10), stop).await
}

/// The experiment: the loop without awaiting, then with `yield_now` every N steps.
pub async fn busy_loop<R: Runtime>(lab: &Lab<R>, args: &BusyLoop) -> Outcome {
    // The loop's time is CPU time, not a sleep: --time-scale leaves it and the ticker as
    // they are, so that "starved" means the same at every scale.
    let busy = ms(args.busy_ms.get());
    let every = args.yield_every.get();
    let verdict = |late: Duration| {
        if late >= busy.mul_f64(0.5) {
            "the ticker starved until the loop ended"
        } else {
            "the ticker kept its rhythm"
        }
    };
    let late = ticker_beside(lab, busy, None).await;
    lab.out
        .set_measure(TICKER_LATE, late.as_secs_f64() * 1000.0);
    lab.out.line(format!(
        "a task computed for {} without awaiting: {}",
        millis(busy),
        verdict(late)
    ));
    let yielding = ticker_beside(lab, busy, Some(every)).await;
    lab.out
        .set_measure(YIELDING_TICKER_LATE, yielding.as_secs_f64() * 1000.0);
    lab.out.line(format!(
        "the same with yield_now every {every} steps: {}",
        verdict(yielding)
    ));
    lab.out.remark(format!(
        "a 10 ms ticker was at most {} late beside the loop, {} with yield_now every {every} steps (one run each)",
        millis(late),
        millis(yielding)
    ));
    Outcome::default()
}
