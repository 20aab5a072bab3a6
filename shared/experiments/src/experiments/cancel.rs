//! `cancel`: cancellation safety. `select` drops the future that loses (trpl's `select`
//! does, and so does every `select!` in a loop); a future that had done part of its work
//! loses that work with it.
//!
//! A producer task sends [`BURST`] messages a round, then a tick on a second channel, then
//! says on a third that the round is sent, and waits for the consumer to see the tick
//! before the next round. The consumer waits until the round is sent, then selects
//! between the messages and the tick, with the book's `select`, which polls its first
//! future first. Two patterns:
//! - **lost**: the first future reads a whole batch of [`BATCH`] messages; when a round
//!   ends part-way through a batch, the tick wins, and the batch future is dropped with the
//!   messages it had already taken out of the channel;
//! - **kept**: the first future is one `recv`, and the batch lives outside the select;
//!   a `recv` that loses has taken nothing, so nothing is lost.
//!
//! The counts depend on the arithmetic, not on timing: each round sends [`BURST`]
//! messages, and a batch of [`BATCH`] that is short when the tick comes is dropped.
//! Waiting for the whole round is what makes that so where the producer runs on another
//! thread: a consumer that selected while the round was still being sent could find the
//! channel empty between two messages and the tick already there, and take the tick
//! first; the rest of the round would then wait in the channel, and the loss would
//! depend on how the two threads interleaved.

use super::{Lab, Measure, Outcome};
use crate::book_api::{self, Either, Receiver, Sender};
use crate::runtime::Runtime;

const INSIDE_SENT: Measure = Measure::count("inside_sent", "messages sent, batch inside select");
const INSIDE_PROCESSED: Measure = Measure::count(
    "inside_processed",
    "messages processed, batch inside select",
);
const INSIDE_LOST: Measure = Measure::count(
    "inside_lost",
    "messages lost with a dropped batch, batch inside select",
);
const OUTSIDE_SENT: Measure = Measure::count("outside_sent", "messages sent, batch outside select");
const OUTSIDE_PROCESSED: Measure = Measure::count(
    "outside_processed",
    "messages processed, batch outside select",
);
const OUTSIDE_LOST: Measure = Measure::count("outside_lost", "messages lost, batch outside select");

/// `cancel`'s measurements.
pub(super) const MEASURES: &[Measure] = &[
    INSIDE_SENT,
    INSIDE_PROCESSED,
    INSIDE_LOST,
    OUTSIDE_SENT,
    OUTSIDE_PROCESSED,
    OUTSIDE_LOST,
];

/// Rounds the producer sends.
pub const ROUNDS: usize = 20;
/// Messages a round.
pub const BURST: usize = 5;
/// Messages a batch.
pub const BATCH: usize = 2;

/// Reads `n` messages; fewer when the channel closes. `None` when it is closed and empty.
/// Not cancellation safe: the messages read so far live in this future.
async fn read_batch(rx: &mut Receiver<usize>, n: usize) -> Option<Vec<usize>> {
    let mut batch = Vec::with_capacity(n);
    while batch.len() < n {
        match rx.recv().await {
            Some(message) => batch.push(message),
            None => break,
        }
    }
    (!batch.is_empty()).then_some(batch)
}

/// The producer: [`ROUNDS`] rounds of [`BURST`] messages and a tick, each round after the
/// consumer saw the last tick. Gives how many messages it sent.
async fn produce(
    data: Sender<usize>,
    tick: Sender<()>,
    sent_all: Sender<()>,
    mut next_round: Receiver<()>,
) -> usize {
    let mut sent = 0;
    for _ in 0..ROUNDS {
        for _ in 0..BURST {
            if data.send(sent).is_ok() {
                sent += 1;
            }
        }
        if tick.send(()).is_err() || sent_all.send(()).is_err() || next_round.recv().await.is_none()
        {
            break;
        }
    }
    sent
}

/// The channels of one run, and the producer started.
struct Run<R: Runtime> {
    data: Receiver<usize>,
    tick: Receiver<()>,
    /// A message a round, once the round's messages and its tick are sent.
    sent_all: Receiver<()>,
    next_round: Sender<()>,
    producer: book_api::JoinHandle<usize, R>,
}

fn start<R: Runtime>(lab: &Lab<R>) -> Run<R> {
    let kind = lab.capabilities().channel;
    let (data_tx, data) = book_api::channel(kind);
    let (tick_tx, tick) = book_api::channel(kind);
    let (sent_all_tx, sent_all) = book_api::channel(kind);
    let (next_round, next_round_rx) = book_api::channel(kind);
    let producer = lab.spawn(
        "producer",
        produce(data_tx, tick_tx, sent_all_tx, next_round_rx),
    );
    Run {
        data,
        tick,
        sent_all,
        next_round,
        producer,
    }
}

/// Batches read inside the select: the counts (processed).
async fn batch_in_select(run: &mut Run<impl Runtime>) -> usize {
    let mut processed = 0;
    // A round at a time, once it is all sent; the producer's end closes `sent_all`.
    while run.sent_all.recv().await.is_some() {
        loop {
            match book_api::select(read_batch(&mut run.data, BATCH), run.tick.recv()).await {
                Either::Left(Some(batch)) => processed += batch.len(),
                Either::Right(Some(())) => {
                    let _ = run.next_round.send(());
                    break;
                }
                Either::Left(None) | Either::Right(None) => return processed,
            }
        }
    }
    processed
}

/// One `recv` inside the select, the batch outside it; a tick flushes a short batch.
async fn batch_outside(run: &mut Run<impl Runtime>) -> usize {
    let (mut processed, mut batch) = (0, Vec::with_capacity(BATCH));
    while run.sent_all.recv().await.is_some() {
        loop {
            match book_api::select(run.data.recv(), run.tick.recv()).await {
                Either::Left(Some(message)) => {
                    batch.push(message);
                    if batch.len() == BATCH {
                        processed += batch.len();
                        batch.clear();
                    }
                }
                Either::Right(Some(())) => {
                    processed += batch.len();
                    batch.clear();
                    let _ = run.next_round.send(());
                    break;
                }
                Either::Left(None) | Either::Right(None) => break,
            }
        }
    }
    processed + batch.len()
}

/// Runs one pattern (the batch `kept` outside the select, or inside it); prints its
/// counts. `None` when the producer failed.
async fn pattern<R: Runtime>(lab: &Lab<R>, name: &str, kept: bool) -> Option<()> {
    let mut run = start(lab);
    let processed = if kept {
        batch_outside(&mut run).await
    } else {
        batch_in_select(&mut run).await
    };
    // Whatever is still in the channel was not lost.
    let mut left = 0;
    while run.data.recv().await.is_some() {
        left += 1;
    }
    let sent = run.producer.await.ok()?;
    let lost = sent.saturating_sub(processed + left);
    lab.out.line(format!(
        "{name}: {sent} sent, {processed} processed, {left} left in the channel, {lost} lost"
    ));
    let [sent_measure, processed_measure, lost_measure] = match kept {
        false => [INSIDE_SENT, INSIDE_PROCESSED, INSIDE_LOST],
        true => [OUTSIDE_SENT, OUTSIDE_PROCESSED, OUTSIDE_LOST],
    };
    lab.out.set_measure(sent_measure, sent as f64);
    lab.out.set_measure(processed_measure, processed as f64);
    lab.out.set_measure(lost_measure, lost as f64);
    Some(())
}

/// The experiment: the batch read inside the select, then outside it.
pub async fn cancel<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let mut outcome = Outcome::default();
    lab.out.remark(format!(
        "{ROUNDS} rounds of {BURST} messages and a tick; batches of {BATCH}; select polls the messages first, the tick second"
    ));
    for (name, kept) in [
        (
            "a batch read inside select, dropped when the tick wins",
            false,
        ),
        ("one recv inside select, the batch kept outside it", true),
    ] {
        if pattern(lab, name, kept).await.is_none() {
            outcome.fail(format!("{name}: the producer task failed"));
        }
    }
    outcome
}
