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
    use std::fs::File;
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// Generous: the book tests take a few seconds; a hang must fail, not stall CI.
    const LIMIT: Duration = Duration::from_secs(180);

    fn run_book_tests(krate: &str, flavor: &str) {
        let exe = std::env::current_exe().expect("the test binary knows where it is");
        let dir = std::env::temp_dir().join(format!(
            "async-lab-book-{krate}-{flavor}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (out, err) = (dir.join("stdout"), dir.join("stderr"));
        let mut child = Command::new(exe)
            .args([&format!("trpl_api::{krate}::"), "--test-threads=1"])
            .env("ASYNC_LAB_FLAVOR", flavor)
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .expect("the test binary runs again");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let status = status.unwrap_or_else(|| {
            panic!("{krate} with ASYNC_LAB_FLAVOR={flavor} hung for {LIMIT:?}:\n{stdout}")
        });
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
