//! `spawn`, `spawn-await` and `join`: listings 17-6, 17-7 and 17-8.

use super::{Lab, Outcome, ms};
use crate::runtime::Runtime;

/// Listing 17-6 (and 17-7 with `await_handle`): a spawned task counts to 9 while the main
/// future counts to 4, both sleeping 500 ms a step. Without awaiting the handle, the task
/// stops when the main future ends, part way.
pub async fn spawn<R: Runtime>(lab: &Lab<R>, await_handle: bool) -> Outcome {
    let task_lab = lab.clone();
    let handle = lab.spawn("first task", async move {
        for i in 1..10 {
            task_lab
                .out
                .line(format!("hi number {i} from the first task!"));
            task_lab.sleep(ms(500)).await;
        }
    });
    for i in 1..5 {
        lab.out.line(format!("hi number {i} from the second task!"));
        lab.sleep(ms(500)).await;
    }
    let mut outcome = Outcome::default();
    if await_handle {
        if let Err(e) = handle.await {
            outcome.fail(format!("the first task: {e}"));
        }
    } else {
        lab.out
            .part("the main future ends here; the spawned task stops when block_on returns (a line it prints until then may follow) and never counts to 9");
    }
    outcome
}

/// Listing 17-8: the same two loops as futures joined with `join`, no task spawned. `join`
/// polls them in a fixed order each time, so they take turns exactly.
pub async fn join<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let first = async {
        for i in 1..10 {
            lab.out.line(format!("hi number {i} from the first task!"));
            lab.sleep(ms(500)).await;
        }
    };
    let second = async {
        for i in 1..5 {
            lab.out.line(format!("hi number {i} from the second task!"));
            lab.sleep(ms(500)).await;
        }
    };
    crate::book_api::join(first, second).await;
    Outcome::default()
}
