//! `forgot-await`: an async call whose future is never awaited. Nothing runs: a future
//! is inert until something polls it (the compiler warns, see the notes' fixture
//! `forgot-await`). The same call awaited, and spawned as a task, for contrast.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Lab, Outcome, ms};
use crate::runtime::Runtime;

/// The async call: it marks `ran` when its body runs.
async fn page_title_stand_in(ran: Arc<AtomicBool>) {
    ran.store(true, Ordering::SeqCst);
}

fn verdict(ran: &AtomicBool) -> &'static str {
    if ran.load(Ordering::SeqCst) {
        "its body ran"
    } else {
        "its body never ran"
    }
}

/// The experiment: the call never awaited, awaited, and spawned.
pub async fn forgot_await<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let ran = Arc::new(AtomicBool::new(false));
    // The mistake, made on purpose: `let _ =` silences the compiler's warning, not
    // clippy's `let_underscore_future`, which catches it.
    #[allow(clippy::let_underscore_future)]
    let _ = page_title_stand_in(ran.clone());
    // However long the runtime gets, nothing polls the future, which is already dropped.
    lab.sleep(ms(50)).await;
    lab.out
        .line(format!("an async call never awaited: {}", verdict(&ran)));

    let ran = Arc::new(AtomicBool::new(false));
    page_title_stand_in(ran.clone()).await;
    lab.out
        .line(format!("the same call awaited: {}", verdict(&ran)));

    let ran = Arc::new(AtomicBool::new(false));
    // A task is polled by the executor whether or not its handle is awaited.
    drop(lab.spawn("spawned, not awaited", page_title_stand_in(ran.clone())));
    // Up to a second (unscaled: a loaded machine may start a thread late) for it to run.
    for _ in 0..100 {
        if ran.load(Ordering::SeqCst) {
            break;
        }
        lab.rt.sleep(ms(10)).await;
    }
    lab.out.line(format!(
        "the same call spawned as a task, its handle never awaited: {}",
        verdict(&ran)
    ));
    Outcome::default()
}
