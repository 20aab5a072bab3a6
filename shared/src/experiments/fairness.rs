//! `fairness`: who wins when both sides of a select are ready at once. 1,000 races of two
//! futures that are ready on their first poll, with trpl's `select` (the book's, on the
//! futures crate's `select`), `futures::select!`, `futures::select_biased!`,
//! `tokio::select!` and `tokio::select!` with `biased;`.
//!
//! The winner is decided by the order in which the combinator polls its futures, inside
//! one task: the runtime has no say. The counts are measurements; the lines say who won.

use std::future::Future;

use futures::future::ready;

use super::{Lab, Outcome};
use crate::book_api::{self, Either};
use crate::runtime::Runtime;

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

/// The experiment: the same race under each select.
pub async fn fairness<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.remark(
        "each race: two futures, both ready on their first poll; whichever the select polls first wins",
    );
    let results = [
        (
            "trpl::select",
            "trpl_select",
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
            "futures_select",
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
            "futures_select_biased",
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
            "tokio_select",
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
            "tokio_select_biased",
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
    for (name, key, wins) in results {
        lab.out.line(format!("{name}: {}", verdict(wins)));
        lab.out
            .set_measure(&format!("{key}_first"), f64::from(wins[0]));
        lab.out
            .set_measure(&format!("{key}_second"), f64::from(wins[1]));
        lab.out.remark(format!(
            "{name}: the first future won {} races, the second {}",
            wins[0], wins[1]
        ));
    }
    Outcome::default()
}
