//! `bench` at a tiny scale on every configuration: the report's structure, and the
//! relations that hold on any machine (never a timing threshold: those are the
//! benchmark's own business, in a release build).

use async_lab_experiments::report::Report;

use crate::support::{Config, in_parallel};

/// Every figure `bench` reports.
const KEYS: [&str; 11] = [
    "fetch_rps",
    "floor_rtt_us",
    "floor_thread_ns",
    "floor_wake_ns",
    "lab_spawn_ratio",
    "ping_pong_ns",
    "spawn_ns",
    "task_bytes",
    "timer_late_p99_us",
    "timer_late_us",
    "yield_ns",
];

fn tiny_bench(config: Config) -> Report {
    let run = config.run(&["--json", "bench", "--scale", "0.002", "--rounds", "2"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    run.report()
}

#[test]
fn bench_reports_every_figure_with_its_spread_and_sane_relations() {
    let configs: Vec<Config> = async_lab::configurations()
        .map(|c| Config::new(c.runtime, c.flavor))
        .collect();
    let reports = in_parallel(&configs, |config| Some((*config, tiny_bench(*config))));
    assert_eq!(reports.len(), configs.len());
    for (config, report) in &reports {
        let keys: Vec<&str> = report.measurements.keys().map(String::as_str).collect();
        assert_eq!(keys, KEYS, "{}:{}", config.runtime, config.flavor);
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
        for (key, value) in &report.measurements {
            assert!(value.is_finite() && *value > 0.0, "{key} = {value}");
            if key != "task_bytes" {
                let [min, max] = report.spread[key];
                assert!(
                    min <= *value && *value <= max,
                    "{key}: {min} <= {value} <= {max}"
                );
            }
        }
        let m = |key: &str| report.measurements[key];
        // A wake + poll is what every task is built on, and a spawn also allocates the
        // task: the floor stays far below a debug build's spawn. At this scale the floor
        // is a few dozen wakes, which one preemption on a busy machine can make slower
        // than a spawn: its fastest round is taken (a preemption only adds time). (yield_ns
        // against the floor is a release benchmark's question: at this scale both are a
        // few hundred ns in a debug build, and a busy machine can swap them.)
        let fastest_floor = report.samples["floor_wake_ns"]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        assert!(
            fastest_floor < m("spawn_ns"),
            "{}:{}: {:?} {:?}",
            config.runtime,
            config.flavor,
            report.samples["floor_wake_ns"],
            report.measurements
        );
        // An OS thread costs more than waking a future.
        assert!(
            m("floor_wake_ns") < m("floor_thread_ns"),
            "{:?}",
            report.measurements
        );
        // Tracing is off for bench's work: no poll of it is recorded, also where every
        // task runs inside the main future's polls (a local executor's).
        let polls: u64 = report.tasks.iter().map(|t| t.polls).sum();
        assert!(
            polls <= 2,
            "{}:{}: {polls} polls traced",
            config.runtime,
            config.flavor
        );
        assert_eq!(
            report.lines.len(),
            10,
            "a line per figure (the two timer figures share one): {:?}",
            report.lines
        );
    }
}

/// `--measure` picks measurements; bad values are usage errors.
#[test]
fn bench_measures_only_what_it_is_asked() {
    let config = Config::new("smol", "global");
    let run = config.run(&[
        "--json",
        "bench",
        "--measure",
        "yield,floors",
        "--scale",
        "0.001",
        "--rounds",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let keys: Vec<String> = run.report().measurements.into_keys().collect();
    assert_eq!(
        keys,
        [
            "floor_rtt_us",
            "floor_thread_ns",
            "floor_wake_ns",
            "yield_ns"
        ]
    );
    for bad in [
        &["--scale", "0"][..],
        &["--rounds", "0"],
        &["--measure", "nope"],
    ] {
        let mut args = vec!["bench"];
        args.extend(bad);
        let run = config.run(&args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
}

/// The driver runs bench's rounds round-robin over the configurations, each round in a
/// fresh process, and pools each configuration's rounds: every figure a median of three
/// values, its spread their interval; `--save` keeps the figures and `--compare` reads
/// them back with a verdict per figure.
#[test]
fn the_driver_interleaves_rounds_and_compares_with_a_saved_run() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let saved = dir.join("saved.json");
    let driver = |more: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_async-lab"));
        command
            .args(["--only", "smol:local", "--only", "tokio:current-thread"])
            .args(["bench", "--measure", "yield,floors", "--scale", "0.001"])
            .args(["--rounds", "3"])
            .args(more);
        crate::support::output_within(&mut command, crate::support::LIMIT)
    };
    let output = driver(&["--json", "--save", saved.to_str().expect("UTF-8")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(
        progress,
        [
            "[1/6] bench round 1/3 on smol (local)",
            "[2/6] bench round 1/3 on tokio (current-thread)",
            "[3/6] bench round 2/3 on smol (local)",
            "[4/6] bench round 2/3 on tokio (current-thread)",
            "[5/6] bench round 3/3 on smol (local)",
            "[6/6] bench round 3/3 on tokio (current-thread)",
        ]
    );
    let reports: Vec<Report> = serde_json::from_slice(&output.stdout).expect("the reports");
    for report in &reports {
        for (key, median) in &report.measurements {
            let mut values = report.samples[key].clone();
            assert_eq!(values.len(), 3, "{key}: one value a round");
            values.sort_by(f64::total_cmp);
            // Three values: the median is the middle one, the interval the outer two.
            assert_eq!(*median, values[1], "{key}");
            assert_eq!(report.spread[key], [values[0], values[2]], "{key}");
        }
    }
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("JSON");
    assert_eq!(
        baseline["figures"]["yield_ns"]["smol (local)"]["median"],
        reports[0].measurements["yield_ns"]
    );
    let output = driver(&["--compare", saved.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    let verdicts = text
        .lines()
        .filter(|l| {
            ["no change", "faster", "slower"]
                .iter()
                .any(|v| l.ends_with(v))
        })
        .count();
    assert_eq!(verdicts, 8, "four figures on two configurations:\n{text}");
    assert!(
        text.lines().any(|l| l.starts_with("Agreement: ")
            && l.contains(" of 8 figures have their new median inside the saved interval")),
        "{text}"
    );
}

/// The driver's `bench --measure syscalls` at a small N, on `only` (every configuration
/// when empty), with `path` as PATH where given: its exit status, stdout and stderr.
fn count_syscalls(
    only: &[&str],
    path: Option<&std::path::Path>,
    json: bool,
) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_async-lab"));
    for configuration in only {
        command.args(["--only", configuration]);
    }
    command.args([
        "bench",
        "--measure",
        "syscalls,yield",
        "--scale",
        "0.01",
        "--rounds",
        "1",
    ]);
    if json {
        command.arg("--json");
    }
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let output = crate::support::output_within(&mut command, crate::support::LIMIT);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every configuration's row has its system calls a yield, a sleep and an echo round trip,
/// or says why not; the floors are what blocking std calls make (a sched_yield, a
/// clock_nanosleep, a write and a read on each side of a round trip); and io_uring's echo
/// makes fewer system calls than the same runtime's readiness driver. Counts, not timings:
/// strace -f counts every thread's calls, N operations less none. Where strace is not
/// installed (CI installs it), one line says so and bench still ends well.
#[test]
fn the_driver_counts_the_system_calls_of_an_operation_on_every_configuration() {
    let only = std::env::var("ASYNC_LAB_ONLY").unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|s| !s.is_empty()).collect();
    let (code, stdout, stderr) = count_syscalls(&only, None, true);
    assert_eq!(code, Some(0), "{stderr}");
    let reports: Vec<Report> = serde_json::from_str(&stdout).expect("the reports");
    let strace = std::process::Command::new("strace").arg("-V").output();
    if strace.is_err() {
        assert!(
            stderr.contains("system calls per operation: not counted: strace is not installed"),
            "{stderr}"
        );
        return;
    }
    let figures = ["yield_syscalls", "sleep_syscalls", "echo_syscalls"];
    let mut rows = 0;
    for report in &reports {
        // A pool's rows at other worker counts (bench's sweep) are not counted.
        let counted = figures.iter().any(|f| report.measurements.contains_key(*f))
            || report
                .remarks
                .iter()
                .any(|r| r.contains("_syscalls: not counted: "));
        if !counted {
            continue;
        }
        rows += 1;
        let name = format!("{}:{}", report.runtime, report.flavor);
        for figure in figures {
            match report.measurements.get(figure) {
                Some(calls) => assert!(
                    calls.is_finite() && *calls >= 0.0,
                    "{name}: {figure} = {calls}"
                ),
                None => assert!(
                    report
                        .remarks
                        .iter()
                        .any(|r| r.starts_with(&format!("{figure}: not counted: "))),
                    "{name}: {figure} neither counted nor said why: {:?}",
                    report.remarks
                ),
            }
        }
        let floor = |key: &str| report.measurements[key];
        assert!(
            (0.5..=2.0).contains(&floor("floor_yield_syscalls")),
            "{:?}",
            report.measurements
        );
        assert!(
            (0.5..=3.0).contains(&floor("floor_sleep_syscalls")),
            "{:?}",
            report.measurements
        );
        assert!(
            (2.0..=8.0).contains(&floor("floor_echo_syscalls")),
            "{:?}",
            report.measurements
        );
        // Counted by name: a thread's yield is a sched_yield.
        assert!(
            report
                .remarks
                .iter()
                .any(|r| r.starts_with("floor_yield_syscalls: ") && r.contains("sched_yield 1.0")),
            "{:?}",
            report.remarks
        );
    }
    let expected = async_lab::configurations()
        .filter(|c| {
            only.is_empty()
                || only
                    .iter()
                    .any(|o| *o == c.runtime || *o == format!("{}:{}", c.runtime, c.flavor))
        })
        .count();
    assert_eq!(rows, expected, "a counted row a configuration:\n{stderr}");
    let echo = |runtime: &str, flavor: &str| {
        reports
            .iter()
            .find(|r| r.runtime == runtime && r.flavor == flavor)
            .and_then(|r| r.measurements.get("echo_syscalls").copied())
    };
    if let (Some(completion), Some(readiness)) =
        (echo("compio", "io-uring"), echo("compio", "poll"))
    {
        assert!(
            completion < readiness,
            "io_uring's round trip {completion} against epoll's {readiness}"
        );
    }
}

/// Without strace, the system calls are not counted, one line says why, and the rest of
/// bench stands: its other figures, and exit status 0.
#[test]
fn without_strace_bench_says_so_in_one_line_and_goes_on() {
    let empty = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("no-strace-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("a folder");
    let (code, stdout, stderr) = count_syscalls(&["tokio:current-thread"], Some(&empty), false);
    assert_eq!(code, Some(0), "{stderr}");
    let said: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("not counted"))
        .collect();
    assert_eq!(
        said,
        [
            "system calls per operation: not counted: strace is not installed (on Debian: apt-get install strace)"
        ],
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("yield_ns ")),
        "{stdout}"
    );
    assert!(!stdout.contains("yield_syscalls"), "{stdout}");
}
