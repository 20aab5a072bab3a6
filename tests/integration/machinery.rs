//! The machinery under the chapter, on every configuration: futures are lazy and tasks are
//! not (`lazy`), a hand-written future and its waker (`waker`), pinning (`pinning`), who
//! wins a select (`fairness`), what a dropped future loses (`cancel`) and what a future
//! polled again after `Ready` does (`poll-after-ready`). Each asserts
//! what the run observed (the order of lines, the threads, the counts it computed), and
//! the parts that depend on the configuration against its registry entry. What they
//! print is the point, not their process: they run in this one where they can be
//! (`Config::outcome`), but for `waker`, whose threads are, and `poll-after-ready`, whose
//! panics on purpose go through the process's panic hook, which run the binary.

use async_lab::registry::PollsOn;
use async_lab_experiments::report::Report;

use crate::support::Config;

crate::on_every_configuration!(
    lazy_futures_wait_for_a_poll_and_tasks_do_not,
    waker_polls_pending_then_ready_woken_from_the_timer_thread,
    pinning_runs_both_fixes_and_the_pinned_future_stays,
    fairness_is_the_combinators_biased_or_random,
    cancel_loses_the_messages_a_dropped_batch_held,
    a_future_polled_after_ready_panics_unless_fused,
);

/// The report of a run ([`Config::outcome`]) that must succeed.
fn report(config: Config, experiment: &str) -> Report {
    let run = config.outcome(&[experiment]);
    assert_eq!(run.code, 0, "{:?}", run.report.errors);
    assert!(run.report.ok, "{:?}", run.report.errors);
    run.report
}

/// The `--json` report of a run of the binary that must succeed.
fn json_report(config: Config, experiment: &str) -> Report {
    let run = config.run(&["--json", experiment]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    run.assert_no_panic();
    let report = run.report();
    assert!(report.ok, "{:?}", report.errors);
    report
}

fn position(lines: &[String], line: &str) -> usize {
    lines
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no line {line:?} in {lines:?}"))
}

fn lazy_futures_wait_for_a_poll_and_tasks_do_not(config: Config) {
    let lines = report(config, "lazy").lines;
    // The dropped block's body printed nothing; the others ran before main waited on them.
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("dropped async block's body")),
        "{lines:?}"
    );
    assert_eq!(
        lines[..4],
        [
            "an async block, created and left alone while main slept: its body has not run",
            "the async block's body runs, on its first poll",
            "the same block, awaited: its body ran",
            "another async block, created and dropped without a poll: its body never ran",
        ]
    );
    let spawn = position(
        &lines,
        "spawn_task called; main goes on without awaiting the handle",
    );
    let task = position(&lines, "the spawned task's body runs");
    let awaits = position(
        &lines,
        "main awaits the task's handle now: its body ran already",
    );
    assert!(spawn < task && task < awaits, "{lines:?}");
    let thread_spawn = position(
        &lines,
        "thread::spawn called; main goes on without joining the thread",
    );
    let thread = position(&lines, "the thread's body runs");
    let joins = position(&lines, "main joins the thread now: its body ran already");
    assert!(thread_spawn < thread && thread < joins, "{lines:?}");
    assert_eq!(lines.len(), 10, "{lines:?}");
}

/// The log of one awaiting, from the remarks: (poll thread ids with their results, wake
/// thread ids).
fn waker_log(report: &Report, who: &str) -> (Vec<(u64, String)>, Vec<u64>) {
    let (mut polls, mut wakes) = (Vec::new(), Vec::new());
    for remark in &report.remarks {
        let Some(rest) = remark.strip_prefix(&format!("{who}: ")) else {
            continue;
        };
        if let Some(poll) = rest.strip_prefix("poll on tid ") {
            let (tid, result) = poll.split_once(": ").unwrap();
            polls.push((tid.parse().unwrap(), result.to_string()));
        } else if let Some(tid) = rest.strip_prefix("wake from tid ") {
            wakes.push(tid.parse().unwrap());
        }
    }
    (polls, wakes)
}

fn waker_polls_pending_then_ready_woken_from_the_timer_thread(config: Config) {
    let report = json_report(config, "waker");
    let main_tid = report
        .threads
        .list
        .iter()
        .find(|t| t.role == async_lab_experiments::census::Role::Main)
        .map(|t| t.tid);
    for (who, key, header) in [
        (
            "the main future",
            "main",
            "the main future awaits the hand-written timer:",
        ),
        (
            "a spawned task",
            "task",
            "a spawned task awaits the hand-written timer:",
        ),
    ] {
        let (polls, wakes) = waker_log(&report, who);
        assert!(polls.len() >= 2, "{who}: {polls:?}");
        assert_eq!(polls[0].1, "Pending", "{who}: {polls:?}");
        assert_eq!(polls.last().unwrap().1, "Ready", "{who}: {polls:?}");
        assert_eq!(wakes.len(), 1, "{who}: {wakes:?}");
        // The wake came from the timer's thread, which never polled the future.
        assert!(
            polls.iter().all(|(tid, _)| *tid != wakes[0]),
            "{who}: {polls:?} {wakes:?}"
        );
        assert_eq!(
            report.measurements[&format!("{key}_polls")],
            polls.len() as f64
        );
        assert_eq!(report.measurements[&format!("{key}_wakes")], 1.0);
        // The lines: the header, then one line per event, the wake before the last poll.
        let lines = &report.lines;
        let at = position(lines, header);
        let events = &lines[at + 1..at + 1 + polls.len() + wakes.len()];
        assert!(events.last().unwrap().ends_with(": Ready"), "{events:?}");
        assert_eq!(
            events[events.len() - 2],
            "  wake, from the timer's own thread"
        );
        // Where the polls ran: the main future always on the block_on thread; a task
        // where the registry says tasks are polled.
        let on_block_on =
            who == "the main future" || config.capabilities().polls_on == PollsOn::BlockOnThread;
        let expected = if on_block_on {
            "  poll, on the block_on thread: "
        } else {
            "  poll, on another thread: "
        };
        for line in events.iter().filter(|l| l.starts_with("  poll")) {
            assert!(line.starts_with(expected), "{who}: {events:?}");
        }
        if let (true, Some(main_tid)) = (who == "the main future", main_tid) {
            assert!(polls.iter().all(|(tid, _)| *tid == main_tid), "{polls:?}");
        }
    }
}

fn pinning_runs_both_fixes_and_the_pinned_future_stays(config: Config) {
    let report = report(config, "pinning");
    let m = &report.measurements;
    let lines = &report.lines;
    assert_eq!(
        lines[..2],
        [
            "listing 17-24, pin! and Vec<Pin<&mut dyn Future<Output = ()>>>: join_all ran the three futures, 8 messages received",
            "Box::pin and Vec<Pin<Box<dyn Future<Output = ()>>>>: join_all ran the three futures, 8 messages received",
        ]
    );
    // The sizes, from size_of_val: the future around pin!'s three futures holds them all;
    // the one around Box::pin's holds pointers. Both vectors hold two-word pointers.
    let inner = m["tx1_fut_bytes"] + m["rx_fut_bytes"] + m["tx_fut_bytes"];
    assert!(m["with_pin_bytes"] >= inner, "{m:?}");
    assert!(m["with_box_pin_bytes"] < m["with_pin_bytes"], "{m:?}");
    let word = std::mem::size_of::<usize>() as f64;
    assert_eq!(m["pin_element_bytes"], 2.0 * word);
    assert_eq!(m["box_element_bytes"], 2.0 * word);
    assert!(lines[2].starts_with("the future that pins them with pin! is larger than the one"));
    // The self-referential future: its local is inside it, and stays put.
    assert!(
        m["self_referential_local_offset"] + 64.0 <= m["self_referential_bytes"],
        "{m:?}"
    );
    assert_eq!(
        lines[3..],
        [
            "an unpolled self-referential future, moved into Box::pin: it moved (allowed: nothing in it points into it before its first poll)",
            "polled once (Pending): the local it borrows across its .await is inside the future's own bytes",
            "its Box moved into a task, which awaited it: the Box moved, the future stayed where it was, and the borrowed local stayed where it was (64 bytes read through the reference)",
            "the same pinned with pin!, polled once (Pending), its Pin<&mut _> moved through a Vec and awaited: the future stayed where it was, the borrowed local stayed where it was (64 bytes)",
        ]
    );
}

fn fairness_is_the_combinators_biased_or_random(config: Config) {
    let report = report(config, "fairness");
    let m = &report.measurements;
    let biased = [
        ("trpl::select", "trpl_select"),
        ("futures::select_biased!", "futures_select_biased"),
        ("tokio::select! with biased;", "tokio_select_biased"),
    ];
    let random = [
        ("futures::select!", "futures_select"),
        ("tokio::select!", "tokio_select"),
    ];
    for (name, key) in biased.iter().chain(&random) {
        let (first, second) = (m[&format!("{key}_first")], m[&format!("{key}_second")]);
        assert_eq!(first + second, 1000.0, "{name}: {first} + {second}");
        let is_biased = biased.iter().any(|(_, k)| k == key);
        if is_biased {
            // Polled in the order written: the first, ready at once, always wins.
            assert_eq!(first, 1000.0, "{name}");
            assert!(
                report
                    .lines
                    .contains(&format!("{name}: the first future won all 1,000 races")),
                "{:?}",
                report.lines
            );
        } else {
            // A random start: with 1,000 fair coin flips, a side below 100 would take a
            // chance of about 10^-150.
            assert!(first > 100.0 && second > 100.0, "{name}: {first}, {second}");
            assert!(
                report
                    .lines
                    .contains(&format!("{name}: each future won some of the 1,000 races")),
                "{:?}",
                report.lines
            );
        }
    }
    // join: the futures crate's polls in the order given, and so does tokio's biased
    // form; tokio::join! rotates the first at every poll of the join.
    for (name, key, in_order) in [
        ("trpl::join", "trpl_join", true),
        ("tokio::join!", "tokio_join", false),
        ("tokio::join! with biased;", "tokio_join_biased", true),
    ] {
        let (first, polls) = (m[&format!("{key}_first_first")], m[&format!("{key}_polls")]);
        assert!(polls >= 1000.0, "{name}: {polls}");
        let verdict = if in_order {
            assert_eq!(first, polls, "{name}");
            "the first future was polled first every time"
        } else {
            assert!(
                first > polls * 0.4 && first < polls * 0.6,
                "{name}: {first} of {polls}"
            );
            "the two futures took turns at being polled first"
        };
        assert!(
            report.lines.contains(&format!("{name}: {verdict}")),
            "{:?}",
            report.lines
        );
    }
}

/// `(sent, processed, left, lost)` from a `cancel` line.
fn counts(line: &str) -> [usize; 4] {
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|n| panic!("{line}: {n:?}"))
}

fn cancel_loses_the_messages_a_dropped_batch_held(config: Config) {
    let report = report(config, "cancel");
    let lines = &report.lines;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("a batch read inside select, dropped when the tick wins: "));
    assert!(lines[1].starts_with("one recv inside select, the batch kept outside it: "));
    let [sent, processed, left, lost] = counts(&lines[0]);
    assert!(sent > 0);
    assert_eq!(sent, processed + left + lost, "{}", lines[0]);
    assert!(lost > 0, "{}", lines[0]);
    let [sent_too, processed, left, lost] = counts(&lines[1]);
    assert_eq!(sent_too, sent, "{lines:?}");
    assert_eq!(sent, processed + left + lost, "{}", lines[1]);
    assert_eq!(lost, 0, "{}", lines[1]);
    assert_eq!(report.measurements["outside_lost"], 0.0);
    assert!(report.measurements["inside_lost"] > 0.0);
}

/// What a second poll did, as `poll-after-ready` words it: the part after the label.
fn second_poll(line: &str) -> &str {
    line.split_once(", polled again after Ready: ")
        .or_else(|| line.split_once(", awaited, then polled again: "))
        .unwrap_or_else(|| panic!("no second poll in {line:?}"))
        .1
}

fn a_future_polled_after_ready_panics_unless_fused(config: Config) {
    // The binary, for its panic hook: the panics are on purpose, and must not reach
    // stderr, nor fail the run.
    let run = config.run(&["--json", "poll-after-ready"]);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("panic"), "stderr:\n{}", run.stderr);
    let report = run.report();
    assert!(report.ok, "{:?}", report.errors);
    let lines = &report.lines;
    // One line a future, each saying what its second poll did.
    let labels = [
        "an async block's future",
        "trpl::join's future (futures::future::join)",
        "futures::future::ready's future",
        "trpl::race's future (an async fn around futures::future::select)",
        "futures::future::select's future",
        &format!("{}'s handle", config.capabilities().raw_spawn),
        "this crate's trpl::spawn_task handle (the lab's, over the runtime's own)",
        "an async block's future, fused (FutureExt::fuse)",
    ];
    assert_eq!(lines.len(), labels.len(), "{lines:#?}");
    for (line, label) in lines.iter().zip(labels) {
        assert!(line.starts_with(label), "{label:?}: {line:?}");
        let did = second_poll(line);
        assert!(
            did.starts_with("panicked with ")
                || did == "returned Pending"
                || did.starts_with("returned Ready again"),
            "{line:?}"
        );
    }
    // What holds everywhere: the compiler's state machine panics, in an async block and
    // in trpl::race, an async fn; the futures crate's combinators panic with their own
    // words; Fuse returns Pending.
    let resumed = "panicked with \"`async fn` resumed after completion\"";
    assert_eq!(second_poll(&lines[0]), resumed);
    assert_eq!(second_poll(&lines[3]), resumed);
    for line in [&lines[1], &lines[2], &lines[4]] {
        let did = second_poll(line);
        assert!(did.starts_with("panicked with \""), "{line:?}");
        assert_ne!(did, resumed, "{line:?}");
    }
    assert_eq!(second_poll(&lines[7]), "returned Pending");
}
