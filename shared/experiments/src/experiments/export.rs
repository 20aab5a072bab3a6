//! `export`: the chapter's video export, CPU-bound work, run three ways while an IO-bound
//! ticker tries to keep a 10 ms rhythm: inline on the executor (one task a frame), on the
//! runtime's `spawn_blocking` pool, and on a dedicated OS thread. How late the ticker ran
//! shows which way leaves the executor free.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use futures::channel::oneshot;

use super::{Lab, Measure, Outcome, millis, ms};
use crate::progress::Progress;
use crate::runtime::{self, Runtime, TaskError};

const EXECUTOR: Measure = Measure::ms(
    "executor_ms",
    "every frame on the executor, a task each: the whole export",
);
const EXECUTOR_TICKER_LATE: Measure = Measure::ms(
    "executor_ticker_late_ms",
    "how late the 10 ms ticker was at most meanwhile",
);
const SPAWN_BLOCKING: Measure = Measure::ms(
    "spawn_blocking_ms",
    "every frame on the runtime's spawn_blocking pool: the whole export",
);
const SPAWN_BLOCKING_TICKER_LATE: Measure = Measure::ms(
    "spawn_blocking_ticker_late_ms",
    "how late the 10 ms ticker was at most meanwhile",
);
const THREAD: Measure = Measure::ms(
    "thread_ms",
    "every frame on a dedicated thread: the whole export",
);
const THREAD_TICKER_LATE: Measure = Measure::ms(
    "thread_ticker_late_ms",
    "how late the 10 ms ticker was at most meanwhile",
);

/// `export`'s measurements.
pub(super) const MEASURES: &[Measure] = &[
    EXECUTOR,
    EXECUTOR_TICKER_LATE,
    SPAWN_BLOCKING,
    SPAWN_BLOCKING_TICKER_LATE,
    THREAD,
    THREAD_TICKER_LATE,
];

/// Where the frames are computed.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// On the executor, one task a frame.
    Executor,
    /// On the runtime's `spawn_blocking` pool.
    SpawnBlocking,
    /// On a dedicated OS thread.
    Thread,
}

impl Way {
    /// Its name in the remarks.
    fn name(self) -> &'static str {
        match self {
            Way::Executor => "executor",
            Way::SpawnBlocking => "spawn_blocking",
            Way::Thread => "thread",
        }
    }

    /// How long the export took this way, and how late the ticker was meanwhile.
    fn measures(self) -> [Measure; 2] {
        match self {
            Way::Executor => [EXECUTOR, EXECUTOR_TICKER_LATE],
            Way::SpawnBlocking => [SPAWN_BLOCKING, SPAWN_BLOCKING_TICKER_LATE],
            Way::Thread => [THREAD, THREAD_TICKER_LATE],
        }
    }
}

/// One "frame": a fixed amount of pure computation, never awaiting. A fixed amount, not a
/// fixed time, so that frames that share a core take longer, as real work would.
fn render_frame(iterations: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..iterations {
        x = black_box(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
    x
}

/// How many iterations of [`render_frame`] take `duration` on one core of this machine.
fn calibrate(duration: Duration) -> u64 {
    let probe = 1_000_000;
    let start = Instant::now();
    black_box(render_frame(probe));
    let per_iteration = start.elapsed().as_secs_f64() / probe as f64;
    (duration.as_secs_f64() / per_iteration.max(1e-12))
        .round()
        .max(1.0) as u64
}

/// Awaits every frame's handle; the first error, if any.
async fn await_all(
    handles: Vec<impl Future<Output = Result<(), TaskError>>>,
) -> Result<(), TaskError> {
    for handle in handles {
        handle.await?;
    }
    Ok(())
}

/// Runs `work`, the frames computed `way`, beside the ticker, and records how it went.
async fn measure<R: Runtime>(
    lab: &Lab<R>,
    way: Way,
    work: impl Future<Output = Result<(), TaskError>>,
) -> Result<(), TaskError> {
    let started = Instant::now();
    let mut result = Ok(());
    let late = lab
        .ticker_lateness(ms(10), async { result = work.await })
        .await;
    let took = started.elapsed();
    // A way this runtime does not have (no spawn_blocking) took no time: it has no figure
    // (the table shows "-"), not a zero.
    if result.is_ok() {
        let [took_measure, late_measure] = way.measures();
        lab.out
            .set_measure(took_measure, took.as_secs_f64() * 1000.0);
        lab.out
            .set_measure(late_measure, late.as_secs_f64() * 1000.0);
        lab.out.remark(format!(
            "{}: {} in all; the 10 ms ticker was at most {} late (one run)",
            way.name(),
            millis(took),
            millis(late)
        ));
    }
    result
}

/// Runs `frames` frames of `frame_ms` (scaled) CPU time each, three ways.
pub async fn export<R: Runtime>(lab: &Lab<R>, frames: usize, frame_ms: u64) -> Outcome {
    let frame = calibrate(lab.scaled(ms(frame_ms)));
    let progress = Progress::new(3 * frames as u64, "export", lab.out.is_echoing());
    let mut outcome = Outcome::default();

    let on_executor = async {
        let handles: Vec<_> = (0..frames)
            .map(|i| {
                let progress = progress.clone();
                lab.spawn(format!("frame {}", i + 1), async move {
                    render_frame(frame);
                    progress.advance();
                })
            })
            .collect();
        await_all(handles).await
    };
    match measure(lab, Way::Executor, on_executor).await {
        Ok(()) => lab.out.line(format!(
            "exported {frames} frames on the executor, one task a frame"
        )),
        Err(e) => outcome.fail(format!("the executor export failed: {e}")),
    }

    let on_blocking_pool = async {
        let handles: Vec<_> = (0..frames)
            .map(|_| {
                let progress = progress.clone();
                runtime::spawn_blocking(&lab.rt, move || {
                    render_frame(frame);
                    progress.advance();
                })
            })
            .collect();
        await_all(handles).await
    };
    match measure(lab, Way::SpawnBlocking, on_blocking_pool).await {
        Ok(()) => lab
            .out
            .line(format!("exported {frames} frames on spawn_blocking")),
        Err(TaskError::Unsupported(_)) => {
            let line = outcome.not_available("spawn_blocking", lab.rt.configuration());
            lab.out.line(line);
        }
        Err(e) => outcome.fail(format!("the spawn_blocking export failed: {e}")),
    }

    let on_thread = async {
        let (done, finished) = oneshot::channel();
        let thread_progress = progress.clone();
        std::thread::Builder::new()
            .name("export-thread".into())
            .spawn(move || {
                for _ in 0..frames {
                    render_frame(frame);
                    thread_progress.advance();
                }
                let _ = done.send(());
            })
            .map_err(|e| TaskError::SpawnFailed(e.to_string()))?;
        finished.await.map_err(|_| TaskError::Cancelled)
    };
    match measure(lab, Way::Thread, on_thread).await {
        Ok(()) => lab
            .out
            .line(format!("exported {frames} frames on a dedicated thread")),
        Err(e) => outcome.fail(format!("the dedicated-thread export failed: {e}")),
    }
    progress.finish();
    outcome
}
