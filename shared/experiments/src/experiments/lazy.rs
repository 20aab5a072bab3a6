//! `lazy`: a future does nothing until something polls it (17.1), while a spawned task and
//! a spawned thread start without anyone waiting for them.
//!
//! An async block is created and left alone while the runtime runs other things: its body
//! has not run; awaited, it runs. Another is created and dropped unpolled: its body never
//! runs. Then `spawn_task` and `std::thread::spawn`: main goes on without awaiting, and
//! the body runs anyway, before main awaits the handle or joins the thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Lab, Outcome, ms};
use crate::runtime::Runtime;

/// "its body ran" or "its body has not run".
fn verdict(ran: &AtomicBool) -> &'static str {
    if ran.load(Ordering::SeqCst) {
        "its body ran"
    } else {
        "its body has not run"
    }
}

/// Waits, on the runtime's timer, up to a second (unscaled: a loaded machine may start a
/// thread late) for `ran` to be set.
async fn wait_for<R: Runtime>(lab: &Lab<R>, ran: &AtomicBool) {
    for _ in 0..100 {
        if ran.load(Ordering::SeqCst) {
            return;
        }
        lab.rt.sleep(ms(10)).await;
    }
}

/// The experiment: an async block left alone, awaited, dropped; a task; a thread.
pub async fn lazy<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();

    let ran = AtomicBool::new(false);
    let block = async {
        ran.store(true, Ordering::SeqCst);
        lab.out
            .line("the async block's body runs, on its first poll");
    };
    // The runtime gets 50 ms (scaled) to do whatever it does; nothing polls the block.
    lab.sleep(ms(50)).await;
    lab.out.line(format!(
        "an async block, created and left alone while main slept: {}",
        verdict(&ran)
    ));
    block.await;
    lab.out
        .line(format!("the same block, awaited: {}", verdict(&ran)));

    let ran = AtomicBool::new(false);
    let block = async {
        ran.store(true, Ordering::SeqCst);
        lab.out.line("the dropped async block's body runs");
    };
    lab.sleep(ms(50)).await;
    drop(block);
    lab.out.line(format!(
        "another async block, created and dropped without a poll: {}",
        verdict(&ran).replace("has not run", "never ran")
    ));

    // A task: the executor polls it, whoever awaits its handle, and whenever.
    let ran = Arc::new(AtomicBool::new(false));
    lab.out
        .line("spawn_task called; main goes on without awaiting the handle");
    let (task_ran, task_lab) = (ran.clone(), lab.clone());
    let handle = lab.spawn("spawned at once", async move {
        task_ran.store(true, Ordering::SeqCst);
        task_lab.out.line("the spawned task's body runs");
    });
    wait_for(lab, &ran).await;
    lab.out.line(format!(
        "main awaits the task's handle now: {} already",
        verdict(&ran)
    ));
    if let Err(e) = handle.await {
        outcome.fail(format!("the spawned task: {e}"));
    }

    // A thread: the OS runs it at once, beside everything else.
    let ran = Arc::new(AtomicBool::new(false));
    lab.out
        .line("thread::spawn called; main goes on without joining the thread");
    let (thread_ran, thread_out) = (ran.clone(), lab.out.clone());
    let thread = std::thread::Builder::new()
        .name("lazy-thread".into())
        .spawn(move || {
            thread_ran.store(true, Ordering::SeqCst);
            thread_out.line("the thread's body runs");
        });
    match thread {
        Ok(thread) => {
            wait_for(lab, &ran).await;
            lab.out.line(format!(
                "main joins the thread now: {} already",
                verdict(&ran)
            ));
            if thread.join().is_err() {
                outcome.fail("the thread panicked");
            }
        }
        Err(e) => outcome.fail(format!("cannot start a thread: {e}")),
    }
    outcome
}
