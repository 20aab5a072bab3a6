//! What the tracing wrapper costs, on two runtimes: tokio (current-thread) and smol (a
//! `LocalExecutor`), both on one thread so the numbers are the wrapper's, not the
//! scheduler's noise.
//!
//! Run with `cargo bench --bench trace_overhead`.
//!
//! Two workloads, after tokio's own benches:
//! - `spawn_join`: spawn 100,000 empty tasks, then join every one (the wrapper's cost at
//!   creation: with tracing on, a name and a registration per task);
//! - `yield_many`: one task that yields 1,000,000 times (the cost per poll).
//!
//! Each in three modes: `bare` (not wrapped), `off` (wrapped, tracing off) and `on`
//! (wrapped, tracing on). The targets: `off` within 2% of `bare`; `on` at most 30 ns a
//! poll more than `bare` (issue #9: `yield_many`'s `on` minus `bare`, over 1,000,000). This is regression testing of the wrapper, not a comparison
//! of runtimes: both run on one thread, far from how they are used in anger.

#![allow(clippy::unwrap_used)] // A benchmark that cannot build its runtime has nothing to say.

use std::future::Future;

use async_lab_experiments::trace;
use divan::Bencher;

fn main() {
    divan::main();
}

const TASKS: usize = 100_000;
const STEPS: usize = 1_000_000;
const MODES: [&str; 3] = ["bare", "off", "on"];

/// Sets tracing for `mode` and forgets the tasks of earlier rounds; true when the task
/// futures are to be wrapped.
fn prepare(mode: &str) -> bool {
    trace::clear();
    if mode == "on" {
        trace::enable();
    } else {
        trace::disable();
    }
    mode != "bare"
}

async fn yield_many<Y: Future<Output = ()>>(yield_now: impl Fn() -> Y) {
    for _ in 0..STEPS {
        yield_now().await;
    }
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[divan::bench(args = MODES, sample_count = 15)]
fn tokio_spawn_join(bencher: Bencher, mode: &str) {
    let rt = tokio();
    bencher
        .with_inputs(|| prepare(mode))
        .bench_local_values(|wrap| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|_| {
                        if wrap {
                            tokio::spawn(trace::traced("task", async {}))
                        } else {
                            tokio::spawn(async {})
                        }
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        });
}

#[divan::bench(args = MODES, sample_count = 15)]
fn tokio_yield_many(bencher: Bencher, mode: &str) {
    let rt = tokio();
    bencher
        .with_inputs(|| prepare(mode))
        .bench_local_values(|wrap| {
            let task = yield_many(tokio::task::yield_now);
            if wrap {
                rt.block_on(trace::traced("yield_many", task));
            } else {
                rt.block_on(task);
            }
        });
}

#[divan::bench(args = MODES, sample_count = 15)]
fn smol_spawn_join(bencher: Bencher, mode: &str) {
    let ex = smol::LocalExecutor::new();
    bencher
        .with_inputs(|| prepare(mode))
        .bench_local_values(|wrap| {
            smol::block_on(ex.run(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|_| {
                        if wrap {
                            ex.spawn(trace::traced("task", async {}))
                        } else {
                            ex.spawn(async {})
                        }
                    })
                    .collect();
                for handle in handles {
                    handle.await;
                }
            }))
        });
}

#[divan::bench(args = MODES, sample_count = 15)]
fn smol_yield_many(bencher: Bencher, mode: &str) {
    let ex = smol::LocalExecutor::new();
    bencher
        .with_inputs(|| prepare(mode))
        .bench_local_values(|wrap| {
            let task = yield_many(smol::future::yield_now);
            if wrap {
                smol::block_on(ex.run(trace::traced("yield_many", task)));
            } else {
                smol::block_on(ex.run(task));
            }
        });
}
