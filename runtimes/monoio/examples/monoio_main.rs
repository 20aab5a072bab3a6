//! An async `main` with `#[monoio::main]` (monoio's `macros` feature): the macro builds a
//! monoio runtime (here with its timer, which monoio leaves off unless asked) and calls its
//! `block_on` with the body, on the thread that runs `main`.
//!
//!     cargo run --quiet -p runtime-monoio --example monoio_main

use std::time::Duration;

/// Stands in for fetching a page's title: one `.await` on the runtime's own timer.
async fn page_title() -> &'static str {
    monoio::time::sleep(Duration::from_millis(10)).await;
    "Async and Await"
}

#[monoio::main(timer_enabled = true)]
async fn main() {
    let title = page_title().await;
    let thread = std::thread::current();
    println!(
        "main's body ran on the thread {:?}",
        thread.name().unwrap_or("unnamed")
    );
    println!("The title was: {title}");
}
