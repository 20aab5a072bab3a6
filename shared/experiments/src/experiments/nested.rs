//! `nested-block-on`: a task calls `block_on`, the runtime's own and the drop-in's, to wait
//! for another task of the same runtime. Some runtimes refuse with a panic, some block
//! the thread, some work; then the ways that work everywhere.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use futures::channel::oneshot;

use super::{Lab, Outcome};
use crate::book_api;
use crate::runtime::{Runtime, panic_message, spawn_blocking};

/// How long a `block_on` that blocks is left blocked before a thread of its own releases
/// it: the deadline that keeps the experiment from hanging.
const DEADLINE: Duration = Duration::from_secs(1);

/// Who answered the future the nested `block_on` waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Another task of the same runtime, as meant.
    Task,
    /// The deadline thread, because the task could not run.
    DeadlineThread,
}

/// Which `block_on` the task calls, or what it does instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// The runtime's own (`Runtime::block_on`, [`Capabilities::block_on`]).
    ///
    /// [`Capabilities::block_on`]: async_lab_runtime::registry::Capabilities::block_on
    Own,
    /// The drop-in trpl API's `block_on`.
    DropIn,
    /// `.await`, which is what to do inside a task.
    Await,
}

/// A one-shot answer that either a task or the deadline thread gives, whichever comes
/// first.
type Answerer = Arc<Mutex<Option<oneshot::Sender<Answer>>>>;

fn answer(answerer: &Answerer, who: Answer) {
    let sender = answerer
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(sender) = sender {
        let _ = sender.send(who);
    }
}

/// What came of one way of waiting inside a task.
fn describe(result: Result<Result<Answer, oneshot::Canceled>, String>) -> String {
    match result {
        Ok(Ok(Answer::Task)) => "worked: the task it waited for ran meanwhile".into(),
        Ok(Ok(Answer::DeadlineThread)) => format!(
            "blocked its thread: the task it waited for could not run until a deadline thread answered after {} s",
            DEADLINE.as_secs()
        ),
        Ok(Err(_)) => "the answer was dropped".into(),
        Err(message) => format!("panicked: {message}"),
    }
}

/// A task waits, in the way `call` says, for an answer that a second task of the same
/// runtime sends; a plain thread answers instead after [`DEADLINE`], so that a
/// `block_on` that would wait forever is bounded (and said so).
async fn wait_inside_a_task<R: Runtime>(lab: &Lab<R>, call: Call) -> String {
    let (sender, receiver) = oneshot::channel();
    let answerer: Answerer = Arc::new(Mutex::new(Some(sender)));
    let rescuer = answerer.clone();
    let deadline = thread::Builder::new()
        .name("lab-deadline".into())
        .spawn(move || {
            thread::sleep(DEADLINE);
            answer(&rescuer, Answer::DeadlineThread);
        });
    if let Err(e) = deadline {
        return format!("cannot start the deadline thread: {e}");
    }
    let task_lab = lab.clone();
    let waiting = lab.spawn(format!("{call:?} inside a task"), async move {
        // The task that answers is spawned from inside the waiting one, just before it
        // waits: on one thread, it can only run once the waiting task hands the thread
        // back.
        let task_answerer = answerer.clone();
        drop(task_lab.spawn(
            "answer",
            async move { answer(&task_answerer, Answer::Task) },
        ));
        let rt = task_lab.rt.clone();
        match call {
            Call::Own => std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(receiver)))
                .map_err(|payload| panic_message(&*payload)),
            Call::DropIn => {
                std::panic::catch_unwind(AssertUnwindSafe(|| book_api::block_on(&rt, receiver)))
                    .map_err(|payload| panic_message(&*payload))
            }
            Call::Await => Ok(receiver.await),
        }
    });
    match waiting.await {
        Ok(result) => describe(result),
        Err(e) => format!("the task failed: {e}"),
    }
}

/// `spawn_blocking(|| block_on(...))`: the blocking pool's thread is no executor's, so
/// `block_on` may block it.
async fn on_the_blocking_pool<R: Runtime>(lab: &Lab<R>, outcome: &mut Outcome) -> String {
    let Some(pool) = lab.capabilities().blocking.map(|b| b.spawn) else {
        return outcome.not_available("spawn_blocking", lab.rt.configuration());
    };
    let (sender, receiver) = oneshot::channel();
    let task_lab = lab.clone();
    let waiting = async move {
        let rt = task_lab.rt.clone();
        let handle = spawn_blocking(&task_lab.rt, move || {
            std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(receiver)))
                .map_err(|payload| panic_message(&*payload))
        });
        let _ = sender.send(Answer::Task);
        handle.await
    };
    let line = match lab.spawn("spawn_blocking", waiting).await {
        Ok(Ok(result)) => describe(result),
        Ok(Err(e)) | Err(e) => format!("the task failed: {e}"),
    };
    format!("block_on inside {pool}: {line}")
}

/// The experiment: the runtime's own `block_on` and the drop-in's inside a task, then
/// `.await` and `spawn_blocking`, the ways that work.
pub async fn nested_block_on<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    lab.out.remark(
        "tasks call block_on on purpose: a `panic on thread` line is expected where the runtime refuses",
    );
    let own = lab.capabilities().block_on;
    for (call, what) in [
        (Call::Own, format!("{own} inside a task")),
        (
            Call::DropIn,
            "the drop-in block_on inside a task".to_string(),
        ),
        (Call::Await, ".await inside a task instead".to_string()),
    ] {
        let line = wait_inside_a_task(lab, call).await;
        lab.out.line(format!("{what}: {line}"));
    }
    let line = on_the_blocking_pool(lab, &mut outcome).await;
    lab.out.line(line);
    outcome
}
