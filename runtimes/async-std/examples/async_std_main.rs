//! An async `main` with `#[async_std::main]` (async-std's `attributes` feature): the macro
//! calls `async_std::task::block_on` with the body, on the thread that runs `main`.
//!
//!     cargo run --quiet -p runtime-async-std --example async_std_main

use std::time::Duration;

/// Stands in for fetching a page's title: one `.await` on the runtime's own timer.
async fn page_title() -> &'static str {
    async_std::task::sleep(Duration::from_millis(10)).await;
    "Async and Await"
}

#[async_std::main]
async fn main() {
    let title = page_title().await;
    let thread = std::thread::current();
    println!(
        "main's body ran on the thread {:?}",
        thread.name().unwrap_or("unnamed")
    );
    println!("The title was: {title}");
}
