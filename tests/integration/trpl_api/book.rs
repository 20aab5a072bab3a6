// The book's programs and trpl's own tests, against whichever crate is `trpl` here.
// Included by mod.rs once per runtime crate. Sleeps are milliseconds, not the book's
// seconds; assertions are on order and counts, with generous bounds on time.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trpl::{Either, Receiver, Sender, StreamExt};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn note(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Listing 17-14's `slow`: blocks the thread, as CPU-bound work would.
fn slow(log: &Log, name: &str, millis: u64) {
    std::thread::sleep(ms(millis));
    note(log, format!("'{name}' ran for {millis}ms"));
}

/// A learner's own small program: listing 17-8's two loops joined, then a task. Its
/// lines go to stdout, each marked `book:` (the test harness prints its own lines too);
/// `a_book_program_reports_on_stderr_when_asked` runs it in a child process with and
/// without `ASYNC_LAB_REPORT`.
#[test]
fn a_small_book_program() {
    trpl::block_on(async {
        let fut1 = async {
            for i in 1..4 {
                println!("book: hi number {i} from the first task!");
                trpl::yield_now().await;
            }
        };
        let fut2 = async {
            for i in 1..3 {
                println!("book: hi number {i} from the second task!");
                trpl::yield_now().await;
            }
        };
        trpl::join(fut1, fut2).await;
        let handle = trpl::spawn_task(async { println!("book: hi from a task!") });
        handle.await.unwrap();
    });
}

#[test]
fn block_on_and_run_return_the_output() {
    assert_eq!(trpl::block_on(async { "Hello" }), "Hello");
    assert_eq!(trpl::run(async { "Hello" }), "Hello");
}

#[test]
fn spawned_tasks_give_their_output_through_the_handle() {
    let result = trpl::block_on(async {
        let a = trpl::spawn_task(async { "Hello" });
        let b = trpl::spawn_task(async { "Goodbye" });
        vec![a.await.unwrap(), b.await.unwrap()]
    });
    assert_eq!(result, ["Hello", "Goodbye"]);
}

#[test]
fn a_panicking_task_is_an_error_on_await() {
    let result = trpl::block_on(async { trpl::spawn_task(async { panic!("on purpose") }).await });
    let error: trpl::JoinError = result.expect_err("the task panicked");
    assert!(error.is_panic() && !error.is_cancelled());
    assert!(error.to_string().contains("on purpose"), "{error}");
}

#[test]
fn runtime_new_then_block_on() {
    let runtime = trpl::Runtime::new().unwrap();
    let output = runtime.block_on(async {
        let handle = trpl::spawn_task(async { 40 });
        handle.await.unwrap() + 2
    });
    assert_eq!(output, 42);
}

/// Listing 17-6: the spawned task is stopped when the main future ends. The main future
/// ends once the task has counted (however long a loaded machine takes to start it), so
/// that what is checked is the stop, not how fast the task got going.
#[test]
fn a_spawned_task_stops_when_block_on_returns() {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let seen = count.clone();
    trpl::block_on(async move {
        trpl::spawn_task(async move {
            for _ in 1..10 {
                counted.fetch_add(1, Ordering::SeqCst);
                trpl::sleep(ms(10)).await;
            }
        });
        while seen.load(Ordering::SeqCst) == 0 {
            trpl::sleep(ms(1)).await;
        }
    });
    let at_return = count.load(Ordering::SeqCst);
    std::thread::sleep(ms(150));
    let later = count.load(Ordering::SeqCst);
    assert!(later <= at_return + 1, "the task went on after block_on: {at_return} then {later}");
    assert!((1..9).contains(&later), "the task should have counted part way, not {later}");
}

/// Listing 17-7: awaiting the handle lets the task run to the end.
#[test]
fn awaiting_the_handle_runs_the_task_to_the_end() {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    trpl::block_on(async move {
        let handle = trpl::spawn_task(async move {
            for _ in 1..10 {
                counted.fetch_add(1, Ordering::SeqCst);
                trpl::sleep(ms(2)).await;
            }
        });
        for _ in 1..5 {
            trpl::sleep(ms(2)).await;
        }
        handle.await.unwrap();
    });
    assert_eq!(count.load(Ordering::SeqCst), 9);
}

/// Dropping a handle detaches the task (tokio's rule), on every runtime: smol's raw API
/// would cancel it.
#[test]
fn dropping_the_handle_detaches_the_task() {
    let received = trpl::block_on(async {
        let (tx, mut rx) = trpl::channel();
        drop(trpl::spawn_task(async move {
            trpl::sleep(ms(5)).await;
            tx.send("still ran").unwrap();
        }));
        rx.recv().await
    });
    assert_eq!(received, Some("still ran"));
}

/// Listing 17-6 again, one level down: a task spawned by a task belongs to the same
/// `block_on`, and stops with it too.
#[test]
fn a_task_spawned_by_a_task_stops_when_block_on_returns() {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let seen = count.clone();
    trpl::block_on(async move {
        let parent = trpl::spawn_task(async move {
            drop(trpl::spawn_task(async move {
                loop {
                    counted.fetch_add(1, Ordering::SeqCst);
                    trpl::sleep(ms(5)).await;
                }
            }));
        });
        parent.await.unwrap();
        // Until the grandchild has run, however long a loaded machine takes to start it.
        while seen.load(Ordering::SeqCst) == 0 {
            trpl::sleep(ms(1)).await;
        }
    });
    let at_return = count.load(Ordering::SeqCst);
    std::thread::sleep(ms(100));
    let later = count.load(Ordering::SeqCst);
    assert!(later <= at_return + 1, "the task went on after block_on: {at_return} then {later}");
    assert!(later >= 1, "the task should have counted at least once");
}

/// trpl drops its runtime, and the tasks with it, when `block_on` returns: a handle that
/// outlives it says its task was cancelled (not that it panicked).
#[test]
#[allow(clippy::async_yields_async)] // The handle is meant to leave the block_on unawaited.
fn a_handle_that_outlives_block_on_reports_its_task_cancelled() {
    let handle = trpl::block_on(async {
        trpl::spawn_task(async {
            trpl::sleep(ms(10_000)).await;
            "never"
        })
    });
    let started = Instant::now();
    let error = trpl::block_on(handle).expect_err("the task was stopped");
    assert!(error.is_cancelled() && !error.is_panic(), "{error}");
    assert!(started.elapsed() < ms(5_000), "the stopped task was waited for");
}

/// Outside any `block_on` a task is detached (or, where the runtime cannot take it there,
/// its handle says so): it belongs to no scope that could stop it.
#[test]
fn a_task_spawned_outside_block_on_is_detached_or_refused() {
    let handle = trpl::spawn_task(async { 7 });
    match trpl::block_on(handle) {
        Ok(n) => assert_eq!(n, 7),
        Err(error) => assert!(!error.is_panic() && !error.is_cancelled(), "{error}"),
    }
}

/// Listing 17-8: `join` polls both futures in a fixed order, so they take turns.
#[test]
fn join_is_fair_and_its_order_fixed() {
    let log = log();
    trpl::block_on(async {
        let first = async {
            for i in 1..6 {
                note(&log, format!("first {i}"));
                trpl::yield_now().await;
            }
        };
        let second = async {
            for i in 1..4 {
                note(&log, format!("second {i}"));
                trpl::yield_now().await;
            }
        };
        trpl::join(first, second).await;
    });
    let expected = ["first 1", "second 1", "first 2", "second 2", "first 3", "second 3", "first 4", "first 5"];
    assert_eq!(entries(&log), expected);
}

#[test]
fn join_with_sleeps_takes_turns_too() {
    let log = log();
    trpl::block_on(async {
        let first = async {
            for i in 1..4 {
                note(&log, format!("first {i}"));
                trpl::sleep(ms(20)).await;
            }
        };
        let second = async {
            for i in 1..4 {
                note(&log, format!("second {i}"));
                trpl::sleep(ms(20)).await;
            }
        };
        trpl::join(first, second).await;
    });
    assert_eq!(entries(&log), ["first 1", "second 1", "first 2", "second 2", "first 3", "second 3"]);
}

#[test]
fn join3_join_all_and_the_join_macro() {
    let (pair, triple, all, mixed) = trpl::block_on(async {
        let pair = trpl::join(async { 1 }, async { 2 }).await;
        let triple = trpl::join3(async { 1 }, async { 2 }, async { 3 }).await;
        let outer = String::from("World");
        let futures: Vec<Pin<Box<dyn Future<Output = String>>>> = vec![
            Box::pin(async { format!("{}", 1) }),
            Box::pin(async { "Hello".to_string() }),
            Box::pin(async move { outer }),
        ];
        let all = trpl::join_all(futures).await;
        let moved = vec![String::from("World")];
        let mixed = trpl::join!(async { 1 }, async { "Hello" }, async move { moved });
        (pair, triple, all, mixed)
    });
    assert_eq!(pair, (1, 2));
    assert_eq!(triple, (1, 2, 3));
    assert_eq!(all, ["1", "Hello", "World"]);
    assert_eq!(mixed, (1, "Hello", vec![String::from("World")]));
}

#[test]
fn the_channel_delivers_in_order_and_ends_when_the_sender_is_dropped() {
    trpl::block_on(async {
        let (tx, mut rx): (Sender<&str>, Receiver<&str>) = trpl::channel();
        tx.send("Hello").unwrap();
        trpl::sleep(ms(1)).await;
        tx.send("Goodbye").unwrap();
        drop(tx);
        assert_eq!(rx.recv().await, Some("Hello"));
        assert_eq!(rx.recv().await, Some("Goodbye"));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn send_fails_once_the_receiver_is_gone() {
    let (tx, rx) = trpl::channel::<u8>();
    drop(rx);
    assert!(tx.send(1).is_err());
}

/// Listings 17-10/17-11: while a sender lives, the receiving loop never ends; here a
/// deadline built from `select` and `sleep` ends the wait instead.
#[test]
fn a_receiver_loop_waits_forever_while_a_sender_lives() {
    let (received, outcome) = trpl::block_on(async {
        let (tx, mut rx) = trpl::channel();
        let mut received = Vec::new();
        let outcome = {
            let receive = async {
                for word in ["hi", "from", "the", "future"] {
                    tx.send(word).unwrap();
                }
                while let Some(value) = rx.recv().await {
                    received.push(value);
                }
            };
            trpl::select(receive, trpl::sleep(ms(100))).await
        };
        drop(tx);
        (received, outcome)
    });
    assert_eq!(received, ["hi", "from", "the", "future"]);
    assert!(matches!(outcome, Either::Right(())), "the loop ended although a sender lived");
}

/// Listings 17-12/17-13: `async move` drops the senders when their futures end, so the
/// loop ends; two producers both get through.
#[test]
fn async_move_ends_the_loop_and_every_producer_gets_through() {
    let mut received = trpl::block_on(async {
        let (tx, mut rx) = trpl::channel();
        let tx1 = tx.clone();
        let first = async move {
            for word in ["hi", "from", "the", "future"] {
                tx1.send(word.to_string()).unwrap();
                trpl::sleep(ms(2)).await;
            }
        };
        let second = async move {
            for word in ["more", "messages", "for", "you"] {
                tx.send(word.to_string()).unwrap();
                trpl::sleep(ms(3)).await;
            }
        };
        let receive = async {
            let mut received = Vec::new();
            while let Some(value) = rx.recv().await {
                received.push(value);
            }
            received
        };
        trpl::join3(first, second, receive).await.2
    });
    assert_eq!(received.len(), 8);
    let first_words: Vec<&String> = received.iter().filter(|w| ["hi", "from", "the", "future"].contains(&w.as_str())).collect();
    assert_eq!(first_words, ["hi", "from", "the", "future"], "one producer's messages keep their order");
    received.sort();
    assert_eq!(received, ["for", "from", "future", "hi", "messages", "more", "the", "you"]);
}

/// Listing 17-25: a plain OS thread, with no runtime, feeds an async receiver.
#[test]
fn a_plain_thread_feeds_an_async_receiver() {
    let received = trpl::block_on(async {
        let (tx, mut rx) = trpl::channel();
        std::thread::spawn(move || {
            for i in 1..=3 {
                tx.send(i).unwrap();
                std::thread::sleep(ms(5));
            }
        });
        let mut received = Vec::new();
        while let Some(message) = rx.recv().await {
            received.push(message);
        }
        received
    });
    assert_eq!(received, [1, 2, 3]);
}

/// Listing 17-15: work that blocks the thread runs each future to its first real await
/// before the other one starts.
#[test]
fn blocking_work_runs_one_future_to_its_await_before_the_other_starts() {
    let log = log();
    trpl::block_on(async {
        let a = async {
            note(&log, "'a' started.");
            slow(&log, "a", 3);
            slow(&log, "a", 1);
            slow(&log, "a", 2);
            trpl::sleep(ms(5)).await;
            note(&log, "'a' finished.");
        };
        let b = async {
            note(&log, "'b' started.");
            slow(&log, "b", 7);
            slow(&log, "b", 1);
            slow(&log, "b", 1);
            slow(&log, "b", 35);
            trpl::sleep(ms(5)).await;
            note(&log, "'b' finished.");
        };
        trpl::select(a, b).await;
    });
    assert_eq!(
        entries(&log),
        [
            "'a' started.",
            "'a' ran for 3ms",
            "'a' ran for 1ms",
            "'a' ran for 2ms",
            "'b' started.",
            "'b' ran for 7ms",
            "'b' ran for 1ms",
            "'b' ran for 1ms",
            "'b' ran for 35ms",
            "'a' finished.",
        ]
    );
}

/// Listing 17-17: `yield_now` between steps hands control back, so the two take turns.
#[test]
fn yield_now_between_steps_interleaves_the_futures() {
    let log = log();
    trpl::block_on(async {
        let a = async {
            note(&log, "'a' started.");
            slow(&log, "a", 3);
            trpl::yield_now().await;
            slow(&log, "a", 1);
            trpl::yield_now().await;
            slow(&log, "a", 2);
            trpl::yield_now().await;
            note(&log, "'a' finished.");
        };
        let b = async {
            note(&log, "'b' started.");
            slow(&log, "b", 7);
            trpl::yield_now().await;
            slow(&log, "b", 1);
            trpl::yield_now().await;
            slow(&log, "b", 1);
            trpl::yield_now().await;
            slow(&log, "b", 35);
            trpl::yield_now().await;
            note(&log, "'b' finished.");
        };
        trpl::select(a, b).await;
    });
    assert_eq!(
        entries(&log),
        [
            "'a' started.",
            "'a' ran for 3ms",
            "'b' started.",
            "'b' ran for 7ms",
            "'a' ran for 1ms",
            "'b' ran for 1ms",
            "'a' ran for 2ms",
            "'b' ran for 1ms",
            "'a' finished.",
        ]
    );
}

/// Listing 17-16: a 1 ms sleep between steps hands control back as well.
#[test]
fn a_short_sleep_between_steps_interleaves_the_futures() {
    let log = log();
    trpl::block_on(async {
        let a = async {
            slow(&log, "a", 3);
            trpl::sleep(ms(1)).await;
            slow(&log, "a", 2);
            trpl::sleep(ms(1)).await;
            note(&log, "'a' finished.");
        };
        let b = async {
            slow(&log, "b", 7);
            trpl::sleep(ms(1)).await;
            slow(&log, "b", 2);
            trpl::sleep(ms(1)).await;
            note(&log, "'b' finished.");
        };
        trpl::join(a, b).await;
    });
    let log = entries(&log);
    let position = |entry: &str| log.iter().position(|e| e == entry).unwrap();
    assert!(position("'b' ran for 7ms") < position("'a' ran for 2ms"), "b started only after a ended: {log:?}");
    assert_eq!(log.len(), 6);
}

/// Listings 17-18..17-20: a timeout built from `select` and `sleep`.
#[test]
fn a_timeout_from_select_and_sleep_fails_after_its_time() {
    async fn timeout<F: Future>(future: F, max: Duration) -> Result<F::Output, Duration> {
        match trpl::select(future, trpl::sleep(max)).await {
            Either::Left(output) => Ok(output),
            Either::Right(_) => Err(max),
        }
    }
    let (fast, slow, took) = trpl::block_on(async {
        let fast = timeout(async { "I finished!" }, ms(50)).await;
        let started = Instant::now();
        let slow = timeout(
            async {
                trpl::sleep(ms(2_000)).await;
                "I finished!"
            },
            ms(30),
        )
        .await;
        (fast, slow, started.elapsed())
    });
    assert_eq!(fast, Ok("I finished!"));
    assert_eq!(slow, Err(ms(30)));
    assert!(took >= ms(30) && took < ms(1_500), "the timeout fired after {took:?}");
}

#[test]
fn sleep_waits_at_least_its_time_and_select_takes_the_first() {
    let (winner, took) = trpl::block_on(async {
        let started = Instant::now();
        let slow = async {
            trpl::sleep(ms(1_000)).await;
            "slow"
        };
        let fast = async {
            trpl::sleep(ms(20)).await;
            "fast"
        };
        (trpl::race(slow, fast).await, started.elapsed())
    });
    assert!(matches!(winner, Either::Right("fast")));
    assert!(took >= ms(20) && took < ms(900), "{took:?}");
}

#[test]
fn streams_from_iterators_filter_and_collect() {
    let (all, filtered) = trpl::block_on(async {
        let mut stream = trpl::stream_from_iter(vec![1, 2, 3]);
        let mut all = Vec::new();
        while let Some(n) = stream.next().await {
            all.push(n);
        }
        let mut filtered = trpl::stream_from_iter(1..=15).filter(|n| n % 3 == 0 || n % 5 == 0).map(|n| n * 2);
        let mut kept = Vec::new();
        while let Some(n) = filtered.next().await {
            kept.push(n);
        }
        (all, kept)
    });
    assert_eq!(all, [1, 2, 3]);
    assert_eq!(filtered, [6, 10, 12, 18, 20, 24, 30]);
}

#[test]
fn a_receiver_stream_collects_what_was_sent() {
    let result: Vec<u32> = trpl::block_on(async {
        let (tx, rx) = trpl::channel();
        let stream = trpl::ReceiverStream::new(rx);
        tx.send(123).unwrap();
        tx.send(456).unwrap();
        drop(tx);
        stream.collect().await
    });
    assert_eq!(result, [123, 456]);
}

/// Listings 17-21/17-22: a per-item timeout on a stream of messages with gaps.
#[test]
fn a_stream_timeout_reports_the_gaps_and_goes_on() {
    let results = trpl::block_on(async {
        let (tx, rx) = trpl::channel();
        trpl::spawn_task(async move {
            for (i, gap) in [0u64, 150, 0, 150].into_iter().enumerate() {
                trpl::sleep(ms(gap)).await;
                tx.send(i).unwrap();
            }
        });
        let mut messages = std::pin::pin!(trpl::ReceiverStream::new(rx).timeout(ms(50)));
        let mut results = Vec::new();
        while let Some(result) = messages.next().await {
            results.push(result.map_err(|e: trpl::Elapsed| e.to_string()));
        }
        results
    });
    let ok: Vec<usize> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    assert_eq!(ok, [0, 1, 2, 3], "every message still arrives: {results:?}");
    let timeouts = results.iter().filter(|r| r.is_err()).count();
    assert!((2..=8).contains(&timeouts), "two gaps of 150 ms with a 50 ms timeout: {results:?}");
    assert!(results[1].is_err(), "the first gap comes after message 0: {results:?}");
}

#[test]
fn intervals_tick_at_once_then_every_period() {
    let (ticks, took) = trpl::block_on(async {
        let started = Instant::now();
        let mut ticks = trpl::IntervalStream::new(trpl::interval(ms(20))).take(3);
        let mut count = 0;
        while ticks.next().await.is_some() {
            count += 1;
        }
        (count, started.elapsed())
    });
    assert_eq!(ticks, 3);
    assert!(took >= ms(38) && took < ms(1_000), "three ticks 20 ms apart took {took:?}");
}

/// The stream operators of listing 17-24: merge, throttle, take.
#[test]
fn merge_throttle_and_take() {
    let (items, took) = trpl::block_on(async {
        let started = Instant::now();
        let letters = trpl::stream_from_iter(["a", "b", "c", "d", "e", "f"]).map(String::from);
        let ticks = trpl::IntervalStream::new(trpl::interval(ms(5))).map(|_| "tick".to_string());
        let merged = letters.merge(ticks).throttle(ms(10)).take(6);
        let items: Vec<String> = merged.collect().await;
        (items, started.elapsed())
    });
    assert_eq!(items.len(), 6);
    let letters: Vec<&String> = items.iter().filter(|i| *i != "tick").collect();
    assert!(!letters.is_empty() && letters.iter().zip(["a", "b", "c", "d", "e", "f"]).all(|(got, want)| *got == want), "{items:?}");
    assert!(took >= ms(45), "throttled to one item per 10 ms, six items took {took:?}");
}

#[test]
fn yield_now_and_read_to_string() {
    let path = std::env::temp_dir().join(format!("async-lab-read-{}-{}.txt", std::process::id(), module_path!().replace("::", "-")));
    std::fs::write(&path, "This is some text!\n").unwrap();
    let (text, missing) = trpl::block_on(async {
        trpl::yield_now().await;
        (trpl::read_to_string(&path).await, trpl::read_to_string("/no/such/file").await)
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(text.unwrap(), "This is some text!\n");
    assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
}

/// Listings 17-1..17-4 as the book writes them: get, text, Html::parse, select_first.
#[test]
fn get_text_and_html_as_the_book_uses_them() {
    let url = crate::support::site().url("/plain");
    let title = trpl::block_on(async {
        let text = trpl::get(&url).await.text().await;
        trpl::Html::parse(&text).select_first("title").map(|title| title.inner_html())
    });
    assert_eq!(title.as_deref(), Some("Hello from the embedded site"));
    let doc = trpl::Html::parse("<html><head><title></title></head><body><p>Hello!</p></body></html>");
    assert_eq!(doc.select_first("p").map(|p| p.inner_html()), Some(String::from("Hello!")));
}

/// `spawn_local` (not in the book's `trpl`) takes a task that holds an `Rc`, which is not
/// `Send`, where the executor's tasks never leave their thread, and runs it on the thread
/// of the `block_on`; where tasks may move between threads, awaiting its handle gives an
/// error that says why.
#[test]
fn spawn_local_runs_a_task_that_is_not_send_where_tasks_stay_on_their_thread() {
    use async_lab_experiments::Executor as _;

    let id = trpl::runtime().configuration().id();
    let stays = ["smol:local", "tokio:local", "futures:local-pool", "compio:io-uring", "compio:poll", "monoio:io-uring", "monoio:legacy"].contains(&id.as_str());
    trpl::block_on(async {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = count.clone();
        let result = trpl::spawn_local(async move {
            trpl::sleep(ms(1)).await;
            counted.set(counted.get() + 1);
            std::thread::current().id()
        })
        .await;
        if stays {
            assert_eq!(result, Ok(std::thread::current().id()), "{id}");
            assert_eq!(count.get(), 1, "{id}");
        } else {
            match result {
                Err(trpl::JoinError::Unsupported(why)) => {
                    assert!(why.contains("no spawn for a task that is not Send"), "{id}: {why}")
                }
                other => panic!("{id}: spawn_local gave {other:?}"),
            }
            assert_eq!(count.get(), 0, "{id}");
        }
    });
}

/// A timer of millisecond ticks (the registry's `Timer::millisecond_ticks`: tokio's,
/// monoio's) wakes a sleep at its next tick at the earliest: ten sleeps of a microsecond,
/// one after the other, take nine milliseconds or more, however fast the machine. (How
/// short they take elsewhere is a benchmark's question: no bound is asserted there.)
#[test]
fn a_millisecond_timer_wakes_a_short_sleep_at_its_next_tick() {
    use async_lab_experiments::Executor as _;

    let configuration = trpl::runtime().configuration();
    let started = Instant::now();
    trpl::block_on(async {
        for _ in 0..10 {
            trpl::sleep(Duration::from_micros(1)).await;
        }
    });
    let took = started.elapsed();
    if configuration.capabilities.timer.millisecond_ticks {
        assert!(took >= ms(9), "{}: ten sleeps of 1 µs took {took:?}", configuration.id());
    }
}
