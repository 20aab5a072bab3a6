//! The `trpl` API of every runtime crate, tested once and run against each.
//!
//! `book.rs` is written against a crate called `trpl`, as the book's programs are; it is
//! included once per runtime crate with `use runtime_<rt> as trpl;`. Those run here, on
//! each crate's default configuration. The other configurations run the same tests in a
//! child process of this test binary, with `ASYNC_LAB_FLAVOR` set (the variable is read once
//! per process, so it cannot change between tests of one process).

macro_rules! book_tests_for {
    ($($krate:ident),* $(,)?) => {
        $(
            mod $krate {
                #[allow(unused_imports)]
                use $krate as trpl;
                include!("book.rs");
            }
        )*
    };
}

book_tests_for!(
    runtime_tokio,
    runtime_async_std,
    runtime_smol,
    runtime_futures,
    runtime_trpl,
    runtime_threads
);

mod other_flavors {
    use std::process::Command;

    fn run_book_tests(krate: &str, flavor: &str) {
        let exe = std::env::current_exe().expect("the test binary knows where it is");
        let output = crate::support::output_within(
            Command::new(exe)
                .args([&format!("trpl_api::{krate}::"), "--test-threads=1"])
                .env("ASYNC_LAB_FLAVOR", flavor),
            crate::support::LIMIT,
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let status = output.status;
        assert!(
            status.success(),
            "{krate} with ASYNC_LAB_FLAVOR={flavor} failed:\n{stdout}\n{stderr}"
        );
        let passed: usize = stdout
            .lines()
            .find_map(|l| l.strip_prefix("test result: ok. "))
            .and_then(|rest| rest.split(' ').next()?.parse().ok())
            .unwrap_or(0);
        assert!(
            passed >= 20,
            "only {passed} book tests ran for {krate} ({flavor}):\n{stdout}"
        );
    }

    #[test]
    fn tokio_current_thread() {
        run_book_tests("runtime_tokio", "current-thread");
    }

    #[test]
    fn smol_executor() {
        run_book_tests("runtime_smol", "executor");
    }

    #[test]
    fn futures_thread_pool() {
        run_book_tests("runtime_futures", "thread-pool");
    }
}
