//! Cross-runtime integration tests: one test binary, one module per concern, every
//! behaviour asserted on every runtime configuration.
//!
//! Every run is against the embedded site started once in this test process. Where the
//! thread census or the process itself is the point (thread counts, the report's threads
//! and tasks, an environment variable, stdout, exit status as the shell sees it, a signal,
//! a crash, a limit, a panic), a test runs the driver binary as one runtime
//! (`async-lab --child RT --flavor F ...`) in a process of its own, so the threads are the
//! runtime's alone. Where what a run prints is the point (its lines, exit status and
//! measurements), it runs the binary's own command line in this process
//! (`Config::outcome`, through `RuntimeCrate::run_in_process`), or in a child where that
//! run needs one. The `trpl_api` tests call each runtime crate's trpl-compatible API in
//! this process (see that module). Nothing here reaches the internet.

// A failed unwrap in a test is a failed test, with its message: what a test wants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod bench;
mod chrome_trace;
mod driver;
mod experiments;
mod failures;
mod machinery;
mod main_macros;
mod misuse;
mod notes;
mod page_title;
mod pitfalls;
mod race;
mod registry;
mod report;
mod site_abuse;
mod threads;
mod timeline;
mod trpl_api;
mod usage;

/// Makes `$test` (a function taking a [`support::Config`]) a test that runs on every
/// runtime configuration of the registry (`async_lab::configurations()`), several at
/// once, and fails naming each configuration that failed and why. Adding a
/// configuration to a runtime crate adds it here with no edit.
/// `ASYNC_LAB_ONLY=smol:local` (or `smol`) runs only the configurations named.
macro_rules! on_every_configuration {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[test]
                fn on_every_configuration() {
                    crate::support::on_every_configuration(super::$test)
                }
            }
        )*
    };
}
pub(crate) use on_every_configuration;
