//! The chapter's experiments on every configuration: the book's fixed outputs, and each
//! documented difference between runtimes as an assertion of its own. What an experiment
//! prints and measures is the point, not its process: the runs are in this one where they
//! can be (`Config::outcome`), but for those whose threads, tasks or process are
//! (`downloads`, `drop-handle`, `panic`, tokio's two workers), which run the binary.

use async_lab::registry::{DroppedHandle, PanicOnAwait, PollsOn};
use async_lab_experiments::report::Report;

use crate::support::{Config, Ran, Run};

crate::on_every_configuration!(
    spawn_counts_to_4_or_5_then_stops_with_main,
    spawn_await_counts_to_9,
    join_takes_turns_in_a_fixed_order,
    channel_prints_every_message_and_the_endless_loop_is_cut,
    blocking_runs_each_future_to_its_await,
    yield_interleaves_and_times_both_ways,
    timeout_fails_after_its_time,
    streams_print_as_the_book_shows,
    join_all_and_join_macro,
    thread_to_async_receives_1_to_10,
    downloads_fetch_every_page,
    export_runs_three_ways_or_says_what_is_missing,
    drop_handle_shows_the_runtimes_own_rule,
    panic_is_reported_and_the_process_goes_on,
);

/// The lines of a run that ended with status 0.
fn ok(run: &Ran) -> Vec<String> {
    assert_eq!(run.code, 0, "{:?}", run.report);
    run.report.lines.clone()
}

/// The lines of a run of the binary that ended with status 0.
fn ok_child(run: &Run) -> Vec<String> {
    assert_eq!(
        run.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run.lines().into_iter().map(str::to_string).collect()
}

/// The report of a run ([`Config::outcome`]) that ended with status 0.
fn report_ok(config: Config, scale: f64, args: &[&str]) -> Report {
    let run = config.outcome_scaled(scale, args);
    assert_eq!(run.code, 0, "{:?}", run.report);
    run.report
}

/// The `--json` report of a run of the binary that ended with status 0.
fn json(config: Config, scale: f64, args: &[&str]) -> Report {
    let mut all = vec!["--json"];
    all.extend(args);
    let run = config.run_scaled(scale, &all);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    run.report()
}

fn measure(report: &Report, name: &str) -> f64 {
    report
        .measurements
        .get(name)
        .copied()
        .unwrap_or_else(|| panic!("no measurement {name}: {:?}", report.measurements))
}

fn numbered(task: &str, range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range
        .map(|i| format!("hi number {i} from the {task} task!"))
        .collect()
}

fn from(lines: &[String], task: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.ends_with(&format!("from the {task} task!")))
        .cloned()
        .collect()
}

fn spawn_counts_to_4_or_5_then_stops_with_main(config: Config) {
    let lines = ok(&config.outcome_scaled(0.2, &["spawn"]));
    assert_eq!(from(&lines, "second"), numbered("second", 1..=4));
    let first = from(&lines, "first");
    assert!(
        first == numbered("first", 1..=4) || first == numbered("first", 1..=5),
        "the spawned task should stop at 4 or 5: {lines:?}"
    );
}

fn spawn_await_counts_to_9(config: Config) {
    let lines = ok(&config.outcome_scaled(0.05, &["spawn-await"]));
    assert_eq!(from(&lines, "second"), numbered("second", 1..=4));
    assert_eq!(from(&lines, "first"), numbered("first", 1..=9));
}

fn join_takes_turns_in_a_fixed_order(config: Config) {
    let lines = ok(&config.outcome_scaled(0.1, &["join"]));
    let mut expected = Vec::new();
    for i in 1..=4 {
        expected.push(format!("hi number {i} from the first task!"));
        expected.push(format!("hi number {i} from the second task!"));
    }
    expected.extend(numbered("first", 5..=9));
    assert_eq!(lines, expected);
}

fn channel_prints_every_message_and_the_endless_loop_is_cut(config: Config) {
    let run = config.outcome_scaled(0.05, &["channel"]);
    let lines = ok(&run);
    let words = |ws: &[&str]| {
        ws.iter()
            .map(|w| format!("received '{w}'"))
            .collect::<Vec<_>>()
    };
    let first = words(&["hi", "from", "the", "future"]);
    assert_eq!(lines[0], "received 'hi'");
    assert_eq!(lines[1..5], first[..], "17-10/17-11: {lines:?}");
    assert_eq!(lines[5..9], first[..], "17-12: {lines:?}");
    let mut two_producers = lines[9..].to_vec();
    assert_eq!(two_producers.len(), 8, "17-13: {lines:?}");
    let ordered: Vec<String> = two_producers
        .iter()
        .filter(|l| first.contains(l))
        .cloned()
        .collect();
    assert_eq!(ordered, first, "one producer's messages keep their order");
    two_producers.sort();
    let mut all = words(&[
        "hi", "from", "the", "future", "more", "messages", "for", "you",
    ]);
    all.sort();
    assert_eq!(two_producers, all);
    // Said on stderr, as a remark.
    assert!(
        run.report
            .remarks
            .iter()
            .any(|r| r.contains("was still waiting")),
        "the endless loop is reported: {:?}",
        run.report.remarks
    );
}

fn blocking_runs_each_future_to_its_await(config: Config) {
    let report = report_ok(config, 0.2, &["blocking"]);
    // The book's 30, 10, 20 and 75, 10, 15, 350 ms, at --time-scale 0.2.
    assert_eq!(
        report.lines,
        [
            "'a' started.",
            "'a' ran for 6ms",
            "'a' ran for 2ms",
            "'a' ran for 4ms",
            "'b' started.",
            "'b' ran for 15ms",
            "'b' ran for 2ms",
            "'b' ran for 3ms",
            "'b' ran for 70ms",
            "'a' finished.",
        ]
    );
    // The documented difference: with one thread for everything, a timer waits out
    // the whole blocked time; thread-per-task never shares a thread.
    let (late, blocked) = (
        measure(&report, "ticker_late_ms"),
        measure(&report, "blocked_ms"),
    );
    if config.is_current_thread() {
        assert!(
            late >= blocked * 0.8,
            "current-thread: a {blocked} ms block should delay the timer, it was {late} ms late"
        );
    }
    if config.capabilities().polls_on == PollsOn::ThreadPerTask {
        assert!(
            late < blocked * 0.5,
            "thread-per-task: the ticker has its own thread, yet was {late} ms late"
        );
    }
}

fn yield_interleaves_and_times_both_ways(config: Config) {
    let lines = ok(&config.outcome_scaled(0.5, &["yield"]));
    // The book's 30, 75, 10, 10, 20, 15 ms, at --time-scale 0.5.
    let book = [
        "'a' started.",
        "'a' ran for 15ms",
        "'b' started.",
        "'b' ran for 37.5ms",
        "'a' ran for 5ms",
        "'b' ran for 5ms",
        "'a' ran for 10ms",
        "'b' ran for 7.5ms",
        "'a' finished.",
    ];
    // Last the two timings; before them 17-17's nine lines; before those 17-16's, where
    // how far 'b' gets before 'a' wins the race depends on when each timer fires.
    assert!(lines.len() >= 2 + 9 + 5, "{lines:?}");
    let n = lines.len();
    assert_eq!(lines[n - 11..n - 2], book, "17-17 (yield_now): {lines:?}");
    let sleep_part = &lines[..n - 11];
    let a_lines: Vec<&str> = sleep_part
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("'a'"))
        .collect();
    assert_eq!(
        a_lines,
        book.iter()
            .copied()
            .filter(|l| l.starts_with("'a'"))
            .collect::<Vec<_>>(),
        "17-16 (1 ms sleeps): 'a' runs every step and wins the race: {lines:?}"
    );
    let position = |entry: &str| {
        sleep_part
            .iter()
            .position(|e| e == entry)
            .unwrap_or(usize::MAX)
    };
    assert!(
        position("'b' started.") < position("'a' ran for 10ms"),
        "17-16 (1 ms sleeps) interleaves: {lines:?}"
    );
    assert!(
        lines[n - 2].starts_with("'sleep' version finished after ")
            && lines[n - 2].ends_with(" seconds.")
    );
    assert!(
        lines[n - 1].starts_with("'yield' version finished after ")
            && lines[n - 1].ends_with(" seconds.")
    );
}

fn timeout_fails_after_its_time(config: Config) {
    let report = report_ok(config, 0.05, &["timeout"]);
    assert_eq!(
        report.lines.first().map(String::as_str),
        Some("Failed after 0.1 seconds"),
        "{:?}",
        report.lines
    );
    let took = measure(&report, "select_timeout_ms");
    assert!(
        (100.0..2_000.0).contains(&took),
        "the timeout fired after {took} ms"
    );
    let own = config.capabilities().own_timeout.map(|t| t.name);
    let has_own = own.is_some();
    if let Some(name) = own {
        assert!(
            report.remarks.iter().any(|r| r.starts_with(name)),
            "the remark names {name}: {:?}",
            report.remarks
        );
    }
    assert_eq!(
        report.measurements.contains_key("own_timeout_ms"),
        has_own,
        "{:?}",
        report.measurements
    );
    assert_eq!(
        report.unsupported.is_empty(),
        has_own,
        "{:?}",
        report.unsupported
    );
}

fn streams_print_as_the_book_shows(config: Config) {
    let lines = ok(&config.outcome_scaled(0.5, &["streams"]));
    let doubled: Vec<String> = (1..=10)
        .map(|n| format!("The value was: {}", n * 2))
        .collect();
    assert_eq!(lines[..10], doubled[..]);
    let filtered: Vec<String> = (1..101)
        .map(|n| n * 2)
        .filter(|v| v % 3 == 0 || v % 5 == 0)
        .map(|v| format!("The value was: {v}"))
        .collect();
    assert_eq!(lines[10..10 + filtered.len()], filtered[..]);
    let rest = &lines[10 + filtered.len()..];
    let messages: Vec<String> = "abcdefghij"
        .chars()
        .map(|c| format!("Message: '{c}'"))
        .collect();
    let timed_part: Vec<&String> = rest
        .iter()
        .take_while(|l| l.starts_with("Message") || l.starts_with("Problem"))
        .collect();
    let got: Vec<&String> = timed_part
        .iter()
        .copied()
        .filter(|l| l.starts_with("Message"))
        .collect();
    assert_eq!(got.len(), 10, "{rest:?}");
    assert!(got.iter().zip(&messages).all(|(a, b)| *a == b), "{rest:?}");
    let problems = timed_part
        .iter()
        .filter(|l| **l == "Problem: Elapsed(())")
        .count();
    assert!(
        (4..=10).contains(&problems),
        "a timeout after each 300 ms gap: {rest:?}"
    );
    let merged = &rest[timed_part.len()..];
    assert_eq!(merged.len(), 20, "take(20): {merged:?}");
    assert!(
        merged.iter().any(|l| l.starts_with("Interval: "))
            && merged.iter().any(|l| l.starts_with("Message: ")),
        "{merged:?}"
    );
}

fn join_all_and_join_macro(config: Config) {
    let lines = ok(&config.outcome_scaled(0.05, &["join-all"]));
    assert_eq!(lines.len(), 9, "{lines:?}");
    assert_eq!(lines[8], "1, Hello!, true");
    assert!(lines[..8].iter().all(|l| l.starts_with("received '")));
}

fn thread_to_async_receives_1_to_10(config: Config) {
    let lines = ok(&config.outcome_scaled(0.01, &["thread-to-async"]));
    assert_eq!(lines, (1..=10).map(|i| i.to_string()).collect::<Vec<_>>());
}

fn downloads_fetch_every_page(config: Config) {
    let report = json(config, 1.0, &["downloads", "40", "100"]);
    assert_eq!(
        report.lines.first().map(String::as_str),
        Some("downloaded 40 of 40 pages"),
        "{:?}",
        report.lines
    );
    assert_eq!(measure(&report, "pages"), 40.0);
    let downloads = report
        .tasks
        .iter()
        .filter(|t| t.name.starts_with("download "))
        .count();
    assert_eq!(downloads, 40);
    // Concurrent: 40 pages of 100 ms each take far less than 40 x 100 ms.
    assert!(
        measure(&report, "downloads_ms") < 2_000.0,
        "{:?}",
        report.measurements
    );
    if config.capabilities().polls_on == PollsOn::ThreadPerTask {
        let task_threads = report
            .threads
            .list
            .iter()
            .filter(|t| t.name.starts_with("task-"))
            .count();
        assert_eq!(task_threads, 40, "thread-per-task: one thread per download");
    } else {
        assert!(
            report.threads.peak < 20,
            "an executor waits for 40 downloads on a few threads: {:?}",
            report.threads
        );
    }
}

fn export_runs_three_ways_or_says_what_is_missing(config: Config) {
    let report = report_ok(config, 0.2, &["export", "4", "50"]);
    let lines = &report.lines;
    assert_eq!(
        lines[0],
        "exported 4 frames on the executor, one task a frame"
    );
    assert_eq!(lines[2], "exported 4 frames on a dedicated thread");
    let has_blocking_pool = config.capabilities().blocking.map(|b| b.spawn).is_some();
    if has_blocking_pool {
        assert_eq!(lines[1], "exported 4 frames on spawn_blocking");
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
    } else {
        assert!(
            lines[1].starts_with("spawn_blocking: not available on "),
            "{lines:?}"
        );
        assert_eq!(report.unsupported, ["spawn_blocking"]);
    }
    // The ticker's lateness is a time within the run.
    for mode in ["executor", "thread"] {
        let late = measure(&report, &format!("{mode}_ticker_late_ms"));
        assert!(
            (0.0..report.wall_ms).contains(&late),
            "{mode}: {late} ms late in a run of {} ms",
            report.wall_ms
        );
    }
}

fn drop_handle_shows_the_runtimes_own_rule(config: Config) {
    // The runtime's own spawn, whose task may outlive the run: a process of its own.
    let lines = ok_child(&config.run_scaled(0.1, &["drop-handle"]));
    // smol's Task and the futures crate's RemoteHandle cancel their task when dropped;
    // tokio's, async-std's and std's handles detach it.
    let capabilities = config.capabilities();
    let cancels = capabilities.dropped_handle == DroppedHandle::Cancels;
    let expected = if cancels {
        "never finished after its handle was dropped: dropping cancels"
    } else {
        "finished after its handle was dropped: dropping detaches"
    };
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(capabilities.raw_spawn), "{lines:?}");
    assert!(
        lines[0].ends_with(expected),
        "{}: {}",
        config.runtime,
        lines[0]
    );
}

fn panic_is_reported_and_the_process_goes_on(config: Config) {
    let run = config.run_scaled(0.1, &["panic"]);
    let lines = ok_child(&run);
    assert!(lines[0].contains("a task panicked on purpose"), "{lines:?}");
    let capabilities = config.capabilities();
    // monoio's task panics with no catch_unwind around it: out of its block_on (in a new
    // runtime on a thread of its own), which the thread catches.
    let torn_down = format!(
        "never came back: the panic unwound out of {}, ending the main future with it",
        capabilities.block_on
    );
    let expected = match capabilities.panic {
        PanicOnAwait::Propagates => "carried the panic into the awaiting task",
        PanicOnAwait::Error => "gave an error",
        PanicOnAwait::TearsDownBlockOn => &torn_down,
    };
    assert!(
        lines[0].contains(expected),
        "{}: {}",
        config.runtime,
        lines[0]
    );
    assert_eq!(lines[1], "the process goes on after the panic");
    assert!(
        run.stderr.contains("panic on thread") && !run.stderr.contains("stack backtrace"),
        "{}",
        run.stderr
    );
}

/// Known truth: tokio's multi-thread runtime with 2 workers spreads the CPU-heavy frames
/// of `export` over both of them.
#[test]
fn tokio_with_two_workers_spreads_export_frames_over_both() {
    let config = Config::new("tokio", "multi-thread");
    let report = json(config, 0.2, &["--workers", "2", "export", "8", "50"]);
    let frame_threads: std::collections::BTreeSet<u64> = report
        .tasks
        .iter()
        .filter(|t| t.name.starts_with("frame "))
        .flat_map(|t| t.threads.iter().copied())
        .collect();
    assert!(
        frame_threads.len() >= 2,
        "8 frames ran on {frame_threads:?}"
    );
}
