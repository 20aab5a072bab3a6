//! `bench`: what the runtime itself costs, measured through its own API (the `Runtime`
//! trait's typed `spawn`, its `yield_now`, `sleep` and channel, not the drop-in layer),
//! beside the physical floors measured in the same process.
//!
//! Every measurement runs once to warm up, then `--rounds` times; the report's
//! `measurements` carry the median under the measurement's key, its `samples` every
//! round's value, and its `spread` the median's 95% confidence interval
//! ([`crate::stats`]). The driver runs each configuration's rounds in processes of their
//! own, round-robin over the configurations, and pools the samples. The methods follow the runtimes' own benchmarks: tokio's
//! `spawn_many`, `yield_many` and `ping_pong`, and async-executor's `spawn_one`/`yield_now`.
//!
//! What the numbers do not say: they come from one machine, with the other work on it
//! (the embedded site, for `fetch_rps`, shares its cores), and only a release build's
//! numbers mean anything (a debug build says so on stderr).

use std::future::Future;
use std::io::{Read, Write};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::FutureExt as _;

use super::{Lab, Measure, Outcome};
use crate::book_api;
use crate::bounds;
use crate::runtime::Runtime;
use crate::stats::Interval;
use crate::syscalls::Op;
use async_lab_runtime::registry::PollsOn;

const SPAWN: Measure = Measure::ns(
    "spawn_ns",
    "spawn + await of an empty task through the runtime's own spawn, per task",
);
const YIELD: Measure = Measure::ns("yield_ns", "one yield_now in a loop in one task");
const PING_PONG: Measure = Measure::ns(
    "ping_pong_ns",
    "one round trip of a message between two tasks",
);
const TIMER_LATE: Measure = Measure::us("timer_late_us", "how late a 1 ms sleep wakes, median");
const TIMER_LATE_P99: Measure = Measure::us(
    "timer_late_p99_us",
    "how late a 1 ms sleep wakes, 99th percentile",
);
const FETCH: Measure = Measure::rps(
    "fetch_rps",
    "GET requests a second, 64 tasks on keep-alive connections",
);
const TASK_BYTES: Measure = Measure::bytes("task_bytes", "resident memory per parked task");
const LAB_SPAWN_RATIO: Measure = Measure::ratio(
    "lab_spawn_ratio",
    "the drop-in spawn_task + await over the runtime's own",
);
const FLOOR_WAKE: Measure = Measure::ns("floor_wake_ns", "a waker's wake and a poll, no runtime");
const FLOOR_THREAD: Measure = Measure::ns("floor_thread_ns", "an OS thread spawned and joined");
const FLOOR_RTT: Measure = Measure::us("floor_rtt_us", "a loopback TCP round trip");
const YIELD_SYSCALLS: Measure = Measure::count(
    "yield_syscalls",
    "system calls a yield_now, in every thread of the process (strace -f)",
);
const SLEEP_SYSCALLS: Measure = Measure::count(
    "sleep_syscalls",
    "system calls a 1 ms sleep, in every thread of the process (strace -f)",
);
const ECHO_SYSCALLS: Measure = Measure::count(
    "echo_syscalls",
    "system calls a loopback echo round trip between two tasks, both ends (strace -f)",
);
const FLOOR_YIELD_SYSCALLS: Measure = Measure::count(
    "floor_yield_syscalls",
    "system calls a std::thread::yield_now, no runtime",
);
const FLOOR_SLEEP_SYSCALLS: Measure = Measure::count(
    "floor_sleep_syscalls",
    "system calls a 1 ms std::thread::sleep, no runtime",
);
const FLOOR_ECHO_SYSCALLS: Measure = Measure::count(
    "floor_echo_syscalls",
    "system calls a loopback echo round trip between two threads, blocking sockets",
);

/// `bench`'s measurements: its figures' ([`Figure::measure`]), in their order.
pub(super) const MEASURES: &[Measure] = &[
    SPAWN,
    YIELD,
    PING_PONG,
    TIMER_LATE,
    TIMER_LATE_P99,
    FETCH,
    TASK_BYTES,
    LAB_SPAWN_RATIO,
    FLOOR_WAKE,
    FLOOR_THREAD,
    FLOOR_RTT,
    YIELD_SYSCALLS,
    SLEEP_SYSCALLS,
    ECHO_SYSCALLS,
    FLOOR_YIELD_SYSCALLS,
    FLOOR_SLEEP_SYSCALLS,
    FLOOR_ECHO_SYSCALLS,
];

/// `bench`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Bench {
    /// Only these measurements (comma-separated; default: all of them)
    #[arg(long, value_name = "M,...", value_delimiter = ',')]
    pub measure: Vec<Measurement>,
    /// Multiply every workload's size by X (0.01 for a quick look; the figures are per
    /// operation, so they stay comparable)
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = bounds::parse::bench_scale)]
    pub scale: f64,
    /// How many timed rounds of each measurement, after one round to warm up (eight give
    /// a 99% confidence interval, from the least to the most; the driver runs each round in
    /// a fresh process, round-robin over the configurations)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = bounds::parse::bench_rounds)]
    pub rounds: u32,
}

/// A figure `bench` reports: the measurement it is recorded as ([`Figure::measure`]: its
/// key in the report's `measurements`, its unit), how to read it, and the floor it is
/// built on. Every key `bench` records is one of these, written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// spawn_ns.
    Spawn,
    /// yield_ns.
    Yield,
    /// ping_pong_ns.
    PingPong,
    /// timer_late_us.
    TimerLate,
    /// timer_late_p99_us.
    TimerLateP99,
    /// fetch_rps.
    Fetch,
    /// task_bytes.
    TaskBytes,
    /// lab_spawn_ratio.
    LabSpawnRatio,
    /// floor_wake_ns.
    FloorWake,
    /// floor_thread_ns.
    FloorThread,
    /// floor_rtt_us.
    FloorRtt,
    /// yield_syscalls.
    YieldSyscalls,
    /// sleep_syscalls.
    SleepSyscalls,
    /// echo_syscalls.
    EchoSyscalls,
    /// floor_yield_syscalls.
    FloorYieldSyscalls,
    /// floor_sleep_syscalls.
    FloorSleepSyscalls,
    /// floor_echo_syscalls.
    FloorEchoSyscalls,
}

/// How a floor becomes a figure's unit.
pub type IntoUnit = fn(f64) -> f64;

impl Figure {
    /// Every figure, in the order the table shows them: the timings, their floors, then
    /// the system calls and theirs.
    pub const ALL: [Figure; 17] = [
        Figure::Spawn,
        Figure::Yield,
        Figure::PingPong,
        Figure::TimerLate,
        Figure::TimerLateP99,
        Figure::Fetch,
        Figure::TaskBytes,
        Figure::LabSpawnRatio,
        Figure::FloorWake,
        Figure::FloorThread,
        Figure::FloorRtt,
        Figure::YieldSyscalls,
        Figure::SleepSyscalls,
        Figure::EchoSyscalls,
        Figure::FloorYieldSyscalls,
        Figure::FloorSleepSyscalls,
        Figure::FloorEchoSyscalls,
    ];

    /// The measurement it is recorded as.
    pub fn measure(self) -> Measure {
        match self {
            Figure::Spawn => SPAWN,
            Figure::Yield => YIELD,
            Figure::PingPong => PING_PONG,
            Figure::TimerLate => TIMER_LATE,
            Figure::TimerLateP99 => TIMER_LATE_P99,
            Figure::Fetch => FETCH,
            Figure::TaskBytes => TASK_BYTES,
            Figure::LabSpawnRatio => LAB_SPAWN_RATIO,
            Figure::FloorWake => FLOOR_WAKE,
            Figure::FloorThread => FLOOR_THREAD,
            Figure::FloorRtt => FLOOR_RTT,
            Figure::YieldSyscalls => YIELD_SYSCALLS,
            Figure::SleepSyscalls => SLEEP_SYSCALLS,
            Figure::EchoSyscalls => ECHO_SYSCALLS,
            Figure::FloorYieldSyscalls => FLOOR_YIELD_SYSCALLS,
            Figure::FloorSleepSyscalls => FLOOR_SLEEP_SYSCALLS,
            Figure::FloorEchoSyscalls => FLOOR_ECHO_SYSCALLS,
        }
    }

    /// Its key in the report's `measurements`.
    pub fn key(self) -> &'static str {
        self.measure().key
    }

    /// What it is, for a table's header and a chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Figure::Spawn => "spawn + await",
            Figure::Yield => "yield_now",
            Figure::PingPong => "ping-pong",
            Figure::TimerLate => "1 ms sleep, median lateness",
            Figure::TimerLateP99 => "1 ms sleep, 99th percentile lateness",
            Figure::Fetch => "fetches",
            Figure::TaskBytes => "a parked task",
            Figure::LabSpawnRatio => "drop-in spawn_task over the runtime's own",
            Figure::FloorWake => "floor: waker wake + poll",
            Figure::FloorThread => "floor: thread spawn + join",
            Figure::FloorRtt => "floor: loopback TCP round trip",
            Figure::YieldSyscalls => "system calls a yield_now",
            Figure::SleepSyscalls => "system calls a 1 ms sleep",
            Figure::EchoSyscalls => "system calls a loopback echo round trip",
            Figure::FloorYieldSyscalls => "floor: system calls a thread::yield_now",
            Figure::FloorSleepSyscalls => "floor: system calls a 1 ms thread::sleep",
            Figure::FloorEchoSyscalls => "floor: system calls a blocking echo round trip",
        }
    }

    /// Its unit.
    pub fn unit(self) -> &'static str {
        match self {
            Figure::Spawn => "ns a task",
            Figure::Yield => "ns a yield",
            Figure::PingPong => "ns a round trip",
            Figure::TimerLate | Figure::TimerLateP99 | Figure::FloorRtt => "us",
            Figure::Fetch => "requests a second",
            Figure::TaskBytes => "bytes resident",
            Figure::LabSpawnRatio => "times",
            Figure::FloorWake | Figure::FloorThread => "ns",
            Figure::YieldSyscalls | Figure::FloorYieldSyscalls => "syscalls a yield",
            Figure::SleepSyscalls | Figure::FloorSleepSyscalls => "syscalls a sleep",
            Figure::EchoSyscalls | Figure::FloorEchoSyscalls => "syscalls a round trip",
        }
    }

    /// True for the floors: what any runtime is built on, measured beside each.
    pub fn is_floor(self) -> bool {
        matches!(
            self,
            Figure::FloorWake
                | Figure::FloorThread
                | Figure::FloorRtt
                | Figure::FloorYieldSyscalls
                | Figure::FloorSleepSyscalls
                | Figure::FloorEchoSyscalls
        )
    }

    /// True for the system calls an operation makes: counted once per configuration by
    /// the driver under strace (the child records none of them), not timed in rounds, and
    /// ranked against nothing but their floors (fewer is not always better: a runtime that
    /// spins instead of sleeping makes fewer).
    pub fn is_syscalls(self) -> bool {
        matches!(
            self,
            Figure::YieldSyscalls
                | Figure::SleepSyscalls
                | Figure::EchoSyscalls
                | Figure::FloorYieldSyscalls
                | Figure::FloorSleepSyscalls
                | Figure::FloorEchoSyscalls
        )
    }

    /// The operation whose system calls it counts, where it is one of those figures.
    pub fn syscall_op(self) -> Option<Op> {
        match self {
            Figure::YieldSyscalls => Some(Op::Yield),
            Figure::SleepSyscalls => Some(Op::Sleep),
            Figure::EchoSyscalls => Some(Op::Echo),
            Figure::FloorYieldSyscalls => Some(Op::FloorYield),
            Figure::FloorSleepSyscalls => Some(Op::FloorSleep),
            Figure::FloorEchoSyscalls => Some(Op::FloorEcho),
            _ => None,
        }
    }

    /// False where more is better (requests a second).
    pub fn lower_is_better(self) -> bool {
        self != Figure::Fetch
    }

    /// The floor it is built on, and how to turn the floor into its unit: a spawn or a
    /// yield is at least a wake and a poll, a round trip two; a fetch at most as many a
    /// second as loopback round trips.
    pub fn floor(self) -> Option<(Figure, IntoUnit)> {
        match self {
            Figure::Spawn | Figure::Yield => Some((Figure::FloorWake, |wake| wake)),
            Figure::PingPong => Some((Figure::FloorWake, |wake| 2.0 * wake)),
            Figure::Fetch => Some((Figure::FloorRtt, |rtt_us| 1e6 / rtt_us)),
            Figure::YieldSyscalls => Some((Figure::FloorYieldSyscalls, |calls| calls)),
            Figure::SleepSyscalls => Some((Figure::FloorSleepSyscalls, |calls| calls)),
            Figure::EchoSyscalls => Some((Figure::FloorEchoSyscalls, |calls| calls)),
            _ => None,
        }
    }
}

/// One measurement of `bench`, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Measurement {
    /// task_bytes: resident memory per parked task (runs first, on a fresh heap)
    TaskBytes,
    /// floor_wake_ns, floor_thread_ns, floor_rtt_us: what any runtime is built on
    Floors,
    /// spawn_ns: spawn + await of 100,000 empty tasks, per task
    Spawn,
    /// yield_ns: one yield_now in a 1,000,000-step loop in one task
    Yield,
    /// ping_pong_ns: one round trip of a message between two tasks
    PingPong,
    /// timer_late_us, timer_late_p99_us: how late a 1 ms sleep wakes
    Timer,
    /// fetch_rps: GET requests a second, 64 tasks on keep-alive connections
    Fetch,
    /// lab_spawn_ratio: the drop-in spawn_task + await over the runtime's own
    LabSpawn,
    /// yield_syscalls, sleep_syscalls, echo_syscalls and their floors: system calls an
    /// operation, counted by the driver (`cargo run -- bench`) under strace
    Syscalls,
}

impl Bench {
    /// Whether the run needs the embedded site (for `fetch_rps`).
    pub fn needs_site(&self) -> bool {
        self.wants(Measurement::Fetch)
    }

    /// Whether the run measures `m`.
    pub fn wants(&self, m: Measurement) -> bool {
        self.measure.is_empty() || self.measure.contains(&m)
    }

    /// How many operations of `op` the driver counts the system calls of: a yield is
    /// cheap, a sleep takes a millisecond, a round trip some ten system calls under strace.
    pub fn syscall_ops(&self, op: Op) -> u64 {
        match op {
            Op::Yield | Op::FloorYield => self.sized(2_000, 100),
            Op::Sleep | Op::FloorSleep => self.sized(200, 20),
            Op::Echo | Op::FloorEcho => self.sized(1_000, 50),
        }
    }

    /// `n` scaled, at least `least`.
    fn sized(&self, n: u64, least: u64) -> u64 {
        ((n as f64 * self.scale).round() as u64).max(least)
    }
}

/// The medians, minima and maxima of each figure, as they are recorded.
struct Figures<'a, R: Runtime> {
    lab: &'a Lab<R>,
    rounds: u32,
}

impl<R: Runtime> Figures<'_, R> {
    /// Runs `round` once to warm up, then `rounds` times, and records the median as `figure`
    /// with the spread. `round` gives one figure per run.
    async fn record<F, Fut>(&self, figure: Figure, mut round: F) -> f64
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = f64>,
    {
        round().await;
        let mut values = Vec::with_capacity(self.rounds as usize);
        for _ in 0..self.rounds {
            values.push(round().await);
        }
        self.set(figure, values)
    }

    /// Records `values`, one per round, as `figure`: their median, its interval and every
    /// value. Returns the median.
    fn set(&self, figure: Figure, values: Vec<f64>) -> f64 {
        let measure = figure.measure();
        let Some(interval) = Interval::of(&values) else {
            self.lab.out.set_measure(measure, f64::NAN);
            return f64::NAN;
        };
        self.lab.out.set_measure(measure, interval.median);
        self.lab
            .out
            .set_spread(measure, interval.low, interval.high);
        self.lab.out.set_samples(measure, values);
        interval.median
    }
}

/// Nanoseconds per operation.
fn per_op(took: Duration, ops: u64) -> f64 {
    took.as_secs_f64() * 1e9 / ops.max(1) as f64
}

/// Runs `bench` on `lab`'s runtime. Call it inside `block_on`.
pub async fn bench<R: Runtime>(lab: &Lab<R>, args: &Bench) -> Outcome {
    let mut outcome = Outcome::default();
    // Tasks spawned from here on are not traced: a recorder per task would be measured too.
    crate::trace::disable();
    lab.out
        .remark("tracing is off for bench's tasks, so they are not in the thread report");
    let figures = Figures {
        lab,
        rounds: args.rounds,
    };
    let thread_per_task = lab.capabilities().polls_on == PollsOn::ThreadPerTask;
    // A thread per task cannot hold 100,000 tasks at once; a thousand say what it costs.
    let tasks = if thread_per_task {
        args.sized(1_000, 10).min(1_000)
    } else {
        args.sized(100_000, 100)
    };
    if thread_per_task {
        lab.out.remark(format!(
            "a thread per task: spawn_ns and task_bytes over {tasks} tasks, not 100,000"
        ));
    }
    // First, while the heap is fresh: memory freed by the other measurements would be
    // reused by these tasks without growing the resident set.
    if args.wants(Measurement::TaskBytes) {
        match task_bytes(lab, tasks).await {
            Some(bytes) => {
                lab.out.set_measure(Figure::TaskBytes.measure(), bytes);
                lab.out
                    .line(format!("a parked task: {bytes:.0} bytes resident"));
            }
            None => outcome
                .unsupported
                .push("task_bytes (no resident memory figure on this OS)".into()),
        }
    }
    if args.wants(Measurement::Floors) {
        floors(&figures, args).await;
    }
    if args.wants(Measurement::Spawn) {
        let ns = figures
            .record(Figure::Spawn, || spawn_many(lab, tasks))
            .await;
        lab.out.line(format!("spawn + await: {ns:.0} ns a task"));
    }
    if args.wants(Measurement::Yield) {
        let steps = args.sized(1_000_000, 1_000);
        let ns = figures
            .record(Figure::Yield, || yield_many(lab, steps))
            .await;
        lab.out.line(format!("yield_now: {ns:.0} ns a yield"));
    }
    if args.wants(Measurement::PingPong) {
        let trips = args.sized(10_000, 100);
        let ns = figures
            .record(Figure::PingPong, || ping_pong(lab, trips))
            .await;
        lab.out.line(format!("ping-pong: {ns:.0} ns a round trip"));
    }
    if args.wants(Measurement::Timer) {
        timer(&figures, args.sized(100, 10)).await;
    }
    if args.wants(Measurement::Fetch) {
        let each = args.sized(50, 2);
        lab.out
            .remark("fetch_rps: the embedded site answers on the same machine, sharing its cores");
        let rps = figures
            .record(Figure::Fetch, || fetch_many(lab, 64, each))
            .await;
        lab.out.line(format!("fetch: {rps:.0} requests a second"));
    }
    if args.wants(Measurement::LabSpawn) {
        let n = if thread_per_task {
            tasks
        } else {
            args.sized(100_000, 100)
        };
        let ratio = figures
            .record(Figure::LabSpawnRatio, || async move {
                let raw = spawn_many(lab, n).await;
                let drop_in = lab_spawn_many(lab, n).await;
                drop_in / raw
            })
            .await;
        lab.out
            .line(format!("drop-in spawn_task: {ratio:.2}x the runtime's own"));
    }
    outcome
}

/// spawn_ns: spawns `n` empty tasks with the runtime's own spawn, then awaits each.
async fn spawn_many<R: Runtime>(lab: &Lab<R>, n: u64) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| lab.rt.spawn(async {})).collect();
    for handle in handles {
        let _ = handle.await;
    }
    per_op(started.elapsed(), n)
}

/// The same through the drop-in `spawn_task`, which a book program calls.
async fn lab_spawn_many<R: Runtime>(lab: &Lab<R>, n: u64) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| book_api::spawn_task(&lab.rt, async {}))
        .collect();
    for handle in handles {
        let _ = handle.await;
    }
    per_op(started.elapsed(), n)
}

/// yield_ns: one task that yields `steps` times.
async fn yield_many<R: Runtime>(lab: &Lab<R>, steps: u64) -> f64 {
    let rt = lab.rt.clone();
    let task = lab.rt.spawn(async move {
        let started = Instant::now();
        for _ in 0..steps {
            rt.yield_now().await;
        }
        started.elapsed()
    });
    match task.await {
        Ok(took) => per_op(took, steps),
        Err(_) => f64::NAN,
    }
}

/// ping_pong_ns: two tasks pass a message back and forth `trips` times over the
/// runtime's own channel.
async fn ping_pong<R: Runtime>(lab: &Lab<R>, trips: u64) -> f64 {
    let kind = lab.capabilities().channel;
    let (to_pong, mut pong_rx) = book_api::channel::<u64>(kind);
    let (to_ping, mut ping_rx) = book_api::channel::<u64>(kind);
    let pong = lab.rt.spawn(async move {
        while let Some(n) = pong_rx.recv().await {
            if to_ping.send(n).is_err() {
                break;
            }
        }
    });
    let ping = lab.rt.spawn(async move {
        let started = Instant::now();
        for n in 0..trips {
            if to_pong.send(n).is_err() || ping_rx.recv().await.is_none() {
                break;
            }
        }
        started.elapsed()
    });
    let took = ping.await;
    let _ = pong.await;
    took.map_or(f64::NAN, |took| per_op(took, trips))
}

/// timer_late_us and timer_late_p99_us: `sleeps` 1 ms sleeps in a row, each timed.
async fn timer<R: Runtime>(figures: &Figures<'_, R>, sleeps: u64) {
    let lab = figures.lab;
    let mut medians = Vec::new();
    let mut p99s = Vec::new();
    for round in 0..=figures.rounds {
        let mut late = Vec::with_capacity(sleeps as usize);
        for _ in 0..sleeps {
            let asked = Instant::now();
            lab.rt.sleep(Duration::from_millis(1)).await;
            let over = asked.elapsed().saturating_sub(Duration::from_millis(1));
            late.push(over.as_secs_f64() * 1e6);
        }
        late.sort_by(f64::total_cmp);
        if round == 0 {
            continue; // The warm-up round.
        }
        let p99 = late[((late.len() as f64 * 0.99).ceil() as usize).saturating_sub(1)];
        medians.push(Interval::of(&late).map_or(f64::NAN, |i| i.median));
        p99s.push(p99);
    }
    figures.set(Figure::TimerLate, medians);
    figures.set(Figure::TimerLateP99, p99s);
    lab.out.line(format!(
        "a 1 ms sleep: {:.0} us late (median), {:.0} us (99th percentile)",
        lab.out
            .measure(Figure::TimerLate.measure())
            .unwrap_or(f64::NAN),
        lab.out
            .measure(Figure::TimerLateP99.measure())
            .unwrap_or(f64::NAN)
    ));
}

/// fetch_rps: `clients` tasks each GET the embedded site's plain page `each` times, on
/// keep-alive connections (the fetcher's one connection pool).
async fn fetch_many<R: Runtime>(lab: &Lab<R>, clients: u64, each: u64) -> f64 {
    let url = lab.site().url("/plain");
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (fetcher, url) = (lab.fetcher.clone(), url.clone());
            lab.rt.spawn(async move {
                let mut ok = 0u64;
                for _ in 0..each {
                    ok += u64::from(fetcher.fetch_html(&url).await.is_ok());
                }
                ok
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        done += task.await.unwrap_or(0);
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// task_bytes: how much resident memory `n` tasks take while each is parked on a signal
/// that comes only after the measurement (a clone of one shared oneshot receiver, whose
/// list of wakers counts too: a few dozen bytes a task). Then the signal comes and every
/// task ends.
async fn task_bytes<R: Runtime>(lab: &Lab<R>, n: u64) -> Option<f64> {
    let (release, released) = futures::channel::oneshot::channel::<()>();
    let released = released.shared();
    // Room for every handle before the first figure, so that it does not count.
    let mut handles = Vec::with_capacity(n as usize);
    let before = resident_bytes()?;
    for _ in 0..n {
        let released = released.clone();
        handles.push(lab.rt.spawn(async move {
            let _ = released.await;
        }));
    }
    // Let every task be polled once, so that it is parked, not only queued.
    lab.sleep(Duration::from_millis(50)).await;
    let after = resident_bytes();
    let _ = release.send(());
    for handle in handles {
        let _ = handle.await;
    }
    Some(after?.saturating_sub(before) as f64 / n as f64)
}

/// The process's resident memory, from `/proc/self/statm` (Linux only).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // Every Linux this runs on in practice has 4 KiB pages.
    Some(pages * 4096)
}

/// The floors: a waker's wake + poll, an OS thread's spawn + join, a loopback TCP round
/// trip on blocking sockets. What a task, a thread per task and a fetch are built on.
async fn floors<R: Runtime>(figures: &Figures<'_, R>, args: &Bench) {
    let lab = figures.lab;
    let wakes = args.sized(1_000_000, 1_000);
    let ns = figures
        .record(Figure::FloorWake, || async move { floor_wake(wakes) })
        .await;
    lab.out
        .line(format!("floor: a wake + poll takes {ns:.1} ns"));
    let threads = args.sized(1_000, 10);
    let ns = figures
        .record(Figure::FloorThread, || async move { floor_thread(threads) })
        .await;
    lab.out.line(format!(
        "floor: a thread spawn + join takes {:.1} us",
        ns / 1e3
    ));
    let trips = args.sized(10_000, 100);
    let us = figures
        .record(Figure::FloorRtt, || async move { floor_rtt(trips) })
        .await;
    lab.out
        .line(format!("floor: a loopback TCP round trip takes {us:.1} us"));
}

/// A waker that sets a flag, and the future that waits for it.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// floor_wake_ns: `n` times, wake a hand-made waker and poll the future it wakes.
fn floor_wake(n: u64) -> f64 {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut ready = pin!(std::future::poll_fn(|_| {
        if flag.0.swap(false, Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    let started = Instant::now();
    for _ in 0..n {
        waker.wake_by_ref();
        // The flag is set, so the future is ready; poll it as an executor would.
        let _ = ready.as_mut().poll(&mut cx);
    }
    per_op(started.elapsed(), n)
}

/// floor_thread_ns: `n` OS threads, each spawned and joined in turn.
fn floor_thread(n: u64) -> f64 {
    // The lab's own threads (`lab-…`, and excluded by tid, which costs a lock and a set
    // insert, well under 1% of a spawn + join), not the runtime's: no census counts them.
    let started = Instant::now();
    for _ in 0..n {
        let thread = std::thread::Builder::new()
            .name("lab-floor".into())
            .spawn(crate::census::exclude_current);
        if !matches!(thread.map(std::thread::JoinHandle::join), Ok(Ok(()))) {
            return f64::NAN;
        }
    }
    per_op(started.elapsed(), n)
}

/// floor_rtt_us: `trips` one-byte round trips to an echo thread over loopback TCP, with
/// blocking sockets and Nagle off.
fn floor_rtt(trips: u64) -> f64 {
    let echo = || -> std::io::Result<f64> {
        let (mut client, server) = crate::syscalls::blocking_echo()?;
        let mut byte = [7u8];
        let started = Instant::now();
        for _ in 0..trips {
            client.write_all(&byte)?;
            client.read_exact(&mut byte)?;
        }
        let took = started.elapsed();
        drop(client);
        let _ = server.join();
        Ok(took.as_secs_f64() * 1e6 / trips as f64)
    };
    echo().unwrap_or(f64::NAN)
}
