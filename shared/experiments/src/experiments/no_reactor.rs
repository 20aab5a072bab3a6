//! `no-reactor`: futures that only work inside a tokio runtime (a tokio timer, a reqwest
//! request), polled in a task of each executor with no bridge: tokio's panic where there
//! is no tokio runtime, caught and shown. Then the same futures inside
//! `async_compat::Compat`, which works everywhere, at the price of a thread of its own
//! off tokio.

use std::collections::BTreeSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use async_compat::Compat;
use futures::FutureExt;

use super::{Lab, Outcome, ms};
use crate::census;
use crate::runtime::{Runtime, panic_message};

/// Polls `future` in a task of the runtime, and says what came of it: its own line, or
/// the panic's message.
async fn in_a_task<R, F>(lab: &Lab<R>, name: &str, future: F) -> String
where
    R: Runtime,
    F: Future<Output = String> + Send + 'static,
{
    let caught = AssertUnwindSafe(future).catch_unwind();
    match lab.spawn(name, caught).await {
        Ok(Ok(line)) => line,
        Ok(Err(payload)) => format!("panicked: {}", panic_message(&*payload)),
        Err(e) => format!("the task failed: {e}"),
    }
}

/// A tokio timer of 1 ms. The `async` block makes it on its first poll, where the
/// runtime (or `Compat`) is entered: `tokio::time::sleep` looks for the runtime when
/// it is made.
async fn tokio_timer() -> String {
    tokio::time::sleep(ms(1)).await;
    "it fired".to_string()
}

/// A GET of `url` with a client of its own (no pooled connection from another runtime).
async fn reqwest_get(url: String) -> String {
    match reqwest::get(&url).await {
        Ok(response) => format!("it answered {}", response.status()),
        Err(e) => format!("it failed: {e}"),
    }
}

/// The experiment: both futures without a bridge, then both inside `Compat`.
pub async fn no_reactor<R: Runtime>(lab: &Lab<R>) -> Outcome {
    lab.out.remark(
        "tokio futures are polled off tokio on purpose: `panic on thread` lines are expected there",
    );
    let url = lab.site().url("/plain");
    let timer = in_a_task(lab, "tokio timer", tokio_timer()).await;
    lab.out
        .line(format!("tokio::time::sleep, polled as it is: {timer}"));
    let get = in_a_task(lab, "reqwest::get", reqwest_get(url.clone())).await;
    lab.out
        .line(format!("reqwest::get, polled as it is: {get}"));

    // Compat uses the tokio runtime it is polled in, if any; else it starts one of its
    // own, on a thread of its own, the first time it is polled. The census sees it.
    let before = census::snapshot();
    let timer = in_a_task(lab, "tokio timer in Compat", Compat::new(tokio_timer())).await;
    lab.out.line(format!(
        "tokio::time::sleep inside async_compat::Compat: {timer}"
    ));
    let get = in_a_task(lab, "reqwest::get in Compat", Compat::new(reqwest_get(url))).await;
    lab.out
        .line(format!("reqwest::get inside async_compat::Compat: {get}"));
    lab.out.line(match (before, census::snapshot()) {
        (Some(before), Some(after)) => {
            let added: BTreeSet<&String> = after
                .iter()
                .filter(|(tid, name)| !before.contains_key(tid) && name.starts_with("async-compat"))
                .map(|(_, name)| name)
                .collect();
            if added.is_empty() {
                "async_compat::Compat added no thread: it used the tokio runtime its task ran in"
                    .to_string()
            } else {
                let names: Vec<&str> = added.iter().map(|n| n.as_str()).collect();
                format!(
                    "async_compat::Compat added a thread for a tokio runtime of its own: {}",
                    names.join(", ")
                )
            }
        }
        _ => "the thread census is not available here: which threads Compat added is unknown"
            .to_string(),
    });
    Outcome::default()
}
