//! `streams`: the chapter's streams section, on the runtime's own timer and channel.

use std::pin::pin;
use std::time::Duration;

use super::{Lab, Outcome, ms};
use crate::book_api::{self, ReceiverStream, Stream, StreamExt};
use crate::runtime::Runtime;

/// Listing 17-33's `get_messages`: ten messages, 100 ms and 300 ms apart in turn, sent by a
/// task of their own.
fn get_messages<R: Runtime>(lab: &Lab<R>) -> impl Stream<Item = String> + use<R> {
    let (tx, rx) = book_api::channel(lab.capabilities().channel);
    let task_lab = lab.clone();
    drop(lab.spawn("messages", async move {
        let messages = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for (index, message) in messages.into_iter().enumerate() {
            let time_to_sleep = if index % 2 == 0 { 100 } else { 300 };
            task_lab.sleep(ms(time_to_sleep)).await;
            if tx.send(format!("Message: '{message}'")).is_err() {
                break;
            }
        }
    }));
    ReceiverStream::new(rx)
}

/// Listing 17-36's `get_intervals`: a count, one a millisecond, sent by a task of its own.
fn get_intervals<R: Runtime>(lab: &Lab<R>) -> impl Stream<Item = u32> + use<R> {
    let (tx, rx) = book_api::channel(lab.capabilities().channel);
    let task_lab = lab.clone();
    drop(lab.spawn("intervals", async move {
        let mut count = 0;
        loop {
            task_lab.sleep(ms(1)).await;
            count += 1;
            if tx.send(count).is_err() {
                break;
            }
        }
    }));
    ReceiverStream::new(rx)
}

/// Prints a stream of timed-out results as the book does.
async fn print_results<R: Runtime, S, E>(lab: &Lab<R>, stream: S)
where
    S: Stream<Item = Result<String, E>>,
    E: std::fmt::Debug,
{
    let mut stream = pin!(stream);
    while let Some(result) = stream.next().await {
        match result {
            Ok(message) => lab.out.line(message),
            Err(reason) => lab.out.line(format!("Problem: {reason:?}")),
        }
    }
}

/// Streams from iterators, `filter`, a per-item `timeout`, then messages merged with
/// throttled intervals and cut with `take`.
pub async fn streams<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.part("listing 17-22: a stream from an iterator");
    let values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let mut stream = book_api::stream_from_iter(values.iter().map(|n| n * 2));
    while let Some(value) = stream.next().await {
        lab.out.line(format!("The value was: {value}"));
    }

    lab.out.part("from the earlier edition: filter");
    let mut filtered = book_api::stream_from_iter((1..101).map(|n| n * 2))
        .filter(|value| value % 3 == 0 || value % 5 == 0);
    while let Some(value) = filtered.next().await {
        lab.out.line(format!("The value was: {value}"));
    }

    let timeout = lab.scaled(ms(200));
    lab.out.part(format!(
        "from the earlier edition: messages 100 and 300 ms apart, each given {timeout:?} to come"
    ));
    print_results(lab, get_messages(lab).timeout(timeout)).await;

    lab.out.part(
        "from the earlier edition: the same messages merged with a 1 ms count throttled to one per 100 ms; the first 20",
    );
    let messages = get_messages(lab).timeout(timeout);
    let intervals = get_intervals(lab)
        .map(|count| format!("Interval: {count}"))
        .throttle(lab.scaled(ms(100)))
        .timeout(lab.scaled(Duration::from_secs(10)));
    print_results(lab, messages.merge(intervals).take(20)).await;
    Outcome::default()
}
