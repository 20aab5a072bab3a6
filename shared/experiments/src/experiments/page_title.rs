//! `page-title`: listings 17-1 to 17-4, on many pages at once.
//!
//! Each URL is fetched by a task of its own, so the thread report shows which OS thread
//! polled each fetch; the lines print in argument order, in the book's words.

use super::{Lab, Outcome};
use crate::escape::url as url_word;
use crate::runtime::Runtime;

/// Fetches every URL concurrently, one task each, and prints one line per URL in argument
/// order: `The title for {url} was {title}`, `{url} had no title` or `{url} failed: {reason}`.
pub async fn page_titles<R: Runtime>(lab: &Lab<R>, urls: &[String]) -> Outcome {
    let handles: Vec<_> = urls
        .iter()
        .map(|url| {
            let fetcher = lab.fetcher.clone();
            let url = url.clone();
            lab.spawn(format!("page-title {}", url_word(&url)), async move {
                fetcher.page_title(&url).await
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for (url, handle) in urls.iter().zip(handles) {
        // The URL is the user's text, printed as one word: it cannot forge a line.
        let url = url_word(url);
        let failure = match handle.await {
            Ok(Ok(Some(title))) => {
                lab.out.line(format!("The title for {url} was {title}"));
                continue;
            }
            Ok(Ok(None)) => {
                lab.out.line(format!("{url} had no title"));
                continue;
            }
            Ok(Err(reason)) => format!("{url} failed: {reason}"),
            Err(task_error) => format!("{url} failed: {task_error}"),
        };
        outcome.fail(&failure);
        lab.out.line(failure);
    }
    outcome
}
