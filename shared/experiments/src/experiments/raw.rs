//! `drop-handle` and `panic`: each runtime's own spawn, with none of this lab's wrapping,
//! so the differences that the trpl-compatible API hides are seen.

use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::thread;
use std::time::Duration;

use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::{Either, select};

use super::{Lab, Measure, Outcome, ms};
use crate::runtime::{Runtime, panic_message};
use async_lab_runtime::registry::PanicOnAwait;

const FINISHED: Measure = Measure::flag(
    "finished",
    "1 if the task finished after its handle was dropped (dropping detaches), 0 if not",
);

/// `drop-handle`'s measurements (`panic` has none).
pub(super) const DROP_HANDLE_MEASURES: &[Measure] = &[FINISHED];

/// A task that would finish after 50 ms is spawned with the runtime's own API and its
/// handle dropped at once. Did it finish?
pub async fn drop_handle<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let (done, finished) = oneshot::channel();
    let task_lab = lab.clone();
    let handle = lab.rt.spawn_raw(Box::pin(async move {
        task_lab.sleep(ms(50)).await;
        let _ = done.send(());
    }));
    drop(handle);
    let api = lab.capabilities().raw_spawn;
    match select(finished, pin!(lab.sleep(ms(1_000)))).await {
        Either::Left((Ok(()), _)) => {
            lab.out.line(format!(
                "{api}: the task finished after its handle was dropped: dropping detaches"
            ));
            lab.out.set_measure(FINISHED, 1.0);
        }
        _ => {
            lab.out.line(format!(
                "{api}: the task never finished after its handle was dropped: dropping cancels"
            ));
            lab.out.set_measure(FINISHED, 0.0);
        }
    }
    Outcome::default()
}

/// A task spawned with the runtime's own API panics; the main future awaits its handle.
/// Where the registry says the panic unwinds out of `block_on` (monoio's tasks run with no
/// `catch_unwind`), that is done in a new runtime's `block_on` on a thread of its own, so
/// that what the panic tears down is that `block_on`, which the thread sees, and not the
/// run's.
pub async fn panic<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    lab.out
        .remark("a spawned task panics on purpose: the `panic on thread` line is expected");
    let limit = lab.scaled(ms(2_000));
    let line = if lab.capabilities().panic == PanicOnAwait::TearsDownBlockOn {
        match on_a_thread_of_its_own(lab, limit).await {
            Ok(line) => line,
            Err(why) => {
                outcome.fail(why);
                return outcome;
            }
        }
    } else {
        await_a_panicking_task(&lab.rt, limit).await
    };
    lab.out.line(line);
    lab.out.line("the process goes on after the panic");
    outcome
}

/// Spawns a task that panics with `rt`'s own spawn and awaits its handle (for `limit` at
/// most): what came back, in a line.
async fn await_a_panicking_task<R: Runtime>(rt: &R, limit: Duration) -> String {
    let api = rt.configuration().capabilities.raw_spawn;
    let handle = rt.spawn_raw(Box::pin(async { panic!("a task panicked on purpose") }));
    let awaited = AssertUnwindSafe(handle).catch_unwind();
    match select(pin!(awaited), pin!(rt.sleep(limit))).await {
        Either::Left((Ok(Ok(_)), _)) => {
            format!("{api}: awaiting the handle said the task finished")
        }
        Either::Left((Ok(Err(error)), _)) => {
            format!("{api}: awaiting the handle gave an error: {error}")
        }
        Either::Left((Err(payload), _)) => {
            format!(
                "{api}: awaiting the handle carried the panic into the awaiting task: {}",
                panic_message(&*payload)
            )
        }
        Either::Right(_) => format!(
            "{api}: awaiting the handle never finished: the panic took the task's result with it"
        ),
    }
}

/// [`await_a_panicking_task`] in a new runtime's `block_on`, on a thread of its own that
/// catches what unwinds out of it.
async fn on_a_thread_of_its_own<R: Runtime>(
    lab: &Lab<R>,
    limit: Duration,
) -> Result<String, String> {
    let configuration = lab.rt.configuration();
    let (api, block_on) = (
        configuration.capabilities.raw_spawn,
        configuration.capabilities.block_on,
    );
    let flavor = lab.rt.flavor();
    let (sender, receiver) = oneshot::channel();
    let started = thread::Builder::new()
        .name("panic-main".into())
        .spawn(move || {
            let line = R::new(flavor, None).map_err(|e| e.to_string()).map(|rt| {
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    rt.block_on(await_a_panicking_task(&rt, limit))
                }))
                .unwrap_or_else(|payload| {
                    format!(
                        "{api}: awaiting the handle never came back: the panic unwound out of {block_on}, ending the main future with it: {}",
                        panic_message(&*payload)
                    )
                })
            });
            let _ = sender.send(line);
        })
        .map_err(|e| format!("cannot start the thread: {e}"))?;
    let line = receiver
        .await
        .map_err(|_| "the thread ended without an answer".to_string())?;
    // It has answered and is ending: wait for it, so that it is gone from the census.
    let _ = started.join();
    line
}
