//! The `trpl` API of every runtime crate, tested once and run against each.
//!
//! `book.rs` is written against a crate called `trpl`, as the book's programs are; it is
//! included once per runtime crate with `use runtime_<rt> as trpl;`. Those run here, on
//! each crate's default configuration. The other configurations run the same tests in a
//! child process of this test binary, with `ASYNC_LAB_FLAVOR` set (the variable is read once
//! per process, so it cannot change between tests of one process).

macro_rules! book_tests_for {
    ($($krate:ident::$runtime:ident),* $(,)?) => {
        $(
            mod $krate {
                #[allow(unused_imports)]
                use $krate as trpl;
                include!("book.rs");
            }
        )*
    };
}

async_lab::runtimes!(book_tests_for);

/// How many tests `book.rs` has: every one runs on every configuration.
const BOOK_TESTS: usize = 33;

/// Every configuration that is not its crate's default runs the same book tests in a
/// child process of this test binary, with `ASYNC_LAB_FLAVOR` set; the list comes from
/// the registry.
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
        assert_eq!(
            passed,
            super::BOOK_TESTS,
            "book tests that ran for {krate} ({flavor}):\n{stdout}"
        );
    }

    fn book_tests_on_this_flavor(config: crate::support::Config) {
        let runtime = async_lab::runtime_named(config.runtime).expect("a runtime of the registry");
        if runtime.configurations[0].flavor == config.flavor {
            return; // The default flavor runs in this process, in trpl_api::<crate>.
        }
        let krate = format!("runtime_{}", config.runtime.replace('-', "_"));
        run_book_tests(&krate, config.flavor);
    }

    crate::on_every_configuration!(book_tests_on_this_flavor);
}

/// A learner's program on any runtime crate: with `ASYNC_LAB_REPORT=1` the thread report
/// (its runtime, its threads, its `main` task and the futures of its `join`) and the text
/// timeline are on stderr; with `ASYNC_LAB_TIMELINE` an SVG picture of the same is written;
/// with `ASYNC_LAB_TRACE` the Chrome trace; stdout is the same with or without them, and
/// without them stderr has no report.
#[test]
fn a_book_program_reports_on_stderr_when_asked() {
    let exe = std::env::current_exe().expect("the test binary knows where it is");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for runtime in async_lab::RUNTIMES {
        let krate = format!("runtime_{}", runtime.name.replace('-', "_"));
        let svg = dir.join(format!("book-{}.svg", runtime.name));
        let trace = dir.join(format!("book-{}.json", runtime.name));
        let _ = std::fs::remove_file(&svg);
        let _ = std::fs::remove_file(&trace);
        let run = |vars: &[(&str, &std::ffi::OsStr)]| {
            let mut command = std::process::Command::new(&exe);
            command
                .args([
                    &format!("trpl_api::{krate}::a_small_book_program"),
                    "--exact",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env_remove("ASYNC_LAB_REPORT")
                .env_remove("ASYNC_LAB_TIMELINE")
                .env_remove("ASYNC_LAB_TRACE");
            for (name, value) in vars {
                command.env(name, value);
            }
            let output = crate::support::output_within(&mut command, crate::support::LIMIT);
            assert!(output.status.success(), "{krate}: {output:?}");
            let book_lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
                .lines()
                // The harness's `test … ` stands before the first line, unbroken.
                .filter_map(|l| l.find("book: ").map(|at| l[at..].to_string()))
                .collect();
            (
                book_lines,
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        };
        let (plain_out, plain_err) = run(&[]);
        let (report_out, report_err) = run(&[
            ("ASYNC_LAB_REPORT", "1".as_ref()),
            ("ASYNC_LAB_TIMELINE", svg.as_os_str()),
            ("ASYNC_LAB_TRACE", trace.as_os_str()),
        ]);
        assert_eq!(plain_out.len(), 6, "{krate}: {plain_out:?}");
        assert_eq!(plain_out, report_out, "{krate}: stdout is the same");
        assert!(!plain_err.contains("thread report"), "{krate}: {plain_err}");
        let flavor = runtime.configurations[0].flavor;
        for expected in [
            format!("── thread report: {} ({flavor}), ", runtime.name),
            "timeline (one row per thread".to_string(),
            "A › join #1".to_string(),
            "A › join #2".to_string(),
            "  main ".to_string(),
        ] {
            assert!(
                report_err.contains(&expected),
                "{krate}: no '{expected}' in stderr:\n{report_err}"
            );
        }
        let picture = std::fs::read_to_string(&svg).expect("the timeline was written");
        let doc = roxmltree::Document::parse(&picture).expect("the SVG is XML");
        assert!(
            doc.descendants()
                .any(|n| n.attribute("class") == Some("future")),
            "{krate}: the picture has the join's futures"
        );
        let trace: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&trace).expect("the trace was written"))
                .expect("the trace is JSON");
        let events = trace["traceEvents"].as_array().expect("traceEvents");
        assert!(
            events.iter().any(|e| e["ph"] == "X" && e["name"] == "main"),
            "{krate}: the trace has main's polls"
        );
    }
}

/// A book program on any runtime crate, given a flavor the crate lacks or a variable out
/// of its bounds, ends at its first call with one line and exit status 2, not a panic.
#[test]
fn a_refused_variable_ends_a_book_program_with_one_line() {
    let exe = std::env::current_exe().expect("the test binary knows where it is");
    for runtime in async_lab::RUNTIMES {
        let krate = format!("runtime_{}", runtime.name.replace('-', "_"));
        let flavors: Vec<&str> = runtime.configurations.iter().map(|c| c.flavor).collect();
        for (name, value, line) in [
            (
                "ASYNC_LAB_FLAVOR",
                "nope",
                format!(
                    "no flavor 'nope'; runtime-{} has: {}: a run on another configuration than the one asked for would make every comparison wrong",
                    runtime.name,
                    flavors.join(", ")
                ),
            ),
            (
                "RUST_MIN_STACK",
                "1",
                "takes a whole number from 262144 to 67108864: a smaller stack overflows (the process dies without a message); a larger one is reserved by every thread, 10,000 of them with a thread per task".to_string(),
            ),
            (
                "ASYNC_LAB_REPORT",
                "yes",
                "takes 1 (on) or 0 (off): any other value would leave it unclear whether the report was asked for".to_string(),
            ),
            (
                "ASYNC_LAB_TIMELINE",
                "no/such/folder/out.svg",
                "no folder no/such/folder: a path that cannot be written would lose the picture at the end of the run".to_string(),
            ),
        ] {
            let output = crate::support::output_within(
                std::process::Command::new(&exe)
                    .args([
                        &format!("trpl_api::{krate}::block_on_and_run_return_the_output"),
                        "--exact",
                        "--test-threads=1",
                    ])
                    .env(name, value),
                crate::support::LIMIT,
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{krate} {name}={value}: {stderr}"
            );
            assert_eq!(
                stderr,
                format!("environment variable {name}=\"{value}\": {line}\n"),
                "{krate} {name}={value}"
            );
        }
    }
}
