//! Running one configuration as a child process against the embedded site.

use std::fs::File;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_lab_shared::site::Site;
use serde_json::Value;

/// One runtime configuration.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub runtime: &'static str,
    pub flavor: &'static str,
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

    /// The `--json` report: stdout must hold exactly one JSON object.
    pub fn report(&self) -> Value {
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
    SITE.get_or_init(|| Site::start().expect("the embedded site starts"))
}

impl Config {
    pub fn new(runtime: &'static str, flavor: &'static str) -> Config {
        Config { runtime, flavor }
    }

    /// Current-thread configurations poll every task on the thread that calls block_on.
    pub fn is_current_thread(&self) -> bool {
        matches!(self.flavor, "current-thread" | "local-pool")
    }

    /// Configurations whose HTTP runs on tokio directly, with no compat bridge.
    pub fn is_tokio_based(&self) -> bool {
        matches!(self.runtime, "tokio" | "trpl")
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

    /// Runs `args` with the embedded site started inside the measured process itself, as
    /// a user's run without `--site` does.
    pub fn run_standalone(&self, args: &[&str]) -> Run {
        self.run_with(&[], 0.05, args)
    }

    fn run_with(&self, site: &[&str], time_scale: f64, args: &[&str]) -> Run {
        let mut output = Command::new(env!("CARGO_BIN_EXE_async-lab"));
        output
            .args(["--child", self.runtime, "--flavor", self.flavor])
            .args(site)
            .args(["--time-scale", &time_scale.to_string()])
            .args(args);
        let output = output_within(&mut output, LIMIT);
        Run {
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
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
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
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
