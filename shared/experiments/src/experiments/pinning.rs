//! `pinning`: listings 17-23 and 17-24 (17.5). Listing 17-23's
//! `Vec<Box<dyn Future<Output = ()>>>` does not compile (the compiler's error is in the
//! notes, from `book-notes/fixtures/listing-17-23`); here are its two fixes running, with
//! the size of each future; then a self-referential future, pinned and polled, whose
//! local stays where it was while the pointer to it moves.
//!
//! Sizes and addresses go to the measurements and the remarks: they are the compiler's
//! and the allocator's; the lines say how they compare.

use std::future::Future;
use std::mem::size_of_val;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::join_all;

use super::{Lab, Measure, Outcome, ms};
use crate::book_api::{self, Receiver, Sender};
use crate::runtime::{Runtime, yield_once};

const WITH_PIN: Measure = Measure::bytes(
    "with_pin_bytes",
    "the future that runs listing 17-24 with pin!, before its first poll",
);
const WITH_BOX_PIN: Measure = Measure::bytes(
    "with_box_pin_bytes",
    "the future that runs it with Box::pin, before its first poll",
);
const TX1_FUT: Measure = Measure::bytes("tx1_fut_bytes", "listing 17-24's tx1_fut");
const RX_FUT: Measure = Measure::bytes("rx_fut_bytes", "listing 17-24's rx_fut");
const TX_FUT: Measure = Measure::bytes("tx_fut_bytes", "listing 17-24's tx_fut");
const PIN_ELEMENT: Measure = Measure::bytes(
    "pin_element_bytes",
    "an element of Vec<Pin<&mut dyn Future<Output = ()>>>",
);
const BOX_ELEMENT: Measure = Measure::bytes(
    "box_element_bytes",
    "an element of Vec<Pin<Box<dyn Future<Output = ()>>>>",
);
const SELF_REFERENTIAL: Measure =
    Measure::bytes("self_referential_bytes", "the self-referential future");
const LOCAL_OFFSET: Measure = Measure::bytes(
    "self_referential_local_offset",
    "where the local it borrows is, from the future's start, once polled",
);

/// `pinning`'s measurements.
pub(super) const MEASURES: &[Measure] = &[
    WITH_PIN,
    WITH_BOX_PIN,
    TX1_FUT,
    RX_FUT,
    TX_FUT,
    PIN_ELEMENT,
    BOX_ELEMENT,
    SELF_REFERENTIAL,
    LOCAL_OFFSET,
];

const FIRST: [&str; 4] = ["hi", "from", "the", "future"];
const SECOND: [&str; 4] = ["more", "messages", "for", "you"];

/// Sends `words`, sleeping 10 ms (scaled) after each: the producers of listing 17-24.
async fn send_words<R: Runtime>(lab: &Lab<R>, tx: Sender<String>, words: &[&str]) {
    for word in words {
        let _ = tx.send(word.to_string());
        lab.sleep(ms(10)).await;
    }
}

/// Counts the messages until every sender is gone.
async fn receive_all(rx: &mut Receiver<String>, count: &Mutex<usize>) {
    while rx.recv().await.is_some() {
        *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }
}

/// Listing 17-24: each future pinned where it is defined, with `pin!`, the vector a
/// `Vec<Pin<&mut dyn Future<Output = ()>>>`. Gives how many messages came through.
async fn with_pin_macro<R: Runtime>(lab: &Lab<R>) -> usize {
    let (tx, mut rx) = book_api::channel::<String>(lab.capabilities().channel);
    let count = Mutex::new(0);
    let tx1 = tx.clone();
    let tx1_fut = pin!(send_words(lab, tx1, &FIRST));
    let rx_fut = pin!(receive_all(&mut rx, &count));
    let tx_fut = pin!(send_words(lab, tx, &SECOND));
    for (measure, size) in [
        (TX1_FUT, size_of_val(&*tx1_fut)),
        (RX_FUT, size_of_val(&*rx_fut)),
        (TX_FUT, size_of_val(&*tx_fut)),
    ] {
        lab.out.set_measure(measure, size as f64);
    }
    let futures: Vec<Pin<&mut dyn Future<Output = ()>>> = vec![tx1_fut, rx_fut, tx_fut];
    lab.out.set_measure(
        PIN_ELEMENT,
        std::mem::size_of::<Pin<&mut dyn Future<Output = ()>>>() as f64,
    );
    join_all(futures).await;
    *count.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The compiler note's other fix: each future moved to the heap with `Box::pin`, the
/// vector a `Vec<Pin<Box<dyn Future<Output = ()>>>>`.
async fn with_box_pin<R: Runtime>(lab: &Lab<R>) -> usize {
    let (tx, mut rx) = book_api::channel::<String>(lab.capabilities().channel);
    let count = Mutex::new(0);
    let tx1 = tx.clone();
    let futures: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = vec![
        Box::pin(send_words(lab, tx1, &FIRST)),
        Box::pin(receive_all(&mut rx, &count)),
        Box::pin(send_words(lab, tx, &SECOND)),
    ];
    lab.out.set_measure(
        BOX_ELEMENT,
        std::mem::size_of::<Pin<Box<dyn Future<Output = ()>>>>() as f64,
    );
    join_all(futures).await;
    *count.lock().unwrap_or_else(PoisonError::into_inner)
}

/// "larger than", "smaller than" or "as large as".
fn compared(a: usize, b: usize) -> &'static str {
    match a.cmp(&b) {
        std::cmp::Ordering::Greater => "larger than",
        std::cmp::Ordering::Less => "smaller than",
        std::cmp::Ordering::Equal => "as large as",
    }
}

/// Where the self-referential future's local was, at each poll.
type Seen = Arc<Mutex<Vec<usize>>>;

/// A future that holds a reference to its own local across an `.await` (an async fn's
/// body is an async block): once polled, the state machine points into itself. Records
/// the local's address before and after the `.await`.
async fn self_referential(seen: Seen) -> usize {
    let data = [7_u8; 64];
    let borrowed = &data;
    let record = |at: usize| seen.lock().unwrap_or_else(PoisonError::into_inner).push(at);
    record(borrowed.as_ptr() as usize);
    // Pending once: whoever polls it can move it (or the pointer to it) meanwhile.
    yield_once().await;
    record(borrowed.as_ptr() as usize);
    // Every byte read through the reference: all 64 are still the 7s written before.
    borrowed.iter().filter(|&&byte| byte == 7).count()
}

/// The address of `value`, as a number.
fn address<T: ?Sized>(value: &T) -> usize {
    (value as *const T).cast::<u8>() as usize
}

fn seen_at(seen: &Seen) -> Vec<usize> {
    seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// "stayed where it was" or "moved".
fn stayed(before: usize, after: usize) -> &'static str {
    if before == after {
        "stayed where it was"
    } else {
        "moved"
    }
}

/// The self-referential future moved before its first poll (allowed), pinned in a `Box`,
/// polled once, the `Box` moved into a task, polled to the end; then the same with `pin!`.
async fn self_reference<R: Runtime>(lab: &Lab<R>, outcome: &mut Outcome) {
    let seen = Seen::default();
    let future = self_referential(seen.clone());
    let (on_stack, size) = (address(&future), size_of_val(&future));
    lab.out.set_measure(SELF_REFERENTIAL, size as f64);
    let mut boxed = Box::pin(future);
    let on_heap = address(&*boxed);
    lab.out.remark(format!(
        "the self-referential future, {size} bytes: at {on_stack:#x} on the stack, then at {on_heap:#x} in its Box"
    ));
    lab.out.line(format!(
        "an unpolled self-referential future, moved into Box::pin: it {} (allowed: nothing in it points into it before its first poll)",
        stayed(on_stack, on_heap)
    ));
    let first = futures::poll!(boxed.as_mut());
    let Some(&local) = seen_at(&seen).first() else {
        outcome.fail("the self-referential future's first poll recorded nothing");
        return;
    };
    let offset = local.wrapping_sub(on_heap);
    let inside = offset < size;
    if inside {
        lab.out.set_measure(LOCAL_OFFSET, offset as f64);
    }
    lab.out.remark(format!(
        "its local, borrowed across the .await, at {local:#x}: {offset} bytes into the future"
    ));
    lab.out.line(format!(
        "polled once ({}): the local it borrows across its .await is {} the future's own bytes",
        if first.is_pending() {
            "Pending"
        } else {
            "Ready"
        },
        if inside { "inside" } else { "outside" }
    ));
    // The Box moves to a task (and maybe to another thread): the pointer moves, the
    // future it points at does not.
    let pointer_at = address(&boxed);
    let task = lab.spawn("pinned future, moved", async move {
        let moved_pointer_at = address(&boxed);
        let future_at = address(&*boxed);
        let len = boxed.await;
        (moved_pointer_at, future_at, len)
    });
    let (moved_pointer_at, future_at, len) = match task.await {
        Ok(result) => result,
        Err(e) => {
            outcome.fail(format!("the task that finished the pinned future: {e}"));
            return;
        }
    };
    let seen = seen_at(&seen);
    let resumed = seen.get(1).copied().unwrap_or(0);
    lab.out.remark(format!(
        "the Box (the pointer) at {pointer_at:#x}, then at {moved_pointer_at:#x} in the task; the future at {future_at:#x}, its local at {resumed:#x} after the .await"
    ));
    lab.out.line(format!(
        "its Box moved into a task, which awaited it: the Box {}, the future {}, and the borrowed local {} ({len} bytes read through the reference)",
        stayed(pointer_at, moved_pointer_at),
        stayed(on_heap, future_at),
        stayed(local, resumed)
    ));

    // The same with pin!: the future pinned in the state of the future around it;
    // the `Pin<&mut _>` moves, the future does not.
    let seen = Seen::default();
    let pinned = pin!(self_referential(seen.clone()));
    let future_at = address(&*pinned);
    let mut moved = vec![pinned];
    let first = futures::poll!(moved[0].as_mut());
    let mut pinned = moved.remove(0);
    let moved_future_at = address(&*pinned);
    let len = pinned.as_mut().await;
    let seen = seen_at(&seen);
    let (local, resumed) = (
        seen.first().copied().unwrap_or(0),
        seen.get(1).copied().unwrap_or(1),
    );
    lab.out.line(format!(
        "the same pinned with pin!, polled once ({}), its Pin<&mut _> moved through a Vec and awaited: the future {}, the borrowed local {} ({len} bytes)",
        if first.is_pending() { "Pending" } else { "Ready" },
        stayed(future_at, moved_future_at),
        stayed(local, resumed)
    ));
}

/// The experiment: listing 17-24's two fixes and their sizes; then a self-referential
/// future, pinned.
pub async fn pinning<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    lab.out.remark(
        "listing 17-23 (Vec<Box<dyn Future<Output = ()>>>) does not compile: see book-notes/fixtures/listing-17-23",
    );
    // The futures that run each fix, created (not polled) to weigh them first.
    let by_pin = with_pin_macro(lab);
    let by_box = with_box_pin(lab);
    let (pin_bytes, box_bytes) = (size_of_val(&by_pin), size_of_val(&by_box));
    lab.out.set_measure(WITH_PIN, pin_bytes as f64);
    lab.out.set_measure(WITH_BOX_PIN, box_bytes as f64);
    let received = by_pin.await;
    lab.out.line(format!(
        "listing 17-24, pin! and Vec<Pin<&mut dyn Future<Output = ()>>>: join_all ran the three futures, {received} messages received"
    ));
    let received = by_box.await;
    lab.out.line(format!(
        "Box::pin and Vec<Pin<Box<dyn Future<Output = ()>>>>: join_all ran the three futures, {received} messages received"
    ));
    lab.out.line(format!(
        "the future that pins them with pin! is {} the one that uses Box::pin: pin! keeps the three futures inside it, Box::pin puts them on the heap",
        compared(pin_bytes, box_bytes)
    ));
    lab.out.remark(format!(
        "the future around pin!'s three futures: {pin_bytes} bytes; around Box::pin's: {box_bytes} bytes (and three heap allocations)"
    ));
    self_reference(lab, &mut outcome).await;
    outcome
}
