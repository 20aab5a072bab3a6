//! `scoped`: a task that borrows a local. Every runtime's spawn takes only `'static`
//! tasks, since the task may outlive the function that spawned it: the compiler refuses a
//! borrowing one (`book-notes/fixtures/scoped`, whose error the notes show). What works
//! instead: futures joined in place (`join_all`), which borrow freely because they end
//! before the local; an executor that lives shorter than the local (smol's `Executor<'a>`
//! and `LocalExecutor<'a>`), or `std::thread::scope` for threads; and an `Arc` that each
//! task owns a clone of.

use std::sync::Arc;
use std::thread;

use futures::future::join_all;

use super::{Lab, Outcome, ms};
use crate::runtime::Runtime;
use async_lab_runtime::registry::{Scope, ScopedSpawn};

/// How many parts the local is summed in, each by a future, task or thread of its own.
const PARTS: usize = 4;

/// The experiment.
pub async fn scoped<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let capabilities = lab.capabilities();
    let configuration = lab.rt.configuration();
    let local: Vec<u64> = (1..=100).collect();
    let expected: u64 = local.iter().sum();
    let parts: Vec<&[u64]> = local.chunks(local.len() / PARTS).collect();

    lab.out.line(format!(
        "{} takes only 'static tasks: one that borrows a local does not compile",
        capabilities.raw_spawn
    ));

    // Futures joined in place borrow the local: they end before it does.
    let sums = join_all(parts.iter().map(|part| async move {
        lab.sleep(ms(1)).await;
        part.iter().sum::<u64>()
    }))
    .await;
    lab.out.line(format!(
        "join_all over {PARTS} futures that borrow the local: they summed it to {}",
        sums.iter().sum::<u64>()
    ));

    let line = match capabilities.scoped_spawn {
        None => format!(
            "no scoped spawn on {} ({}): join_all, or an Arc, instead",
            configuration.runtime, configuration.flavor
        ),
        Some(
            how @ ScopedSpawn {
                how: Scope::Executor,
                ..
            },
        ) => {
            let executor = async_executor::Executor::new();
            let tasks: Vec<_> = parts
                .iter()
                .map(|part| {
                    executor.spawn(async move {
                        lab.sleep(ms(1)).await;
                        part.iter().sum::<u64>()
                    })
                })
                .collect();
            let sum: u64 = executor.run(join_all(tasks)).await.iter().sum();
            format!(
                "{}, living shorter than the local: its tasks borrowed it and summed it to {sum}",
                how.name
            )
        }
        Some(
            how @ ScopedSpawn {
                how: Scope::LocalExecutor,
                ..
            },
        ) => {
            let sum = local_executor_sum(lab, &parts).await;
            format!(
                "{}, living shorter than the local: its tasks borrowed it and summed it to {sum}",
                how.name
            )
        }
        Some(
            how @ ScopedSpawn {
                how: Scope::Threads,
                ..
            },
        ) => {
            // It blocks the calling thread until its threads end: here that thread is
            // the task's own.
            let sum: u64 = thread::scope(|scope| {
                let threads: Vec<_> = parts
                    .iter()
                    .map(|part| scope.spawn(move || part.iter().sum::<u64>()))
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
            });
            format!(
                "{}: its threads borrowed the local and summed it to {sum}",
                how.name
            )
        }
    };
    lab.out.line(line);

    // An Arc: each task owns a clone, so the task is 'static.
    let shared = Arc::new(local.clone());
    let tasks: Vec<_> = (0..PARTS)
        .map(|i| {
            let (shared, task_lab) = (shared.clone(), lab.clone());
            lab.spawn(format!("Arc part {i}"), async move {
                task_lab.sleep(ms(1)).await;
                let size = shared.len() / PARTS;
                shared[i * size..(i + 1) * size].iter().sum::<u64>()
            })
        })
        .collect();
    let mut sum = 0;
    for result in join_all(tasks).await {
        match result {
            Ok(part) => sum += part,
            Err(e) => outcome.fail(format!("an Arc task failed: {e}")),
        }
    }
    lab.out.line(format!(
        "an Arc cloned into each of {PARTS} spawned tasks: they summed it to {sum}"
    ));
    if sum != expected {
        outcome.fail(format!("the sum is {sum}, not {expected}"));
    }
    outcome
}

/// The parts summed by tasks of a `LocalExecutor` that borrows them.
async fn local_executor_sum<R: Runtime>(lab: &Lab<R>, parts: &[&[u64]]) -> u64 {
    let executor = async_executor::LocalExecutor::new();
    let tasks: Vec<_> = parts
        .iter()
        .map(|part| {
            executor.spawn(async move {
                lab.sleep(ms(1)).await;
                part.iter().sum::<u64>()
            })
        })
        .collect();
    executor.run(join_all(tasks)).await.iter().sum()
}
