//! Cross-runtime integration tests: one test binary, one module per concern, every
//! behaviour asserted on every runtime configuration.
//!
//! Each test runs the driver binary as one runtime (`async-lab --child RT --flavor F ...`)
//! in a process of its own, so thread counts are the runtime's alone, against the
//! embedded site started once in this test process. The `trpl_api` tests instead call each
//! runtime crate's trpl-compatible API in this process (see that module). Nothing here
//! reaches the internet.

// A failed unwrap in a test is a failed test, with its message: what a test wants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod driver;
mod experiments;
mod failures;
mod notes;
mod page_title;
mod race;
mod report;
mod timeline;
mod trpl_api;
mod usage;

/// Instantiates `$test` (a function taking a [`support::Config`]) once per runtime
/// configuration, as `$test::tokio_multi_thread`, `$test::smol_global` and so on.
macro_rules! on_every_configuration {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                use crate::support::Config;
                #[test] fn tokio_multi_thread() { super::$test(Config::new("tokio", "multi-thread")) }
                #[test] fn tokio_current_thread() { super::$test(Config::new("tokio", "current-thread")) }
                #[test] fn async_std_global() { super::$test(Config::new("async-std", "global")) }
                #[test] fn smol_global() { super::$test(Config::new("smol", "global")) }
                #[test] fn smol_executor() { super::$test(Config::new("smol", "executor")) }
                #[test] fn futures_local_pool() { super::$test(Config::new("futures", "local-pool")) }
                #[test] fn futures_thread_pool() { super::$test(Config::new("futures", "thread-pool")) }
                #[test] fn trpl() { super::$test(Config::new("trpl", "trpl")) }
                #[test] fn threads() { super::$test(Config::new("threads", "thread-per-task")) }
            }
        )*
    };
}
pub(crate) use on_every_configuration;
