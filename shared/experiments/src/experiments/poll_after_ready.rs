//! `poll-after-ready`: a future polled once more after it returned `Ready` (17.5). The
//! `Future` trait leaves that to each future ("may panic, block forever, or cause other
//! kinds of problems", `std::future::Future::poll`), so each does its own thing: an
//! `async` block's state machine panics with the compiler's words, most combinators panic
//! with their own, a runtime's join handle does what its crate chose, and
//! `FutureExt::fuse` returns `Pending` forever: the fix, for a loop that polls a future
//! again.
//!
//! Each future is polled by hand with a waker that does nothing (`Waker::noop`), or
//! awaited where it is a task's handle, until `Ready`; then polled once more, inside
//! `catch_unwind`. Its line says what that second poll did. The panics are on purpose:
//! [`catch_expected_panic`] keeps the binary's panic hook quiet for them.

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use futures::FutureExt as _;
use futures::channel::oneshot::Canceled;

use super::{Lab, Outcome};
use crate::book_api;
use crate::cli::catch_expected_panic;
use crate::escape;
use crate::runtime::{Runtime, panic_message};
use async_lab_runtime::registry::PollsOn;

/// What one poll did; a panic as the line words it.
enum Polled<T> {
    Ready(T),
    Pending,
    Panicked(String),
}

/// A caught panic in the line's words: its message, or what else its payload was. The
/// futures crate's `RemoteHandle` resumes the `oneshot::Canceled` of its channel as the
/// payload (`resume_unwind`), not a message.
fn panicked(payload: &(dyn Any + Send)) -> String {
    match payload.downcast_ref::<Canceled>() {
        Some(canceled) => format!(
            "panicked with a futures::channel::oneshot::Canceled (\"{canceled}\") as its payload"
        ),
        None => format!(
            "panicked with \"{}\"",
            escape::inline(&panic_message(payload))
        ),
    }
}

/// Polls `future` once, with a waker that does nothing, catching a panic.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Polled<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match catch_expected_panic(|| future.poll(&mut cx)) {
        Ok(Poll::Ready(output)) => Polled::Ready(output),
        Ok(Poll::Pending) => Polled::Pending,
        Err(payload) => Polled::Panicked(panicked(&*payload)),
    }
}

/// What the second poll did, in the line's words; `ready` says what a `Ready` held.
fn said<T>(polled: Polled<T>, ready: impl FnOnce(T) -> String) -> String {
    match polled {
        Polled::Panicked(panicked) => panicked,
        Polled::Pending => "returned Pending".into(),
        Polled::Ready(output) => format!("returned Ready again{}", ready(output)),
    }
}

/// What a handle's `Ready` held: its task's output, or the error it gave.
fn result<T, E: Display>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => ", Ok".into(),
        Err(e) => format!(", Err: {}", escape::inline(&e.to_string())),
    }
}

/// Polls `future` by hand until `Ready` (it must be, on its first poll), then once more:
/// the line for `what`, or why there is none.
fn polled_twice<F: Future>(what: &str, future: F) -> Result<String, String> {
    let mut future = pin!(future);
    match poll_once(future.as_mut()) {
        Polled::Ready(_) => Ok(format!(
            "{what}, polled again after Ready: {}",
            said(poll_once(future), |_| String::new())
        )),
        Polled::Pending => Err(format!("{what} returned Pending on its first poll")),
        Polled::Panicked(panicked) => Err(format!("{what} {panicked} on its first poll")),
    }
}

/// The experiment: each future a learner meets, polled once more after `Ready`.
pub async fn poll_after_ready<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    let by_hand = [
        polled_twice("an async block's future", async { 1 }),
        polled_twice(
            "trpl::join's future (futures::future::join)",
            book_api::join(async { 1 }, async { 2 }),
        ),
        polled_twice("futures::future::ready's future", futures::future::ready(1)),
        polled_twice(
            "trpl::race's future (an async fn around futures::future::select)",
            book_api::select(async { 1 }, async { 2 }),
        ),
        polled_twice(
            "futures::future::select's future",
            futures::future::select(futures::future::ready(1), futures::future::ready(2)),
        ),
    ];
    for line in by_hand {
        match line {
            Ok(line) => lab.out.line(line),
            Err(why) => outcome.fail(why),
        }
    }

    // The runtime's own handle, as its spawn gives it: awaited (the task ends at once),
    // then polled by hand.
    let spawn = lab.capabilities().raw_spawn;
    let mut own = lab.rt.spawn_raw(Box::pin(async {}));
    match own.as_mut().await {
        Ok(_) => {
            let joined = if lab.capabilities().polls_on == PollsOn::ThreadPerTask {
                " (a thread's JoinHandle is no future: the lab joins the thread inside an async block)"
            } else {
                ""
            };
            lab.out.line(format!(
                "{spawn}'s handle{joined}, awaited, then polled again: {}",
                said(poll_once(own.as_mut()), result)
            ));
        }
        Err(e) => outcome.fail(format!("the task {spawn} started: {e}")),
    }

    // The lab's drop-in `trpl::spawn_task`'s handle: the runtime's, made to detach on drop
    // and give a `Result` (shared/runtime/src/handle.rs).
    let mut handle = pin!(lab.spawn("poll-after-ready task", async { 1 }));
    match handle.as_mut().await {
        Ok(_) => lab.out.line(format!(
            "this crate's trpl::spawn_task handle (the lab's, over the runtime's own), awaited, then polled again: {}",
            said(poll_once(handle), result)
        )),
        Err(e) => outcome.fail(format!("the task spawn_task started: {e}")),
    }

    match polled_twice(
        "an async block's future, fused (FutureExt::fuse)",
        async { 1 }.fuse(),
    ) {
        Ok(line) => lab.out.line(line),
        Err(why) => outcome.fail(why),
    }
    outcome
}
