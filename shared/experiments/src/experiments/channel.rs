//! `channel`, `join-all` and `thread-to-async`: message passing, listings 17-9 to 17-13,
//! 17-23/17-24 and 17-25, on the runtime's own channel (the `trpl` API's).

use std::future::Future;
use std::pin::{Pin, pin};

use futures::future::{Either, select};

use super::{Lab, Outcome, millis, ms};
use crate::book_api::{self, Receiver, Sender, join, join3};
use crate::runtime::Runtime;

fn channel_of<R: Runtime, T>(lab: &Lab<R>) -> (Sender<T>, Receiver<T>) {
    book_api::channel(lab.capabilities().channel)
}

/// Sends `words` one by one, sleeping `gap_ms` (scaled) after each.
async fn send_words<R: Runtime>(lab: &Lab<R>, tx: &Sender<String>, words: &[&str], gap_ms: u64) {
    for word in words {
        // The receiver lives until the end of every part, so sending cannot fail.
        let _ = tx.send(word.to_string());
        lab.sleep(ms(gap_ms)).await;
    }
}

/// Prints `received '{value}'` for every message until the channel closes.
async fn receive_all<R: Runtime>(lab: &Lab<R>, rx: &mut Receiver<String>) {
    while let Some(value) = rx.recv().await {
        lab.out.line(format!("received '{value}'"));
    }
}

const FIRST: [&str; 4] = ["hi", "from", "the", "future"];
const SECOND: [&str; 4] = ["more", "messages", "for", "you"];

/// Listings 17-9 to 17-13.
pub async fn channel<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.part("listing 17-9: one message");
    let (tx, mut rx) = channel_of::<R, String>(lab);
    let _ = tx.send(String::from("hi"));
    if let Some(received) = rx.recv().await {
        lab.out.line(format!("received '{received}'"));
    }

    lab.out
        .part("listings 17-10/17-11: a loop over a channel whose sender is never dropped");
    let (tx, mut rx) = channel_of::<R, String>(lab);
    let deadline = lab.scaled(ms(3_000));
    {
        let exchange = pin!(join(
            send_words(lab, &tx, &FIRST, 500),
            receive_all(lab, &mut rx)
        ));
        if let Either::Right(_) = select(exchange, pin!(lab.rt.sleep(deadline))).await {
            lab.out.part(format!(
                "the loop was still waiting after {}: its sender was never dropped, so recv() never gave None",
                millis(deadline)
            ));
        }
    }
    drop(tx);

    lab.out.part(
        "listing 17-12: `async move` drops the sender when its future ends, and the loop ends",
    );
    let (tx, mut rx) = channel_of::<R, String>(lab);
    let sender = async move { send_words(lab, &tx, &FIRST, 500).await };
    join(sender, receive_all(lab, &mut rx)).await;

    lab.out.part("listing 17-13: two producers, cloned senders");
    let (tx, mut rx) = channel_of::<R, String>(lab);
    let tx1 = tx.clone();
    let first = async move { send_words(lab, &tx1, &FIRST, 500).await };
    let second = async move { send_words(lab, &tx, &SECOND, 1_500).await };
    join3(first, receive_all(lab, &mut rx), second).await;
    Outcome::default()
}

/// Listings 17-23/17-24: the futures of listing 17-13 in a `Vec` of boxed trait objects,
/// awaited with `join_all`; then `join!` over futures of different types.
pub async fn join_all<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.part("listing 17-23's join_all, over boxed futures as the earlier edition's listing 17-18 made them");
    let (tx, mut rx) = channel_of::<R, String>(lab);
    let tx1 = tx.clone();
    let tx1_fut = async move { send_words(lab, &tx1, &FIRST, 500).await };
    let rx_fut = async { receive_all(lab, &mut rx).await };
    let tx_fut = async move { send_words(lab, &tx, &SECOND, 1_500).await };
    let futures: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> =
        vec![Box::pin(tx1_fut), Box::pin(rx_fut), Box::pin(tx_fut)];
    crate::book_api::join_all(futures).await;

    lab.out
        .part("the earlier edition's listing 17-20: join! over futures of different types");
    let a = async { 1u32 };
    let b = async { "Hello!" };
    let c = async { true };
    let (a_result, b_result, c_result) = crate::book_api::join!(a, b, c);
    lab.out.line(format!("{a_result}, {b_result}, {c_result}"));
    Outcome::default()
}

/// Listing 17-25: a plain OS thread, with no runtime, sends 1 to 10, a second apart; the
/// async side receives them.
pub async fn thread_to_async<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let (tx, mut rx) = channel_of::<R, u32>(lab);
    let gap = lab.scaled(ms(1_000));
    let thread = std::thread::Builder::new()
        .name("plain-thread".into())
        .spawn(move || {
            for i in 1..11 {
                if tx.send(i).is_err() {
                    break;
                }
                std::thread::sleep(gap);
            }
        });
    let mut outcome = Outcome::default();
    if let Err(e) = thread {
        outcome.fail(format!("cannot start the plain thread: {e}"));
        return outcome;
    }
    while let Some(message) = rx.recv().await {
        lab.out.line(format!("{message}"));
    }
    outcome
}
