//! What the drop-in `trpl` API (`book_api`) costs over each runtime's own API, measured
//! in one process so that both sides see the same machine at the same moment.
//!
//! Run with `cargo bench --bench facade_overhead`.
//!
//! Workloads, after tokio's own benches:
//! - `spawn_await_*`: spawn 100,000 empty tasks, then await every handle. `raw` is the
//!   runtime's own spawn inside its own `block_on`; `drop-in` is `book_api::spawn_task`
//!   inside `book_api::block_on` (a scope, the tracing wrapper with tracing off, the
//!   runtime's handle). One runtime per configuration, built once, used by both. The
//!   loop runs in a task spawned the same way (as tokio's `spawn_many_local`), so the
//!   spawns go to an executor thread's own queue: from the `block_on` thread, a spawn on
//!   a multi-thread runtime may wake a parked worker, and that system call, the same on
//!   both sides, would hide what the drop-in layer costs.
//! - `block_on_trpl`: `block_on(async {})`, trpl's own against runtime-trpl's (a fresh
//!   multi-thread tokio runtime each time, on both sides, plus the drop-in's scope).
//!
//! The targets (issue #9): `drop-in` at most 1.5× `raw` (aim: 1.1×); runtime-trpl's
//! `block_on` at most 1.2× trpl's. The per-poll cost of tracing is in `trace_overhead`.
//! This is regression testing of the drop-in layer, not a comparison of runtimes: empty
//! tasks show what a spawn costs, not how a runtime schedules real work.

#![allow(clippy::unwrap_used)] // A benchmark that cannot build its runtime has nothing to say.

use std::future::Future;

use async_lab_experiments::book_api;
use async_lab_experiments::runtime::Executor;
use divan::Bencher;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

fn main() {
    async_lab_experiments::trace::disable();
    divan::main();
}

const TASKS: usize = 100_000;
const SIDES: [&str; 2] = ["raw", "drop-in"];

/// Spawns `TASKS` tasks with `spawn` (which starts a task and gives its handle), then
/// awaits every handle.
async fn spawn_await<H: Future>(spawn: impl Fn() -> H) {
    let handles: Vec<H> = (0..TASKS).map(|_| spawn()).collect();
    for handle in handles {
        handle.await;
    }
}

/// The `drop-in` side: inside `book_api::block_on`, a task started by
/// `book_api::spawn_task` spawns the empty tasks with it and awaits them.
fn drop_in<R: Executor>(bencher: Bencher, rt: &R) {
    bencher.bench_local(|| {
        book_api::block_on(rt, async {
            let spawner = rt.clone();
            let looping = async move {
                spawn_await(|| book_api::spawn_task(&spawner, async {})).await;
            };
            book_api::spawn_task(rt, looping).await.unwrap();
        })
    });
}

#[divan::bench(args = SIDES, sample_count = 15)]
fn spawn_await_tokio_multi_thread(bencher: Bencher, side: &str) {
    let rt = runtime_tokio::Tokio::new(runtime_tokio::Flavor::MultiThread, None).unwrap();
    if side == "raw" {
        bencher.bench_local(|| {
            rt.block_on(async {
                let looping = spawn_await(|| tokio::spawn(async {}));
                tokio::spawn(looping).await.unwrap();
            })
        });
    } else {
        drop_in(bencher, &rt);
    }
}

#[divan::bench(args = SIDES, sample_count = 15)]
fn spawn_await_tokio_current_thread(bencher: Bencher, side: &str) {
    let rt = runtime_tokio::Tokio::new(runtime_tokio::Flavor::CurrentThread, None).unwrap();
    if side == "raw" {
        bencher.bench_local(|| {
            rt.block_on(async {
                let looping = spawn_await(|| tokio::spawn(async {}));
                tokio::spawn(looping).await.unwrap();
            })
        });
    } else {
        drop_in(bencher, &rt);
    }
}

#[divan::bench(args = SIDES, sample_count = 15)]
fn spawn_await_smol(bencher: Bencher, side: &str) {
    let rt = runtime_smol::Smol::new(runtime_smol::Flavor::Global, None).unwrap();
    if side == "raw" {
        bencher.bench_local(|| {
            rt.block_on(async {
                let looping = spawn_await(|| smol::spawn(async {}));
                smol::spawn(looping).await;
            })
        });
    } else {
        drop_in(bencher, &rt);
    }
}

#[divan::bench(args = SIDES, sample_count = 15)]
fn spawn_await_futures_local_pool(bencher: Bencher, side: &str) {
    if side == "raw" {
        // runtime-futures keeps its pool's spawner to itself: the same setup, by hand.
        bencher.bench_local(|| {
            let mut pool = LocalPool::new();
            let spawner = pool.spawner();
            let inner = spawner.clone();
            let looping = spawn_await(move || inner.spawn_local_with_handle(async {}).unwrap());
            pool.run_until(spawner.spawn_local_with_handle(looping).unwrap());
        });
    } else {
        drop_in(
            bencher,
            &runtime_futures::Futures::new(runtime_futures::Flavor::LocalPool, None).unwrap(),
        );
    }
}

#[divan::bench(args = SIDES, sample_count = 15)]
fn spawn_await_trpl(bencher: Bencher, side: &str) {
    let rt = runtime_trpl::Trpl::new(runtime_trpl::Flavor::Trpl, None).unwrap();
    if side == "raw" {
        bencher.bench_local(|| {
            rt.block_on(async {
                let looping = spawn_await(|| trpl::spawn_task(async {}));
                trpl::spawn_task(looping).await.unwrap();
            })
        });
    } else {
        drop_in(bencher, &rt);
    }
}

#[divan::bench(args = SIDES, sample_count = 50)]
fn block_on_trpl(bencher: Bencher, side: &str) {
    let rt = runtime_trpl::Trpl::new(runtime_trpl::Flavor::Trpl, None).unwrap();
    if side == "raw" {
        bencher.bench_local(|| trpl::block_on(async {}));
    } else {
        bencher.bench_local(|| book_api::block_on(&rt, async {}));
    }
}
