//! Running tokio-only futures (reqwest's) on any executor.
//!
//! reqwest is built on hyper and tokio: its futures need a tokio reactor to be polled
//! within, or they panic with "there is no reactor running". On tokio (and trpl) one is
//! always there. Everywhere else, [`with_tokio_reactor`] wraps the future in
//! `async_compat::Compat`, which lazily starts a single-threaded tokio runtime on a thread
//! of its own (`async-compat/tokio-1`) and enters it around each poll. That thread is the
//! price of using reqwest off tokio, and the thread report shows it as "compat bridge".

use std::future::Future;

/// Runs `future` where a tokio reactor is available: as it is on tokio, or inside
/// `async_compat::Compat` elsewhere.
pub async fn with_tokio_reactor<F: Future>(future: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        future.await
    } else {
        async_compat::Compat::new(future).await
    }
}
