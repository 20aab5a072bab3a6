//! `drop-handle` and `panic`: each runtime's own spawn, with none of this lab's wrapping,
//! so the differences that the trpl-compatible API hides are seen.

use std::panic::AssertUnwindSafe;
use std::pin::pin;

use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::{Either, select};

use super::{Lab, Measure, Outcome, ms};
use crate::runtime::{Runtime, panic_message};

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
pub async fn panic<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let api = lab.capabilities().raw_spawn;
    lab.out
        .remark("a spawned task panics on purpose: the `panic on thread` line is expected");
    let handle = lab
        .rt
        .spawn_raw(Box::pin(async { panic!("a task panicked on purpose") }));
    let awaited = AssertUnwindSafe(handle).catch_unwind();
    let line = match select(pin!(awaited), pin!(lab.sleep(ms(2_000)))).await {
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
    };
    lab.out.line(line);
    lab.out.line("the process goes on after the panic");
    Outcome::default()
}
