//! `fairness`: who wins when both sides of a select are ready at once. 1,000 races of two
//! futures that are ready on their first poll, with trpl's `select` (the book's, on the
//! futures crate's `select`), `futures::select!`, `futures::select_biased!`,
//! `tokio::select!` and `tokio::select!` with `biased;`.
//!
//! The winner is decided by the order in which the combinator polls its futures, inside
//! one task: the runtime has no say. The counts are measurements; the lines say who won.
//!
//! Then the same question for `join`: two futures that need 1,000 polls each, joined with
//! trpl's `join` (the futures crate's), `tokio::join!` and `tokio::join!` with `biased;`:
//! in how many of the join's polls was the first future polled first?

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;

use futures::future::ready;

use super::{Lab, Measure, Outcome};
use crate::book_api::{self, Either};
use crate::runtime::Runtime;

const TRPL_SELECT_FIRST: Measure = Measure::count(
    "trpl_select_first",
    "races under trpl::select the first future won",
);
const TRPL_SELECT_SECOND: Measure = Measure::count(
    "trpl_select_second",
    "races under trpl::select the second future won",
);
const FUTURES_SELECT_FIRST: Measure = Measure::count(
    "futures_select_first",
    "races under futures::select! the first future won",
);
const FUTURES_SELECT_SECOND: Measure = Measure::count(
    "futures_select_second",
    "races under futures::select! the second future won",
);
const FUTURES_SELECT_BIASED_FIRST: Measure = Measure::count(
    "futures_select_biased_first",
    "races under futures::select_biased! the first future won",
);
const FUTURES_SELECT_BIASED_SECOND: Measure = Measure::count(
    "futures_select_biased_second",
    "races under futures::select_biased! the second future won",
);
const TOKIO_SELECT_FIRST: Measure = Measure::count(
    "tokio_select_first",
    "races under tokio::select! the first future won",
);
const TOKIO_SELECT_SECOND: Measure = Measure::count(
    "tokio_select_second",
    "races under tokio::select! the second future won",
);
const TOKIO_SELECT_BIASED_FIRST: Measure = Measure::count(
    "tokio_select_biased_first",
    "races under tokio::select! with biased; the first future won",
);
const TOKIO_SELECT_BIASED_SECOND: Measure = Measure::count(
    "tokio_select_biased_second",
    "races under tokio::select! with biased; the second future won",
);
const TRPL_JOIN_FIRST_FIRST: Measure = Measure::count(
    "trpl_join_first_first",
    "polls of trpl::join that polled the first future first",
);
const TRPL_JOIN_POLLS: Measure = Measure::count("trpl_join_polls", "polls of trpl::join, in all");
const TOKIO_JOIN_FIRST_FIRST: Measure = Measure::count(
    "tokio_join_first_first",
    "polls of tokio::join! that polled the first future first",
);
const TOKIO_JOIN_POLLS: Measure =
    Measure::count("tokio_join_polls", "polls of tokio::join!, in all");
const TOKIO_JOIN_BIASED_FIRST_FIRST: Measure = Measure::count(
    "tokio_join_biased_first_first",
    "polls of tokio::join! with biased; that polled the first future first",
);
const TOKIO_JOIN_BIASED_POLLS: Measure = Measure::count(
    "tokio_join_biased_polls",
    "polls of tokio::join! with biased;, in all",
);

/// `fairness`' measurements.
pub(super) const MEASURES: &[Measure] = &[
    TRPL_SELECT_FIRST,
    TRPL_SELECT_SECOND,
    FUTURES_SELECT_FIRST,
    FUTURES_SELECT_SECOND,
    FUTURES_SELECT_BIASED_FIRST,
    FUTURES_SELECT_BIASED_SECOND,
    TOKIO_SELECT_FIRST,
    TOKIO_SELECT_SECOND,
    TOKIO_SELECT_BIASED_FIRST,
    TOKIO_SELECT_BIASED_SECOND,
    TRPL_JOIN_FIRST_FIRST,
    TRPL_JOIN_POLLS,
    TOKIO_JOIN_FIRST_FIRST,
    TOKIO_JOIN_POLLS,
    TOKIO_JOIN_BIASED_FIRST_FIRST,
    TOKIO_JOIN_BIASED_POLLS,
];

/// How many races each select runs.
pub const RACES: u32 = 1_000;

/// Runs `race` [`RACES`] times; gives how many the first future won, and the second.
async fn count<F, Fut>(race: F) -> [u32; 2]
where
    F: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let mut wins = [0; 2];
    for _ in 0..RACES {
        wins[race().await] += 1;
    }
    wins
}

/// Who won the races, in words.
fn verdict([first, second]: [u32; 2]) -> &'static str {
    if second == 0 {
        "the first future won all 1,000 races"
    } else if first == 0 {
        "the second future won all 1,000 races"
    } else {
        "each future won some of the 1,000 races"
    }
}

/// A future that is polled [`RACES`] times: it notes `id` in `order` at every poll, and
/// wakes itself and returns `Pending` until its last.
fn recorder(id: usize, order: &Mutex<Vec<usize>>) -> impl Future<Output = ()> + '_ {
    let mut left = RACES;
    std::future::poll_fn(move |cx| {
        order
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(id);
        left -= 1;
        if left == 0 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Of the join's polls (each polls both futures), how many polled the first future
/// first, and how many polls there were.
fn first_polled_first(order: &Mutex<Vec<usize>>) -> [u32; 2] {
    let order = order.lock().unwrap_or_else(PoisonError::into_inner);
    let rounds = order.chunks_exact(2);
    let first = rounds.clone().filter(|round| round[0] == 0).count();
    [first as u32, rounds.len() as u32]
}

/// Who went first in a join, in words.
fn join_verdict([first, rounds]: [u32; 2]) -> &'static str {
    if first == rounds {
        "the first future was polled first every time"
    } else if first == 0 {
        "the second future was polled first every time"
    } else {
        "the two futures took turns at being polled first"
    }
}

/// The experiment: the same race under each select; then who goes first in a join.
pub async fn fairness<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.remark(
        "each race: two futures, both ready on their first poll; whichever the select polls first wins",
    );
    let results = [
        (
            "trpl::select",
            [TRPL_SELECT_FIRST, TRPL_SELECT_SECOND],
            count(|| async {
                match book_api::select(ready(()), ready(())).await {
                    Either::Left(()) => 0,
                    Either::Right(()) => 1,
                }
            })
            .await,
        ),
        (
            "futures::select!",
            [FUTURES_SELECT_FIRST, FUTURES_SELECT_SECOND],
            count(|| async {
                futures::select! {
                    () = ready(()) => 0,
                    () = ready(()) => 1,
                }
            })
            .await,
        ),
        (
            "futures::select_biased!",
            [FUTURES_SELECT_BIASED_FIRST, FUTURES_SELECT_BIASED_SECOND],
            count(|| async {
                futures::select_biased! {
                    () = ready(()) => 0,
                    () = ready(()) => 1,
                }
            })
            .await,
        ),
        (
            "tokio::select!",
            [TOKIO_SELECT_FIRST, TOKIO_SELECT_SECOND],
            count(|| async {
                tokio::select! {
                    () = ready(()) => 0,
                    () = ready(()) => 1,
                }
            })
            .await,
        ),
        (
            "tokio::select! with biased;",
            [TOKIO_SELECT_BIASED_FIRST, TOKIO_SELECT_BIASED_SECOND],
            count(|| async {
                tokio::select! {
                    biased;
                    () = ready(()) => 0,
                    () = ready(()) => 1,
                }
            })
            .await,
        ),
    ];
    for (name, [first, second], wins) in results {
        lab.out.line(format!("{name}: {}", verdict(wins)));
        lab.out.set_measure(first, f64::from(wins[0]));
        lab.out.set_measure(second, f64::from(wins[1]));
        lab.out.remark(format!(
            "{name}: the first future won {} races, the second {}",
            wins[0], wins[1]
        ));
    }

    lab.out.remark(
        "each join: two futures that wake themselves and need 1,000 polls each; which one does the join poll first?",
    );
    let order = Mutex::new(Vec::new());
    futures::future::join(recorder(0, &order), recorder(1, &order)).await;
    let trpl_join = first_polled_first(&order);
    let order = Mutex::new(Vec::new());
    tokio::join!(recorder(0, &order), recorder(1, &order));
    let tokio_join = first_polled_first(&order);
    let order = Mutex::new(Vec::new());
    tokio::join!(biased; recorder(0, &order), recorder(1, &order));
    let tokio_join_biased = first_polled_first(&order);
    for (name, [first_first, polls], counts) in [
        (
            "trpl::join",
            [TRPL_JOIN_FIRST_FIRST, TRPL_JOIN_POLLS],
            trpl_join,
        ),
        (
            "tokio::join!",
            [TOKIO_JOIN_FIRST_FIRST, TOKIO_JOIN_POLLS],
            tokio_join,
        ),
        (
            "tokio::join! with biased;",
            [TOKIO_JOIN_BIASED_FIRST_FIRST, TOKIO_JOIN_BIASED_POLLS],
            tokio_join_biased,
        ),
    ] {
        lab.out.line(format!("{name}: {}", join_verdict(counts)));
        lab.out.set_measure(first_first, f64::from(counts[0]));
        lab.out.set_measure(polls, f64::from(counts[1]));
        lab.out.remark(format!(
            "{name}: the first future was polled first in {} of the join's {} polls",
            counts[0], counts[1]
        ));
    }
    Outcome::default()
}
