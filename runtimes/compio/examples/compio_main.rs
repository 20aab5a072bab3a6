//! An async `main` with `#[compio::main]` (compio's `macros` feature): the macro builds a
//! compio runtime and calls its `block_on` with the body, on the thread that runs `main`.
//!
//!     cargo run --quiet -p runtime-compio --example compio_main

use std::time::Duration;

/// Stands in for fetching a page's title: one `.await` on the runtime's own timer.
async fn page_title() -> &'static str {
    compio::runtime::time::sleep(Duration::from_millis(10)).await;
    "Async and Await"
}

#[compio::main]
async fn main() {
    let title = page_title().await;
    let thread = std::thread::current();
    println!(
        "main's body ran on the thread {:?}",
        thread.name().unwrap_or("unnamed")
    );
    println!("The title was: {title}");
}
