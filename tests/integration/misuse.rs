//! Misuse, hostile environments and load: never a panic, a hang or a lost reason.
//!
//! Every case runs on every configuration and asserts its exit status, the exact lines it
//! printed (stdout, and stderr's one line where it is a usage error), that nothing
//! panicked, and that the rest of its results are intact (a good page beside a bad one
//! still prints its title). Where neither the environment nor the process is the point
//! (a usage error, a hostile URL or page), the case runs in this process, through the
//! binary's own checks (`RuntimeCrate::refusal`) or, where it can, its own run
//! (`RuntimeCrate::run_in_process`); a case that sets an environment variable, and the
//! tests below the cases (limits, stdout, signals, crashes), run a child process. The
//! cases: numbers out of bounds, output files that cannot be written, hostile
//! environment variables, proxies, text that tries to forge a line, the site's fault
//! pages, a closed or full stdout, a descriptor limit (raised where the child may, said
//! up front where it may not), scarce threads (as an unprivileged user under
//! `ulimit -u 1`), and signals to the driver and its child.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_lab::InProcess;
use async_lab_experiments::bounds;
use async_lab_experiments::report::Report;
use async_lab_experiments::site::FAILING;
use async_lab_runtime::env::VARIABLES;

use crate::support::{Config, LIMIT, Run, site, status_within};

crate::on_every_configuration!(
    every_misuse_case_gives_its_status_and_exact_lines,
    a_descriptor_limit_is_raised_or_said_up_front,
    a_closed_or_full_stdout_ends_the_run_quietly,
    the_driver_s_child_ends_with_the_driver,
    a_crashed_child_keeps_its_reason_and_the_others_their_reports,
    scarce_threads_end_the_run_in_one_line
);

/// One misuse case: a command line and an environment, and all that the run must give.
struct Case {
    name: String,
    env: Vec<(String, Vec<u8>)>,
    args: Vec<String>,
    code: i32,
    /// stdout's exact lines; `{site}` is the embedded site's base URL.
    stdout: Vec<String>,
    /// stderr's one exact line for a usage error (`{bin}` is `runtime-<rt>`); else
    /// `None`, and stderr only has to be free of panics.
    stderr: Option<String>,
    /// The flavor to ask for instead of the configuration's (a bad one).
    flavor: Option<&'static str>,
    /// Whether the run gets the tests' small `--time-scale` (not when it gives its own).
    scaled: bool,
    /// A runtime's own variable, set by the case: on a runtime that does not read it, the
    /// run goes on as if it were not set, and prints `unread`'s lines.
    runtime_variable: Option<(&'static str, Vec<String>)>,
    /// For a usage error: run the binary in a process, rather than its checks in-process.
    in_a_process: bool,
}

impl Case {
    fn new(name: &str, args: &[&str]) -> Case {
        Case {
            name: name.to_string(),
            env: Vec::new(),
            args: args.iter().map(ToString::to_string).collect(),
            code: 0,
            stdout: Vec::new(),
            stderr: None,
            flavor: None,
            scaled: !args.contains(&"--time-scale"),
            runtime_variable: None,
            in_a_process: false,
        }
    }

    /// A usage error checked through the binary in a process of its own, exit status and
    /// stderr as a user sees them, rather than through its checks in-process.
    fn in_a_process(mut self) -> Case {
        self.in_a_process = true;
        self
    }

    /// The case sets `name`, a variable only some runtimes read: on the others the run
    /// ends with status 0 and prints `lines`.
    fn unless_unread(mut self, name: &'static str, lines: &[&str]) -> Case {
        self.runtime_variable = Some((name, lines.iter().map(ToString::to_string).collect()));
        self
    }

    fn flavor(mut self, flavor: &'static str) -> Case {
        self.flavor = Some(flavor);
        self
    }

    /// A usage error: exit status 2, nothing on stdout, `line` alone on stderr.
    fn usage(mut self, line: impl Into<String>) -> Case {
        self.code = 2;
        self.stderr = Some(line.into());
        self
    }

    /// A run that ends with `code` and prints `lines`.
    fn prints(mut self, code: i32, lines: &[&str]) -> Case {
        self.code = code;
        self.stdout = lines.iter().map(ToString::to_string).collect();
        self
    }

    fn env(mut self, name: &str, value: impl AsRef<[u8]>) -> Case {
        self.env.push((name.to_string(), value.as_ref().to_vec()));
        self
    }
}

/// The one line a usage error gives for `value` of `arg`: clap's, with the bound's reason.
fn invalid(value: &str, arg: &str, reason: String) -> String {
    format!("{{bin}}: invalid value '{value}' for '{arg}': {reason} (see --help)")
}

fn numbers_out_of_bounds() -> Vec<Case> {
    let more = |bound: u64, why: &str| format!("more than {bound}: {why}");
    vec![
        Case::new("workers-huge", &["--workers", "300000", "race"])
            .usage(invalid(
                "300000",
                "--workers <N>",
                more(1024, bounds::WORKERS.why),
            ))
            .in_a_process(),
        Case::new("workers-zero", &["--workers", "0", "race"]).usage(invalid(
            "0",
            "--workers <N>",
            format!("less than 1: {}", bounds::WORKERS.why),
        )),
        Case::new("time-scale-huge", &["--time-scale", "1e300", "spawn"]).usage(invalid(
            "1e300",
            "--time-scale <X>",
            more(10, bounds::TIME_SCALE.why),
        )),
        Case::new("time-scale-zero", &["--time-scale", "0", "spawn"]).usage(invalid(
            "0",
            "--time-scale <X>",
            format!("less than 0.001: {}", bounds::TIME_SCALE.why),
        )),
        Case::new("time-scale-nan", &["--time-scale", "NaN", "spawn"]).usage(invalid(
            "NaN",
            "--time-scale <X>",
            "not a number from 0.001 to 10".into(),
        )),
        Case::new("timeout-huge", &["--timeout", "1e300", "race"]).usage(invalid(
            "1e300",
            "--timeout <SECS>",
            more(3600, bounds::TIMEOUT.why),
        )),
        Case::new("timeout-negative", &["--timeout=-1", "race"]).usage(invalid(
            "-1",
            "--timeout <SECS>",
            format!("less than 0.001: {}", bounds::TIMEOUT.why),
        )),
        Case::new("downloads-huge", &["downloads", "200000"]).usage(invalid(
            "200000",
            "[N]",
            more(100_000, bounds::DOWNLOADS.why),
        )),
        Case::new("delay-overflow", &["downloads", "10", "99999999999999999999"]).usage(
            invalid(
                "99999999999999999999",
                "[DELAY_MS]",
                "not a whole number from 0 to 60000".into(),
            ),
        ),
        Case::new("frame-ms-zero", &["export", "1", "0"]).usage(invalid(
            "0",
            "[FRAME_MS]",
            format!("less than 1: {}", bounds::FRAME_MS.why),
        )),
        Case::new("bench-for-hours", &["bench", "--scale", "10", "--rounds", "100"]).usage(
            "{bin}: bench --scale 10 --rounds 100 asks for 2000 rounds of the default workload (--scale times 100 rounds, each after a warm-up); the most is 60: nearly four times the default already runs for a minute per configuration; more is a hang, not a benchmark",
        ),
        Case::new("export-for-days", &["export", "10000", "10000"]).usage(format!(
            "{{bin}}: export 10000 10000 at --time-scale 0.05 asks for 15000 s of computation (three ways of 10000 frames of 10000 ms); the most is 600 s: {}",
            bounds::EXPORT_CPU_SECONDS.1
        )),
    ]
}

/// A FIFO to name as an output file, made once.
fn fifo() -> &'static str {
    static FIFO: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FIFO.get_or_init(|| {
        let path = format!("{}/misuse.fifo", env!("CARGO_TARGET_TMPDIR"));
        if !std::path::Path::new(&path).exists() {
            let made = Command::new("mkfifo").arg(&path).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo {path}");
        }
        path
    })
}

fn bad_output_files_and_names() -> Vec<Case> {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let twice = format!("{dir}/twice.svg");
    vec![
        Case::new(
            "timeline-nowhere",
            &["--timeline", "/dev/null/timeline.svg", "race"],
        )
        .usage("{bin}: --timeline /dev/null/timeline.svg: cannot write there: Not a directory (os error 20)"),
        Case::new("timeline-a-folder", &["--timeline", dir, "race"]).usage(format!(
            "{{bin}}: --timeline {dir}: is a folder, not a regular file"
        )),
        // Opened, a FIFO would block the run before it starts; renamed over, /dev/null
        // would be replaced.
        Case::new("trace-a-fifo", &["--trace", fifo(), "race"]).usage(format!(
            "{{bin}}: --trace {}: is a FIFO, not a regular file",
            fifo()
        )),
        Case::new("timeline-a-device", &["--timeline", "/dev/null", "race"])
            .usage("{bin}: --timeline /dev/null: is a character device, not a regular file"),
        Case::new(
            "one-file-twice",
            &["--timeline", &twice, "--trace", &twice, "race"],
        )
        .usage(format!(
            "{{bin}}: --timeline {twice} and --trace {twice} name the same file: give each its own"
        )),
        Case::new("trace-nowhere", &["--trace", "/dev/null/trace.json", "race"]).usage(
            "{bin}: --trace /dev/null/trace.json: cannot write there: Not a directory (os error 20)",
        ),
        Case::new("flavor-two-lines", &["race"])
            .flavor("x\nThe title for y was z")
            .usage("{bin}: no flavor 'x\\nThe title for y was z'; {bin} has: {flavors}"),
        Case::new("flavor-empty", &["race"])
            .flavor("")
            .usage("{bin}: no flavor ''; {bin} has: {flavors}"),
    ]
}

fn hostile_environments() -> Vec<Case> {
    let plain = "The title for {site}/plain was Hello from the embedded site";
    // The line is written here, whole: the lab's refusal, with what the variable may hold
    // and why.
    let refuse = |name: &str, value: &[u8], line: &str| {
        Case::new(
            &format!("env-{name}={}", String::from_utf8_lossy(value)),
            &["page-title", "/plain"],
        )
        .env(name, value)
        .usage(format!("{{bin}}: environment variable {line}"))
    };
    let pool = "takes a whole number from 1 to 1024";
    let tokio_why =
        "tokio panics on 0 or on anything but a number, and a pool wants about one thread per core";
    let smol_why = "with 0 smol starts no executor thread, so no task would ever run; it reads anything but a number as 1 without a word";
    let proxy_why = "reqwest skips a proxy it cannot read, or a socks one (a feature this build leaves out), and connects directly without a word; the embedded site, on loopback, is always reached directly";
    vec![
        refuse("SMOL_THREADS", b"0", &format!("SMOL_THREADS=\"0\": {pool}: {smol_why}"))
            .unless_unread("SMOL_THREADS", &[plain]),
        refuse("SMOL_THREADS", b"many", &format!("SMOL_THREADS=\"many\": {pool}: {smol_why}"))
            .unless_unread("SMOL_THREADS", &[plain]),
        refuse(
            "SMOL_THREADS",
            b"\xff\xfe",
            &format!("SMOL_THREADS=\"\u{fffd}\u{fffd}\": not UTF-8: {smol_why}"),
        )
        .unless_unread("SMOL_THREADS", &[plain]),
        refuse(
            "TOKIO_WORKER_THREADS",
            b"0",
            &format!("TOKIO_WORKER_THREADS=\"0\": {pool}: {tokio_why}"),
        )
        .unless_unread("TOKIO_WORKER_THREADS", &[plain]),
        refuse(
            "TOKIO_WORKER_THREADS",
            b"100000",
            &format!("TOKIO_WORKER_THREADS=\"100000\": {pool}: {tokio_why}"),
        )
        .unless_unread("TOKIO_WORKER_THREADS", &[plain]),
        refuse(
            "ASYNC_STD_THREAD_COUNT",
            b"-2",
            &format!("ASYNC_STD_THREAD_COUNT=\"-2\": {pool}: async-std reads 0 or anything but a number as one thread per core without a word"),
        )
        .unless_unread("ASYNC_STD_THREAD_COUNT", &[plain]),
        refuse(
            "ASYNC_STD_THREAD_NAME",
            b"worker",
            "ASYNC_STD_THREAD_NAME=\"worker\": must not be set: the thread report tells async-std's workers by the name async-std gives them",
        )
        .unless_unread("ASYNC_STD_THREAD_NAME", &[plain]),
        refuse(
            "BLOCKING_MAX_THREADS",
            b"0",
            "BLOCKING_MAX_THREADS=\"0\": takes a whole number from 1 to 10000: the blocking crate clamps other numbers to 1..10000 and reads anything else as 500, without a word",
        )
        .unless_unread("BLOCKING_MAX_THREADS", &[plain]),
        refuse(
            "RUST_MIN_STACK",
            b"1",
            "RUST_MIN_STACK=\"1\": takes a whole number from 262144 to 67108864: a smaller stack overflows (the process dies without a message); a larger one is reserved by every thread, 10,000 of them with a thread per task",
        ),
        refuse(
            "HTTP_PROXY",
            b"socks5://127.0.0.1:1080",
            &format!("HTTP_PROXY=\"socks5://127.0.0.1:1080\": socks5:// is not a proxy this build can use (http:// and https:// only): {proxy_why}"),
        ),
        refuse(
            "https_proxy",
            b"http://",
            &format!("https_proxy=\"http://\": not a proxy URL (empty host): {proxy_why}"),
        ),
        refuse(
            "ALL_PROXY",
            b"ftp://127.0.0.1:21",
            &format!("ALL_PROXY=\"ftp://127.0.0.1:21\": ftp:// is not a proxy this build can use (http:// and https:// only): {proxy_why}"),
        ),
        // The binaries take --flavor; only a program on the trpl API reads this one.
        Case::new("flavor-variable-not-read", &["page-title", "/plain"])
            .env("ASYNC_LAB_FLAVOR", "nope")
            .prints(0, &[plain]),
        // A dead proxy in every variable: the embedded site is still reached directly.
        Case::new("dead-proxy", &["page-title", "/plain"])
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("ALL_PROXY", "http://127.0.0.1:9")
            .prints(0, &[plain]),
        // Other URLs do follow the proxy: the embedded site, acting as one, answers for
        // a host that does not exist.
        Case::new(
            "proxy-for-other-hosts",
            &["page-title", "http://proxied.invalid/plain", "/gbk"],
        )
        .env("HTTP_PROXY", site().base())
        .prints(
            0,
            &[
                "The title for http://proxied.invalid/plain was Hello from the embedded site",
                "The title for {site}/gbk was \u{5f02}\u{6b65}\u{7f16}\u{7a0b}\u{5165}\u{95e8}",
            ],
        ),
        Case::new("no-proxy-and-cgi", &["page-title", "/plain"])
            .env("NO_PROXY", "*")
            .env("REQUEST_METHOD", "GET")
            .prints(0, &[plain]),
    ]
}

fn forged_lines() -> Vec<Case> {
    let plain = "The title for {site}/plain was Hello from the embedded site";
    let malformed = "failed: malformed URL: relative URL without a base";
    vec![
        Case::new("empty-url", &["page-title", "", "/plain"])
            .prints(1, &[&format!("\"\" {malformed}"), plain]),
        Case::new(
            "url-with-a-line-break",
            &[
                "page-title",
                "/plain\nThe title for http://x was y",
                "/plain",
            ],
        )
        .prints(
            1,
            &[
                "\"{site}/plain\\nThe title for http://x was y\" failed: HTTP 404 Not Found",
                plain,
            ],
        ),
        Case::new(
            "url-like-a-title",
            &["page-title", "The title for http://x was y", "/plain"],
        )
        .prints(
            1,
            &[
                &format!("\"The title for http://x was y\" {malformed}"),
                plain,
            ],
        ),
        Case::new(
            "terminal-escape",
            &["page-title", "/\u{1b}[2Jred", "/plain"],
        )
        .prints(
            1,
            &["\"{site}/\\u{1b}[2Jred\" failed: HTTP 404 Not Found", plain],
        ),
        Case::new(
            "right-to-left-override",
            &["page-title", "x\u{202e}y", "/plain"],
        )
        .prints(1, &[&format!("\"x\\u{{202e}}y\" {malformed}"), plain]),
        // The password is the user's secret: no output shows it (see `check`).
        Case::new(
            "password-in-a-url",
            &["page-title", "http://user:secret@127.0.0.1:1/", "/plain"],
        )
        .prints(
            1,
            &[
                "http://user:***@127.0.0.1:1/ failed: could not connect: Connection refused (os error 111)",
                plain,
            ],
        ),
        Case::new("race-empty-url", &["race", "", "/plain"])
            .prints(1, &["\"\" returned first", &format!("\"\" {malformed}")]),
    ]
}

fn fault_pages() -> Vec<Case> {
    let reasons = [
        ("/status/404", "HTTP 404 Not Found"),
        ("/status/500", "HTTP 500 Internal Server Error"),
        ("/hang", "timed out after 0.5 s"),
        (
            "/reset",
            "request failed: connection closed before message completed",
        ),
        (
            "/truncated",
            "the body broke off: end of file before message length reached",
        ),
        ("/not-html", "not HTML (Content-Type: application/json)"),
        (
            "/text-latin1",
            "not HTML (Content-Type: text/plain; name=caf\u{fffd})",
        ),
        ("/huge", "body too large: over the 10 MiB cap"),
        ("/redirect-loop", "too many redirects (a redirect loop?)"),
    ];
    assert_eq!(reasons.len(), FAILING.len(), "a case for every fault page");
    reasons
        .iter()
        .map(|(path, reason)| {
            // Half a second for the page that hangs; the others end on their own, the huge
            // one after 10 MiB, which a loaded machine may take longer than that to read.
            let timeout = if *path == "/hang" { "0.5" } else { "5" };
            Case::new(
                &format!("fault{}", path.replace('/', "-")),
                &["--timeout", timeout, "page-title", path, "/plain"],
            )
            .prints(
                1,
                &[
                    &format!("{{site}}{path} failed: {reason}"),
                    "The title for {site}/plain was Hello from the embedded site",
                ],
            )
        })
        .collect()
}

/// Pages built to trip the title finder up: a title 20,000 `<div>`s deep (quadratic for a
/// tree builder: 24 s under a 1 s timeout in a debug build, before), and a fake title
/// inside a `<template>`. Each gives its title within the timeout, and the page beside it
/// keeps its own. (How the time grows with the page is `benches/title_scaling.rs`'s.)
fn hostile_pages() -> Vec<Case> {
    let plain = "The title for {site}/plain was Hello from the embedded site";
    let case = |name: &str, path: &str, title: &str| {
        Case::new(name, &["--timeout", "1", "page-title", path, "/plain"]).prints(
            0,
            &[&format!("The title for {{site}}{path} was {title}"), plain],
        )
    };
    vec![
        case("deep-nesting", "/deep/20000", "Deep"),
        case("template-title", "/template-title", "The real title"),
    ]
}

/// Every case of the tables above.
fn cases() -> Vec<Case> {
    [
        hostile_pages(),
        numbers_out_of_bounds(),
        bad_output_files_and_names(),
        hostile_environments(),
        forged_lines(),
        fault_pages(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// How many misuse cases each configuration runs: the tables, and one per test below.
#[test]
fn the_suite_has_65_cases_and_a_hostile_one_for_every_bounded_variable() {
    // A descriptor limit; scarce threads; a closed stdout, three ways on the binary
    // and three on the driver; a full stdout; two signals.
    let special = 11;
    assert_eq!(cases().len() + special, 65, "as this test's name says");
    // Every variable the binaries read that takes a bounded value has a hostile case
    // (those only a book program reads are refused in trpl_api's tests).
    let hostile: Vec<String> = cases()
        .iter()
        .flat_map(|c| c.env.iter().map(|(n, _)| n.clone()))
        .collect();
    for variable in VARIABLES.iter().chain(&async_lab::variables()) {
        let bounded = !matches!(variable.takes, async_lab_runtime::env::Takes::Anything)
            && !variable.takes.book_only();
        if bounded {
            assert!(
                variable
                    .names
                    .iter()
                    .any(|n| hostile.iter().any(|h| h == n)),
                "no hostile case for {}",
                variable.names[0]
            );
        }
    }
}

fn fill(template: &str, config: Config) -> String {
    let flavors: Vec<&str> = async_lab::runtime_named(config.runtime)
        .map(|r| r.configurations.iter().map(|c| c.flavor).collect())
        .unwrap_or_default();
    template
        .replace("{site}", &site().base())
        .replace("{bin}", &format!("runtime-{}", config.runtime))
        .replace("{flavors}", &flavors.join(", "))
}

fn check(config: Config, case: &Case) -> Result<(), String> {
    let site = site().base();
    let mut args = vec!["--site", site.as_str()];
    if case.scaled {
        args.extend(["--time-scale", "0.05"]);
    }
    args.extend(case.args.iter().map(String::as_str));
    let config = Config::new(config.runtime, case.flavor.unwrap_or(config.flavor));
    let runtime = async_lab::runtime_named(config.runtime).expect("a runtime of the registry");
    let unread = case
        .runtime_variable
        .as_ref()
        .filter(|(name, _)| !runtime.variables.iter().any(|v| v.names.contains(name)));
    let (code, stderr, stdout) = match unread {
        Some((_, lines)) => (0, &None, lines),
        None => (case.code, &case.stderr, &case.stdout),
    };
    if let (2, Some(line), false) = (code, stderr, case.in_a_process) {
        // A usage error: the binary's own checks, run in-process, with the case's
        // environment only.
        let mut argv: Vec<OsString> = vec![
            format!("runtime-{}", config.runtime).into(),
            "--flavor".into(),
            config.flavor.into(),
        ];
        argv.extend(args.iter().map(OsString::from));
        let lookup = |name: &str| {
            case.env
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, value)| OsStr::from_bytes(value).to_os_string())
        };
        let refusal = (runtime.refusal)(argv, &lookup);
        let want = Some((2, fill(line, config)));
        return if refusal == want {
            Ok(())
        } else {
            Err(format!(
                "{}: refused in-process with {refusal:?} (want {want:?})",
                case.name
            ))
        };
    }
    let expected: Vec<String> = stdout.iter().map(|l| fill(l, config)).collect();
    if case.env.is_empty() && !case.in_a_process {
        // A run whose lines are the point, not its process: in this one where it can be,
        // through the binary's own parsing, checks and run. (An environment variable stays
        // a child's: reqwest reads the proxies from the process's environment.)
        match config.in_process_as_is(&args) {
            InProcess::Ran { status, report } => {
                // Everything the run would print, stdout and stderr, is in its report.
                let said = serde_json::to_string(&report).expect("the report as JSON");
                let code_ok = i32::from(status) == code && stderr.is_none();
                return if code_ok && report.lines == expected && !said.contains("secret") {
                    Ok(())
                } else {
                    Err(format!(
                        "{}: in-process exit {status} (want {code}), lines {:?} (want {expected:?}), errors {:?}",
                        case.name, report.lines, report.errors
                    ))
                };
            }
            // An executor of the whole process's: a child's.
            InProcess::NeedsAProcess(_) => {}
            refused @ InProcess::Refused { .. } => {
                return Err(format!("{}: in-process {refused:?}", case.name));
            }
        }
    }
    let mut command = config.command_as_is(&args);
    for (name, value) in &case.env {
        command.env(name, OsStr::from_bytes(value));
    }
    let run = Run::of(&mut command);
    let stderr_ok = match stderr {
        Some(line) => run.stderr == format!("{}\n", fill(line, config)),
        None => !run.stderr.contains("panic"),
    };
    // Only the password case says "secret": no output of any case may.
    let secret_kept = !run.stdout.contains("secret") && !run.stderr.contains("secret");
    if run.code == Some(code) && run.lines() == expected && stderr_ok && secret_kept {
        return Ok(());
    }
    Err(format!(
        "{}: exit {:?} (want {code}), stdout {:?} (want {expected:?}), stderr:\n{}",
        case.name, run.code, run.stdout, run.stderr
    ))
}

fn every_misuse_case_gives_its_status_and_exact_lines(config: Config) {
    // One case at a time: the configurations already run several at once, and more
    // processes than that would slow the timing-sensitive tests that run beside these.
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|case| check(config, case).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `command` under a lowered limit, soft and hard (`limit` is `ulimit`'s option and
/// value: `-n 40`), so that the child cannot raise it back.
fn with_ulimit(command: &Command, limit: &str) -> Command {
    let mut limited = Command::new("bash");
    limited
        .args(["-c", &format!("ulimit {limit} && exec \"$0\" \"$@\"")])
        .arg(command.get_program())
        .args(command.get_args());
    limited
}

/// `command` run as the unprivileged user `nobody`, whom the limits bind (root is exempt
/// from some, and may raise the others).
fn as_nobody(command: &Command) -> Command {
    let mut nobody = Command::new("runuser");
    nobody
        .args(["-u", "nobody", "--"])
        .arg(command.get_program())
        .args(command.get_args());
    nobody
}

/// 60 downloads at once under a limit of 40 descriptors, soft and hard. Where the process
/// may raise its hard limit (root with `CAP_SYS_RESOURCE`), the run raises it to what it
/// needs and every page comes, and as an unprivileged user it is refused; where it may not,
/// the run stops before its first download, with the numbers and how to raise the limit.
fn a_descriptor_limit_is_raised_or_said_up_front(config: Config) {
    // Pages that take 300 ms (scaled), so that the downloads overlap even on a busy machine.
    let args = ["--json", "downloads", "60", "6000"];
    let run = Run::of(&mut with_ulimit(&config.command(&args), "-n 40"));
    if !may_raise_the_hard_limit() {
        return refused_up_front(&run);
    }
    run.assert_no_panic();
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let report: Report = run.report();
    assert_eq!(report.lines, ["downloaded 60 of 60 pages"]);
    assert!(report.measurements["descriptor_limit"] >= 60.0);
    let site = site().base();
    let mut command = Command::new(runnable_by_anyone());
    command
        .args(["--child", config.runtime, "--flavor", config.flavor])
        .args(["--site", &site, "--time-scale", "0.05"])
        .args(args);
    refused_up_front(&Run::of(&mut as_nobody(&with_ulimit(&command, "-n 40"))));
}

/// Whether this process may raise its hard limits: `CAP_SYS_RESOURCE` (bit 24) among its
/// effective capabilities, which root has on most machines but not in every sandbox.
fn may_raise_the_hard_limit() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 24) != 0)
}

/// The run of 60 downloads under a hard limit of 40 that it may not raise: it stopped
/// before its first download, with the numbers and how to raise the limit.
fn refused_up_front(run: &Run) {
    run.assert_no_panic();
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    let report: Report = run.report();
    let [line] = report.lines.as_slice() else {
        panic!("one line: {:?}", report.lines);
    };
    let refusal = line
        .strip_prefix("downloaded none of 60 pages: ")
        .expect("no page was fetched");
    assert!(
        refusal.starts_with("60 downloads at once need ")
            && refusal.contains(" open descriptors (one each, and ")
            && refusal.contains(
                " for the run itself), and the limit is 40: raise it (as root: ulimit -Hn "
            ),
        "{refusal}"
    );
    assert_eq!(report.errors, [refusal]);
    assert!(
        !report.measurements.contains_key("pages"),
        "no download started"
    );
}

/// A file for a child's stderr, unique to this test process and `name`.
fn scratch(name: &str, config: Config) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "async-lab-misuse-{}-{name}-{}-{}",
        std::process::id(),
        config.runtime,
        config.flavor
    ))
}

/// Runs `command` with `stdout` as its stdout: a pipe closed before the child writes
/// (`None`: its reader is gone), or a file.
fn with_stdout(mut command: Command, stdout: Option<File>, scratch: std::path::PathBuf) -> Run {
    let closed = stdout.is_none();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout.map_or(Stdio::piped(), Stdio::from))
        .stderr(File::create(&scratch).expect("a stderr file"))
        .spawn()
        .expect("the child starts");
    if closed {
        drop(child.stdout.take());
    }
    let status = status_within(&mut child, LIMIT).expect("the child ends");
    let stderr = std::fs::read_to_string(&scratch).unwrap_or_default();
    let _ = std::fs::remove_file(&scratch);
    Run {
        stdout: String::new(),
        stderr,
        code: status.code(),
    }
}

fn a_closed_or_full_stdout_ends_the_run_quietly(config: Config) {
    for args in [
        &["page-title", "/plain", "/gbk"][..],
        &["--json", "page-title", "/plain"],
        &["list"],
    ] {
        let run = with_stdout(config.command(args), None, scratch("closed", config));
        assert_eq!(run.code, Some(0), "{args:?}: stderr:\n{}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}: nothing on stderr");
    }
    // The driver too, in each of its modes: its children's output is its own to read.
    for mode in [&[][..], &["--json"], &["--markdown"]] {
        let mut args = vec!["--time-scale", "0.05"];
        args.extend(mode);
        let run = with_stdout(
            driver(config, &args, &["race"]),
            None,
            scratch("driver", config),
        );
        assert_eq!(run.code, Some(0), "{mode:?}: stderr:\n{}", run.stderr);
        assert_eq!(
            run.stderr,
            format!("[1/1] race on {} ({})\n", config.runtime, config.flavor),
            "{mode:?}"
        );
    }
    let full = File::create("/dev/full").expect("/dev/full");
    let run = with_stdout(
        config.command(&["page-title", "/plain"]),
        Some(full),
        scratch("full", config),
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "cannot write to stdout: No space left on device (os error 28)\n"
    );
}

/// The pid of a process whose parent is `parent`, once one appears.
fn child_of(parent: u32) -> u32 {
    let started = Instant::now();
    while started.elapsed() < LIMIT {
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": the fields after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) {
                return entry.file_name().to_string_lossy().parse().expect("a pid");
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("process {parent} started no child");
}

/// True while `pid` exists and is not a zombie.
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().to_string())
        })
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("the signal is sent");
}

fn driver(config: Config, more: &[&str], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_async-lab"));
    command
        .args(["--only", &format!("{}:{}", config.runtime, config.flavor)])
        .args(more)
        .args(args);
    command
}

fn the_driver_s_child_ends_with_the_driver(config: Config) {
    let mut driver = driver(config, &[], &["--timeout", "100", "page-title", "/hang"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the driver starts");
    let child = child_of(driver.id());
    signal(driver.id(), rustix::process::Signal::TERM);
    let status = status_within(&mut driver, LIMIT).expect("the driver ends");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );
    let started = Instant::now();
    while is_running(child) {
        assert!(
            started.elapsed() < LIMIT,
            "the child {child} outlived its driver"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn a_crashed_child_keeps_its_reason_and_the_others_their_reports(config: Config) {
    // Another configuration runs after this one, and must keep its report.
    let other = if config.runtime == "tokio" {
        "smol:local"
    } else {
        "tokio:current-thread"
    };
    let mut driver = driver(
        config,
        &["--only", other, "--json"],
        &["--timeout", "100", "page-title", "/slow/300", "/plain"],
    );
    let out_path = scratch("crash", config);
    let mut driver = driver
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("a stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("the driver starts");
    let child = child_of(driver.id());
    signal(child, rustix::process::Signal::KILL);
    let status = status_within(&mut driver, LIMIT).expect("the driver ends");
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    assert_eq!(status.code(), Some(1), "{stdout}");
    let reports: Vec<Report> = serde_json::from_str(&stdout).expect("one JSON array of reports");
    assert_eq!(reports.len(), 2, "{stdout}");
    assert_eq!(
        (reports[0].runtime.as_str(), reports[0].flavor.as_str()),
        (config.runtime, config.flavor)
    );
    assert!(!reports[0].ok);
    assert_eq!(reports[0].errors, ["crashed: killed by signal 9 (SIGKILL)"]);
    assert!(reports[1].ok, "{:?}", reports[1].errors);
    assert_eq!(reports[1].lines.len(), 2, "{:?}", reports[1].lines);
}

/// `--help` shows every number's bounds, as the README says: an option's in the help of
/// the runtime binaries or of the driver, an experiment's argument's in that experiment's
/// own `--help`. Clap wraps long help lines, so white space is compared as one space.
#[test]
fn help_shows_every_bound() {
    let first = async_lab::configurations()
        .next()
        .expect("a configuration in the registry");
    let binary = Config::new(first.runtime, first.flavor);
    let help = |command: &mut Command| {
        let run = Run::of(command);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        run.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let options = [
        help(&mut binary.command_as_is(&["--help"])),
        help(Command::new(env!("CARGO_BIN_EXE_async-lab")).arg("--help")),
    ];
    let mut experiments = std::collections::BTreeMap::new();
    let counts = bounds::COUNTS
        .iter()
        .map(|count| (count.arg, format!("({} to {})", count.min, count.max)));
    let amounts = bounds::AMOUNTS
        .iter()
        .map(|amount| (amount.arg, format!("({} to {})", amount.min, amount.max)));
    for ((arg, experiment), range) in counts.chain(amounts) {
        let shown = match experiment {
            None => options.iter().any(|help| help.contains(&range)),
            Some(name) => experiments
                .entry(name)
                .or_insert_with(|| help(&mut binary.command_as_is(&[name, "--help"])))
                .contains(&range),
        };
        assert!(shown, "no --help shows {arg}'s bounds {range}");
    }
}

/// The README's table of environment variables lists every variable the code checks,
/// with the bounds of those that take a number.
#[test]
fn the_readme_lists_every_variable() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    for variable in VARIABLES.iter().chain(&async_lab::variables()) {
        for name in variable.names {
            let listed = readme.contains(&format!("`{name}`"))
                || readme.contains(&format!("`{}`", name.to_ascii_uppercase()));
            assert!(listed, "the README does not list {name}");
        }
        if let async_lab_runtime::env::Takes::Count { min, max } = variable.takes {
            let range = format!("| {min} to {max}");
            assert!(
                readme.contains(&range),
                "{}: the README has no {range}",
                variable.names[0]
            );
        }
    }
}

/// The driver's output folders are checked before any configuration runs.
#[test]
fn the_driver_s_output_folders_are_checked_before_the_run() {
    for (option, dir, reason) in [
        (
            "--timeline",
            "/dev/null/timelines",
            "Not a directory (os error 20)",
        ),
        (
            "--charts",
            "/dev/null/charts",
            "Not a directory (os error 20)",
        ),
    ] {
        let run =
            Run::of(Command::new(env!("CARGO_BIN_EXE_async-lab")).args([option, dir, "race"]));
        assert_eq!(run.code, Some(2), "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!("async-lab: {option} {dir}: cannot write there: {reason}\n")
        );
    }
}

/// This program, copied where an unprivileged user can run it (the build's own folder
/// may be closed to others), made once.
fn runnable_by_anyone() -> &'static std::path::Path {
    use std::os::unix::fs::PermissionsExt as _;
    static COPY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("async-lab-anyone-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the copy");
        let open = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&dir, open.clone()).expect("an open folder");
        let copy = dir.join("async-lab");
        std::fs::copy(env!("CARGO_BIN_EXE_async-lab"), &copy).expect("the copy");
        std::fs::set_permissions(&copy, open).expect("a runnable copy");
        copy
    })
}

/// The OS refuses every new thread (`ulimit -u 1`, as the unprivileged user `nobody`: root
/// is exempt from the limit): every configuration that needs a thread besides its main
/// one ends at once with status 1 and one line that names the limit, never with a panic,
/// an abort or a hang; one that needs none (a current-thread tokio runs reqwest on its
/// own reactor) runs as usual, on its one thread.
fn scarce_threads_end_the_run_in_one_line(config: Config) {
    scarce_memory_ends_the_run_in_one_line(config);
    let as_root = rustix::process::geteuid().is_root();
    if !as_root {
        eprintln!("scarce threads: not root, so no other user to run as; skipped");
        return;
    }
    let site = site().base();
    let mut command = Command::new(runnable_by_anyone());
    command
        .args(["--child", config.runtime, "--flavor", config.flavor])
        .args(["--site", &site, "--json", "race", "/plain", "/gbk"]);
    // The limit is set as nobody: root's own processes would not count against it.
    let run = Run::of(&mut as_nobody(&with_ulimit(&command, "-u 1")));
    if run.code == Some(0) {
        let report = run.report();
        assert_eq!(report.threads.peak, 1, "{:?}", report.threads);
        assert_eq!(report.lines.len(), 2, "{:?}", report.lines);
        return;
    }
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            format!(
                "runtime-{}: the OS refused a thread or memory: Resource temporarily unavailable (os error 11); ulimit -u (threads of this user) is 1\n",
                config.runtime
            )
            .as_str()
        )
    );
}

/// Scarce address space (`ulimit -v`, which binds for root too: 10 MB over what the
/// binary's own image takes, [`scarce_address_space_kib`]): the run ends at once with
/// status 1 and one line that names the limit (its check of the room it needs refuses it
/// before a runtime's allocation can abort), or, given the room, runs as usual.
fn scarce_memory_ends_the_run_in_one_line(config: Config) {
    let command = config.command(&["--json", "race", "/plain", "/gbk"]);
    let kib = scarce_address_space_kib();
    let run = Run::of(&mut with_ulimit(&command, &format!("-v {kib}")));
    run.assert_no_panic();
    if run.code == Some(0) {
        assert_eq!(run.report().lines.len(), 2, "{}", run.stdout);
        return;
    }
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(1), ""),
        "{}",
        run.stderr
    );
    let [line] = run.stderr.lines().collect::<Vec<_>>()[..] else {
        panic!("one line: {}", run.stderr);
    };
    let expected = format!(
        "runtime-{}: the OS refused a thread or memory: ",
        config.runtime
    );
    assert!(line.starts_with(&expected), "{line}");
    let shown = format!("{},{:03}", kib / 1000, kib % 1000);
    assert!(
        line.contains(&format!(", ulimit -v (address space) is {shown} KiB")),
        "{line}"
    );
}

/// The scarce address space: 10,000 KiB over what the binary's own image takes once
/// loaded, rounded up to a thousand KiB. Room to start and read the command line, none
/// for the run's check (32 MiB). A fixed limit would stop fitting as the debug binary
/// grows with every crate (45 MB of code in 2026, with eight runtimes).
fn scarce_address_space_kib() -> u64 {
    let image = image_bytes(std::path::Path::new(env!("CARGO_BIN_EXE_async-lab")))
        .expect("the binary is a 64-bit little-endian ELF file");
    (image / 1024 + 10_000).div_ceil(1000) * 1000
}

/// What a 64-bit little-endian ELF file's loadable segments (`PT_LOAD`) take in memory.
fn image_bytes(path: &std::path::Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path).ok()?;
    let mut header = [0u8; 64];
    file.read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], at: usize| u64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let u64_at = |b: &[u8], at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
    };
    let phoff = u64_at(&header, 0x20)?;
    let (size, count) = (u16_at(&header, 0x36), u16_at(&header, 0x38));
    file.seek(SeekFrom::Start(phoff)).ok()?;
    let mut table = vec![0u8; usize::try_from(size * count).ok()?];
    file.read_exact(&mut table).ok()?;
    let mut loaded = 0;
    for entry in table.chunks(usize::try_from(size).ok()?) {
        // p_type 1 is PT_LOAD; p_memsz is at 0x28.
        if entry.len() >= 0x30 && entry[..4] == [1, 0, 0, 0] {
            loaded += u64_at(entry, 0x28)?;
        }
    }
    Some(loaded)
}
