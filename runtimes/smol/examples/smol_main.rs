//! An async `main` on smol, which has no attribute macro of its own: `smol-macros`'s
//! `main!`, applied as an attribute by `macro_rules_attribute`. With an executor argument
//! it starts a thread a core running that executor, and calls `block_on` with the
//! executor running the body, on the thread that runs `main`.
//!
//!     cargo run --quiet -p runtime-smol --example smol_main

use std::sync::Arc;
use std::time::Duration;

use macro_rules_attribute::apply;
use smol::Executor;
use smol_macros::main;

/// Stands in for fetching a page's title: one `.await` on the runtime's own timer.
async fn page_title() -> &'static str {
    smol::Timer::after(Duration::from_millis(10)).await;
    "Async and Await"
}

#[apply(main!)]
async fn main(_executor: &Arc<Executor<'static>>) {
    let title = page_title().await;
    let thread = std::thread::current();
    println!(
        "main's body ran on the thread {:?}",
        thread.name().unwrap_or("unnamed")
    );
    println!("The title was: {title}");
}
