//! An async `main` with `#[tokio::main]`: the macro builds a multi-thread runtime and
//! calls its `block_on` with the body, on the thread that runs `main`.
//!
//!     cargo run --quiet -p runtime-tokio --example tokio_main

use std::time::Duration;

/// Stands in for fetching a page's title: one `.await` on the runtime's own timer.
async fn page_title() -> &'static str {
    tokio::time::sleep(Duration::from_millis(10)).await;
    "Async and Await"
}

#[tokio::main]
async fn main() {
    let title = page_title().await;
    let thread = std::thread::current();
    println!(
        "main's body ran on the thread {:?}",
        thread.name().unwrap_or("unnamed")
    );
    println!("The title was: {title}");
}
