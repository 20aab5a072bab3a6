//! The driver's child processes: one per configuration, each this same binary started
//! with `--child RUNTIME --parent PID`; how a child ends with the driver, and what the
//! driver keeps of a child that left no report.

use std::ffi::OsString;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use async_lab::Configuration;
use async_lab_experiments::cli::CliError;
use async_lab_experiments::report::Report;

use crate::table::Row;

/// Makes this process, a child of the driver `parent`, end when the driver does: however
/// the driver ends (a signal sent to it alone, say), its children do not run on without it.
///
/// On Linux the kernel sends the child `SIGKILL` when its parent dies
/// (`PR_SET_PDEATHSIG`); a parent that died before that was set is caught by checking
/// that the parent is still `parent`. Elsewhere a child outlives a killed driver.
pub fn end_with_parent(parent: u32) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Signal, getppid, set_parent_process_death_signal};
        let _ = set_parent_process_death_signal(Some(Signal::KILL));
        let now = getppid().map_or(0, |pid| pid.as_raw_nonzero().get().unsigned_abs());
        if now != parent {
            // The driver is gone already: nobody is left to read this run.
            std::process::exit(1);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}

/// What one configuration's run asks of its child.
pub struct Child<'a> {
    /// This program.
    pub exe: &'a std::path::Path,
    /// The configuration to run.
    pub configuration: &'static Configuration,
    /// `--workers`, where the run sets it (`bench`'s sweep over worker counts).
    pub workers: Option<usize>,
    /// The experiment's name, for a report the child could not write.
    pub experiment: &'a str,
    /// The embedded site's base URL.
    pub site: String,
    /// Where the child draws its timeline, if anywhere.
    pub timeline: Option<std::path::PathBuf>,
    /// The rest of the driver's command line.
    pub args: &'a [OsString],
    /// How long the child may run: past it, it is killed and its row says so.
    pub deadline: Duration,
    /// bench: one timed round, one of the rounds the driver interleaves.
    pub one_round: bool,
}

impl Child<'_> {
    /// Runs the child to its end and returns its row: its report, or, when it left none,
    /// one that says how it ended. A usage error in the child is the driver's usage error.
    pub fn run(&self) -> Result<Row, CliError> {
        let (runtime, flavor) = (self.configuration.runtime, self.configuration.flavor);
        let mut command = Command::new(self.exe);
        command
            .args(["--child", runtime, "--parent"])
            .arg(std::process::id().to_string())
            .args(["--flavor", flavor, "--json", "--site", &self.site]);
        if let Some(path) = &self.timeline {
            command.arg("--timeline").arg(path);
        }
        if let Some(n) = self.workers {
            command.args(["--workers", &n.to_string()]);
        }
        if self.one_round {
            command.arg("--one-round");
        }
        command.args(self.args);
        let output = run_within(&mut command, self.deadline)
            .map_err(|e| CliError::Start(format!("cannot start {runtime} ({flavor}): {e}")))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(str::to_string);
        if output.status.code() == Some(2) {
            return Err(CliError::Usage(
                last_line.unwrap_or_else(|| "bad usage".into()),
            ));
        }
        // The report is read once, here, into its type: a child that printed anything
        // else left no report.
        let (report, crashed) = match serde_json::from_slice::<Report>(&output.stdout) {
            Ok(report) if !output.overran => (report, None),
            _ => {
                let reason = if output.overran {
                    format!(
                        "stopped: still running after its deadline of {} (--deadline)",
                        async_lab_experiments::fetch::seconds(self.deadline)
                    )
                } else {
                    crash_reason(output.status, last_line.as_deref())
                };
                let report = Report::without_run(runtime, flavor, self.experiment, &reason);
                (report, Some(reason))
            }
        };
        Ok(Row {
            runtime,
            flavor,
            workers: self.workers,
            report,
            crashed,
        })
    }
}

/// What a child left: its status, its output, and whether it ran past its deadline.
struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    overran: bool,
}

/// Runs `command` to its end, or kills it at `deadline`: its stdout and stderr are read
/// on threads of their own meanwhile, so a child that writes much never blocks on a full
/// pipe while the driver waits.
fn run_within(command: &mut Command, deadline: Duration) -> std::io::Result<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut overran = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > deadline {
            overran = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        overran,
    })
}

/// Why a child left no report: how it ended, and its last line on stderr.
pub fn crash_reason(status: ExitStatus, last_line: Option<&str>) -> String {
    let how = match (status.code(), signal_of(status)) {
        (_, Some(signal)) => format!("killed by signal {signal}{}", signal_name(signal)),
        (Some(code), None) => format!("exit status {code} with no report"),
        (None, None) => "ended with no report".to_string(),
    };
    match last_line {
        Some(line) => format!("crashed: {how}; it said: {line}"),
        None => format!("crashed: {how}"),
    }
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[cfg(not(unix))]
fn signal_of(_status: ExitStatus) -> Option<i32> {
    None
}

/// " (SIGKILL)", for the signals a child is likely to die of (Linux's numbers).
#[cfg(target_os = "linux")]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        2 => " (SIGINT)",
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        24 => " (SIGXCPU)",
        25 => " (SIGXFSZ)",
        _ => "",
    }
}

#[cfg(not(target_os = "linux"))]
fn signal_name(_signal: i32) -> &'static str {
    ""
}
