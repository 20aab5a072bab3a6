//! `race`: listing 17-5. Two pages are fetched concurrently inside one task; whichever
//! answers first wins and the other future is dropped, which cancels its request.

use std::pin::pin;

use futures::future::{Either, select};

use super::{Lab, Outcome};
use crate::escape::url as url_word;
use crate::runtime::Runtime;

/// Races the titles of `url_a` and `url_b` and prints the winner, in the book's words.
pub async fn race<R: Runtime>(lab: &Lab<R>, url_a: &str, url_b: &str) -> Outcome {
    let fetch_a = pin!(async { (url_a, lab.fetcher.page_title(url_a).await) });
    let fetch_b = pin!(async { (url_b, lab.fetcher.page_title(url_b).await) });
    let (url, result) = match select(fetch_a, fetch_b).await {
        Either::Left((first, _slower)) => first,
        Either::Right((first, _slower)) => first,
    };
    let url = url_word(url);
    lab.out.line(format!("{url} returned first"));
    let mut outcome = Outcome::default();
    match result {
        Ok(Some(title)) => lab.out.line(format!("Its page title was: '{title}'")),
        Ok(None) => lab.out.line("It had no title."),
        Err(reason) => {
            let line = format!("{url} failed: {reason}");
            outcome.fail(&line);
            lab.out.line(line);
        }
    }
    outcome
}
