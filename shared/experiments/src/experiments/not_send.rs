//! `not-send`: a task that holds an `Rc` across an `.await` is not `Send`. The runtime's
//! own spawn needs `Send` everywhere (the compiler's refusal is in the notes, from
//! `book-notes/fixtures/not-send`); the local spawns (tokio's `spawn_local` in a
//! `LocalSet`, smol's `LocalExecutor`, the futures crate's `LocalPool`, each called through
//! `Executor::spawn_local`) take it, and run it on the thread that spawned it. Then the fix that works with every spawn: the `Rc`
//! dropped before the `.await`.

use std::rc::Rc;
use std::thread;

use super::{Lab, Outcome, ms};
use crate::runtime::{Runtime, TaskError};

/// The task that is not `Send`: an `Rc` alive across an `.await`. It tells whether it
/// ran on `spawner`'s thread.
async fn rc_across_an_await<R: Runtime>(lab: Lab<R>, spawner: thread::ThreadId) -> bool {
    let shared = Rc::new(thread::current().id());
    lab.sleep(ms(1)).await;
    *shared == spawner && thread::current().id() == spawner
}

/// The experiment: the local spawn where there is one, then the fix with the lab's spawn.
pub async fn not_send<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let capabilities = lab.capabilities();
    let line = match capabilities.local_spawn {
        Some(local) => {
            let task_lab = lab.clone();
            let here = thread::current().id();
            match lab.rt.spawn_local(rc_across_an_await(task_lab, here)).await {
                Ok(true) => format!(
                    "{} took a task holding an Rc across an .await, and ran it on the thread that spawned it",
                    local.name
                ),
                Ok(false) => format!("{} took the task, and ran it on another thread", local.name),
                Err(TaskError::Cancelled) => {
                    format!("{} took the task, which never finished", local.name)
                }
                Err(e) => {
                    let line = format!("{} refused the task: {e}", local.name);
                    outcome.fail(line.clone());
                    line
                }
            }
        }
        None => format!(
            "no local spawn here: {} needs a Send task, and the compiler refuses one holding an Rc across an .await",
            capabilities.raw_spawn
        ),
    };
    lab.out.line(line);

    let task_lab = lab.clone();
    let fixed = lab.spawn("Rc dropped before the .await", async move {
        // The `Rc` lives in a block that ends before the `.await`: the future never
        // holds it, so it is `Send`.
        let count = {
            let shared = Rc::new(1);
            Rc::strong_count(&shared)
        };
        task_lab.sleep(ms(1)).await;
        count
    });
    lab.out.line(match fixed.await {
        Ok(_) => "the Rc dropped before the .await: every spawn takes the task".to_string(),
        Err(e) => format!("the Rc dropped before the .await: the task failed: {e}"),
    });
    outcome
}
