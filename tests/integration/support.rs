//! Running one configuration against the embedded site: as a child process, or in this
//! process where its threads are not the point.

use std::ffi::OsString;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_lab::InProcess;
use async_lab::registry::{Capabilities, PollsOn};
use async_lab_experiments::report::Report;
use async_lab_experiments::runtime::panic_message;
use async_lab_experiments::site::Site;
use serde_json::Value;

/// One runtime configuration (or, for usage tests, a name that is none).
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub runtime: &'static str,
    pub flavor: &'static str,
}

/// How many configurations a test runs at once. Most runs sleep, so more than the cores.
const AT_ONCE: usize = 4;

/// Runs `test` on every configuration of the registry (or those `ASYNC_LAB_ONLY` names,
/// comma-separated), [`AT_ONCE`] at a time, and panics naming every one that failed.
pub fn on_every_configuration(test: fn(Config)) {
    let only = std::env::var("ASYNC_LAB_ONLY").unwrap_or_default();
    let wanted: Vec<&async_lab::Configuration> = if only.is_empty() {
        async_lab::configurations().collect()
    } else {
        async_lab::configurations()
            .filter(|c| only.split(',').any(|w| async_lab::named(w).contains(c)))
            .collect()
    };
    let configs: Vec<Config> = wanted
        .into_iter()
        .map(|c| Config::new(c.runtime, c.flavor))
        .collect();
    assert!(
        !configs.is_empty(),
        "ASYNC_LAB_ONLY={only} names no configuration"
    );
    let failures = in_parallel(&configs, |config| {
        catch_unwind(AssertUnwindSafe(|| test(*config)))
            .err()
            .map(|payload| {
                format!(
                    "{}:{}: {}",
                    config.runtime,
                    config.flavor,
                    panic_message(&*payload)
                )
            })
    });
    assert!(
        failures.is_empty(),
        "failed on {} of {} configurations:\n{}",
        failures.len(),
        configs.len(),
        failures.join("\n")
    );
}

/// Runs `f` on every item, [`AT_ONCE`] at a time, and collects what it returned.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Option<R> + Sync) -> Vec<R> {
    in_parallel_at(AT_ONCE, items, f)
}

/// [`in_parallel`], `at_once` at a time.
pub fn in_parallel_at<T: Sync, R: Send>(
    at_once: usize,
    items: &[T],
    f: impl Fn(&T) -> Option<R> + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..at_once.min(items.len()) {
            scope.spawn(|| {
                while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(result) = f(item) {
                        results.lock().unwrap().push(result);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Run {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The `--json` report, read through its data model: stdout must hold exactly one
    /// report.
    pub fn report(&self) -> Report {
        serde_json::from_str::<Report>(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one report ({e}):\n{}", self.stdout))
    }

    /// The `--json` report as raw JSON, for the tests of the wire format itself (which
    /// keys it has, how values are spelled): stdout must hold exactly one JSON object.
    /// Everything else reads [`Run::report`].
    pub fn report_json(&self) -> Value {
        let value: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", self.stdout));
        assert!(value.is_object(), "the report is not an object: {value}");
        value
    }

    /// Nothing panicked in the child, nothing printed a backtrace.
    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("stack backtrace"),
            "the run panicked:\n{}",
            self.stderr
        );
    }
}

/// The embedded site, started once for the whole test binary.
pub fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        // The site serves every test's children, and the abuse tests' idle connections.
        async_lab_experiments::resources::raise_descriptor_limit();
        Site::start().expect("the embedded site starts")
    })
}

impl Config {
    pub fn new(runtime: &'static str, flavor: &'static str) -> Config {
        Config { runtime, flavor }
    }

    /// What this configuration can do, as its runtime crate declares it.
    pub fn capabilities(&self) -> Capabilities {
        async_lab::configuration(self.runtime, self.flavor)
            .unwrap_or_else(|| panic!("{}:{} is in no registry", self.runtime, self.flavor))
            .capabilities
    }

    /// Configurations that poll every task on the thread that calls block_on.
    pub fn is_current_thread(&self) -> bool {
        self.capabilities().polls_on == PollsOn::BlockOnThread
    }

    /// Runs `args` on this configuration with a small time scale, against the test
    /// binary's embedded site.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_scaled(0.05, args)
    }

    /// Runs `args` on this configuration with `--time-scale time_scale`.
    pub fn run_scaled(&self, time_scale: f64, args: &[&str]) -> Run {
        self.run_with(&["--site", &site().base()], time_scale, args)
    }

    /// Runs `args` as they are (no `--time-scale` added), against the test binary's site.
    pub fn run_as_is(&self, args: &[&str]) -> Run {
        let site = site().base();
        let mut all = vec!["--site", site.as_str()];
        all.extend(args);
        self.run_command(&all)
    }

    /// Runs `args` with the embedded site started inside the measured process itself, as
    /// a user's run without `--site` does.
    pub fn run_standalone(&self, args: &[&str]) -> Run {
        self.run_with(&[], 0.05, args)
    }

    fn run_with(&self, site: &[&str], time_scale: f64, args: &[&str]) -> Run {
        let scale = time_scale.to_string();
        let mut all = site.to_vec();
        all.extend(["--time-scale", scale.as_str()]);
        all.extend(args);
        self.run_command(&all)
    }

    /// Runs `args` on this configuration with a small time scale, against the test
    /// binary's site, for what an experiment prints and its exit status, where its threads
    /// are not the point: in this process where the binary's own run allows it
    /// ([`Config::in_process_as_is`]), else (an experiment, or a configuration, that needs a
    /// process of its own) in a child process, its `--json` report read from stdout.
    pub fn outcome(&self, args: &[&str]) -> Ran {
        self.outcome_scaled(0.05, args)
    }

    /// [`Config::outcome`] with `--time-scale time_scale`.
    pub fn outcome_scaled(&self, time_scale: f64, args: &[&str]) -> Ran {
        let site = site().base();
        let scale = time_scale.to_string();
        let mut all = vec!["--site", site.as_str(), "--time-scale", scale.as_str()];
        all.extend(args);
        match self.in_process_as_is(&all) {
            InProcess::Ran { status, report } => Ran {
                code: i32::from(status),
                report: *report,
            },
            InProcess::NeedsAProcess(_) => {
                all.push("--json");
                let run = self.run_command(&all);
                run.assert_no_panic();
                Ran {
                    code: run.code.expect("an exit status, not a signal"),
                    report: run.report(),
                }
            }
            refused @ InProcess::Refused { .. } => panic!("{args:?} was refused: {refused:?}"),
        }
    }

    /// Runs `args` as they are on this configuration in this process, through its runtime
    /// crate's `run_in_process`: the binary's own parsing, checks and run, on this
    /// process's environment, without the census or tracing; the exit status and report,
    /// or the refusal. Several configurations run so at once, each in its own runtime.
    pub fn in_process_as_is(&self, args: &[&str]) -> InProcess {
        let runtime = async_lab::runtime_named(self.runtime)
            .unwrap_or_else(|| panic!("{} is in no registry", self.runtime));
        let mut argv: Vec<OsString> = vec![
            format!("runtime-{}", self.runtime).into(),
            "--flavor".into(),
            self.flavor.into(),
        ];
        argv.extend(args.iter().map(OsString::from));
        (runtime.run_in_process)(argv)
    }

    fn run_command(&self, args: &[&str]) -> Run {
        Run::of(&mut self.command_as_is(args))
    }

    /// The command that runs `args` on this configuration with a small time scale,
    /// against the test binary's site, for a test to give it an environment or a limit
    /// before it runs it with [`Run::of`].
    pub fn command(&self, args: &[&str]) -> Command {
        let site = site().base();
        let mut all = vec!["--site", site.as_str(), "--time-scale", "0.05"];
        all.extend(args);
        self.command_as_is(&all)
    }

    /// The command that runs `args` as they are on this configuration (no site, no
    /// time scale added).
    pub fn command_as_is(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_async-lab"));
        command
            .args(["--child", self.runtime, "--flavor", self.flavor])
            .args(args);
        command
    }
}

/// What a run ([`Config::outcome`]) gave: the exit status of the binary, and its report
/// (in-process, with no threads and no tasks: the census is the process's).
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub report: Report,
}

impl Ran {
    /// The lines the binary prints on stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.report.lines.iter().map(String::as_str).collect()
    }
}

impl Run {
    /// Runs `command` to its end, within [`LIMIT`].
    pub fn of(command: &mut Command) -> Run {
        let output = output_within(command, LIMIT);
        Run {
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }
}

/// Waits for `child` to end; kills it and gives `None` when it still runs after `limit`.
pub fn status_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How long any child process of a test may run: far more than any needs, so that a hang
/// fails its test instead of stalling the whole run.
pub const LIMIT: Duration = Duration::from_secs(180);

/// Runs `command` to the end, like `Command::output`, but kills it and panics if it is
/// still running after `limit`.
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("async-lab-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("a stdout file"))
        .stderr(File::create(&err).expect("a stderr file"))
        .spawn()
        .expect("the child process starts");
    let status = status_within(&mut child, limit);
    let stdout = std::fs::read(&out).unwrap_or_default();
    let stderr = std::fs::read(&err).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Some(status) => Output {
            status,
            stdout,
            stderr,
        },
        None => panic!(
            "{command:?} still ran after {limit:?}:\n{}",
            String::from_utf8_lossy(&stdout)
        ),
    }
}
