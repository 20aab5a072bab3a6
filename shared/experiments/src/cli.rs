//! The command line every `runtime-<rt>` binary shares, and the run it starts (see
//! ARCHITECTURE.md, "One run").
//!
//! ```text
//! runtime-<rt> [--flavor F] [--workers N] [--json] [--timeline FILE.svg]
//!              [--trace FILE.json] [--time-scale X] [--timeout SECS]
//!              [EXPERIMENT [ARGS...]]
//! runtime-<rt> list
//! runtime-<rt> EXPERIMENT --help
//! ```
//!
//! The experiments are [`Experiment`]'s variants, a clap subcommand each with its own
//! typed arguments; options may stand before or after the experiment's name.
//!
//! Exit status: 0 all went well; 1 some URL or task failed (the rest still reported);
//! 2 bad usage, with a one-line message.

use std::cell::Cell;
use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_lab_runtime::env;
use async_lab_runtime::executor::BuildError;
use async_lab_runtime::registry::{Configuration, DetachedTask, Flavor as _, PollsOn};
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::book_api;
use crate::bounds;
use crate::census::Sampler;
use crate::escape;
use crate::experiments::{self, Experiment, Lab, Output};
use crate::fetch::Fetcher;
use crate::output::{self, OutputFile};
use crate::render::{self, timeline};
use crate::report::Report;
use crate::resources;
use crate::runtime::Runtime;
use crate::site::Site;
use crate::stdio;
use crate::syscalls;
use crate::trace;

/// Why a command line did not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// It asks for something this program cannot do (no such flavor, say): exit status 2.
    #[error("{0}")]
    Usage(String),
    /// Something the run needs could not start (the embedded site, say): exit status 1.
    #[error("{0}")]
    Start(String),
}

impl CliError {
    /// The exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Start(_) => ExitCode::from(1),
        }
    }
}

/// The options every runtime binary and the driver share.
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// Multiply every sleep the experiment makes by X (tests use small values)
    #[arg(long, value_name = "X", default_value_t = 1.0, global = true, value_parser = bounds::parse::time_scale)]
    pub time_scale: f64,
    /// Give up on a page after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0, global = true, value_parser = bounds::parse::timeout)]
    pub timeout: f64,
    /// Use the embedded site already running at this base URL instead of starting one
    #[arg(long, value_name = "URL", hide = true, global = true)]
    pub site: Option<String>,
    /// bench: one timed round after the warm-up, whatever --rounds says (the driver runs
    /// the rounds, each in a process of its own, round-robin over the configurations)
    #[arg(long, hide = true, global = true)]
    pub one_round: bool,
}

/// What to run: an experiment, or `list`.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// One experiment a line: its name, then what it shows
    List,
    #[command(flatten)]
    #[allow(missing_docs)]
    Experiment(Experiment),
    /// One kind of operation N times and nothing else, for bench's driver to count its
    /// system calls under strace (see `syscalls`)
    #[command(hide = true)]
    SyscallProbe(syscalls::Probe),
}

/// The options of a runtime binary.
#[derive(Debug, Parser)]
#[command(
    about = "Runs one of chapter 17's async programs on this runtime and reports which OS threads ran it.",
    after_help = "With no experiment, or a URL where its name goes: page-title. Each experiment has its own --help.\n\nExit status: 0 all went well (or stdout was closed: | head); 1 a URL or a task failed, the rest still reported; 2 bad usage: an option, a number out of its bounds, or an environment variable the runtimes read (SMOL_THREADS, TOKIO_WORKER_THREADS, HTTP_PROXY, ...: see the README) out of its bounds.",
    subcommand_value_name = "EXPERIMENT",
    subcommand_help_heading = "Experiments"
)]
pub struct Options {
    /// The runtime's configuration
    #[arg(long, value_name = "F", global = true)]
    pub flavor: Option<String>,
    /// Worker threads, for flavors that have a pool of them
    #[arg(long, value_name = "N", global = true, value_parser = bounds::parse::workers)]
    pub workers: Option<NonZeroUsize>,
    /// Print the report as one JSON object on stdout (and the experiment's lines in it)
    #[arg(long, global = true)]
    pub json: bool,
    /// Also draw the run's timeline (one row per thread, time across) as an SVG picture
    #[arg(long, value_name = "FILE.svg", global = true)]
    pub timeline: Option<PathBuf>,
    /// Also write every poll in the Chrome trace event format (open it in Perfetto or
    /// chrome://tracing)
    #[arg(long, value_name = "FILE.json", global = true)]
    pub trace: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub run: RunOptions,
    /// The experiment (default: page-title)
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Parses `args` as command line `C`: a URL where the experiment's name goes means
/// `page-title` on it (`runtime-smol /gbk` is `runtime-smol page-title /gbk`).
pub fn parse<C: Parser>(
    args: impl IntoIterator<Item = OsString>,
    mut command: clap::Command,
) -> Result<C, clap::Error> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if let Some(at) = first_positional(&args, &command) {
        let first = args[at].to_string_lossy();
        if first.starts_with('/') || first.contains("://") {
            args.insert(at, "page-title".into());
        }
    }
    let matches = command.try_get_matches_from_mut(args)?;
    C::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

/// Where the first argument that is neither an option nor an option's value stands.
fn first_positional(args: &[OsString], command: &clap::Command) -> Option<usize> {
    let takes_value = |long: &str| {
        command
            .get_arguments()
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        match arg.strip_prefix("--") {
            Some("") => return (i + 1 < args.len()).then_some(i + 1),
            Some(long) if !long.contains('=') && takes_value(long) => i += 2,
            Some(_) => i += 1,
            None if arg.starts_with('-') && arg.len() > 1 => i += 1,
            None => return Some(i),
        }
    }
    None
}

/// Prints `list`: one experiment a line, its name, then what it shows.
pub fn print_list() {
    for (name, shows) in experiments::list() {
        stdio::println(format_args!("{name:<16} {shows}"));
    }
}

/// Runs a runtime binary's command line on runtime `R`.
pub fn main<R: Runtime>(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let binary = format!("runtime-{}", R::NAME);
    let options = match parse::<Options>(args, command::<R>(&binary)) {
        Ok(options) => options,
        Err(e) => return clap_exit(e, &binary),
    };
    match run::<R>(options) {
        Ok(code) => code,
        Err(error) => {
            stdio::eprintln(format_args!(
                "{binary}: {}",
                escape::inline(&error.to_string())
            ));
            error.exit_code()
        }
    }
}

/// The command line of runtime `R`'s binary, called `binary`.
fn command<R: Runtime>(binary: &str) -> clap::Command {
    // The flavors differ per runtime, so --help lists this one's.
    let flavors: Vec<String> = R::CONFIGURATIONS
        .iter()
        .map(|c| format!("{} ({})", c.flavor, c.about))
        .collect();
    let flavor_help = format!(
        "The runtime's configuration (default: {}): {}",
        R::CONFIGURATIONS[0].flavor,
        flavors.join("; ")
    );
    bounds::document(Options::command())
        .bin_name(binary.to_string())
        .mut_arg("flavor", |arg| arg.help(flavor_help))
}

/// The exit status and the one line on stderr with which runtime `R`'s binary refuses
/// `args` (its name first) before it starts anything, reading environment variables
/// through `lookup`; `None` where it would go on. The binary's own checks, in-process and
/// printing nothing: the tests hold every configuration to them without a process each.
pub fn refusal<R: Runtime>(
    args: Vec<OsString>,
    lookup: &dyn Fn(&str) -> Option<OsString>,
) -> Option<(u8, String)> {
    let binary = format!("runtime-{}", R::NAME);
    let options = match parse::<Options>(args, command::<R>(&binary)) {
        Ok(options) => options,
        Err(e) => return clap_line(&e, &binary).map(|line| (2, line)),
    };
    let error = prepare::<R>(&options, lookup).err()?;
    Some(refused(&binary, &error))
}

/// The exit status and the one line on stderr with which `binary` ends for `error`, as
/// [`main`] prints it.
fn refused(binary: &str, error: &CliError) -> (u8, String) {
    let status = match error {
        CliError::Usage(_) => 2,
        CliError::Start(_) => 1,
    };
    (
        status,
        format!("{binary}: {}", escape::inline(&error.to_string())),
    )
}

/// How a command line run in-process ([`run_in_process`]) ended.
#[derive(Debug)]
pub enum InProcess {
    /// Refused before anything started, as the binary refuses it: its exit status and its
    /// one line on stderr.
    Refused {
        /// The exit status: 2 for bad usage, 1 for what could not start.
        status: u8,
        /// The line, `runtime-<rt>: ` and the reason.
        line: String,
    },
    /// Ran: the exit status the binary gives for it, and its report, whose lines are what
    /// the binary prints on stdout. No census and no tracing: `threads` is empty (its
    /// `census_available` false), and so are `tasks` and `futures`.
    Ran {
        /// 0, or 1 when some URL or task failed.
        status: u8,
        /// The report, as `--json` prints it but for the threads and tasks.
        report: Box<Report>,
    },
    /// Not run: the command line asks for what only a process of its own gives (the
    /// reason says what).
    NeedsAProcess(&'static str),
}

/// Runs a command line of runtime `R`'s binary (its name first) in this process, as a test
/// runs an experiment without a process for it: the same parsing, checks and run, with
/// the environment variables of this process, to the same exit status, and what the
/// binary would print on stdout as the report's lines (nothing is printed). What belongs
/// to the whole process is left out: the census (`/proc/self/task` lists the caller's
/// threads too) and tracing (switched on for the whole process), the panic hook, the
/// address-space check and the descriptor limit. So output files (`--timeline`,
/// `--trace`, drawn from the census and the traces), `list` and `--help` (which print),
/// some experiments ([`Experiment::runs_in_process`]), and a configuration whose executor
/// is the whole process's (smol's and async-std's global ones) need a process of their
/// own. Other runs may go on at the same time in the same process, each on a runtime of
/// its own.
pub fn run_in_process<R: Runtime>(args: Vec<OsString>) -> InProcess {
    let binary = format!("runtime-{}", R::NAME);
    let options = match parse::<Options>(args, command::<R>(&binary)) {
        Ok(options) => options,
        Err(e) => {
            return match clap_line(&e, &binary) {
                Some(line) => InProcess::Refused { status: 2, line },
                None => InProcess::NeedsAProcess("--help prints on stdout"),
            };
        }
    };
    let prepared = match prepare::<R>(&options, &|name| std::env::var_os(name)) {
        Ok(prepared) => prepared,
        Err(error) => {
            let (status, line) = refused(&binary, &error);
            return InProcess::Refused { status, line };
        }
    };
    if let Some(Command::SyscallProbe(_)) = &options.command {
        return InProcess::NeedsAProcess("syscall-probe is counted by strace, a process alone");
    }
    let Some(experiment) = prepared.experiment else {
        return InProcess::NeedsAProcess("list prints on stdout");
    };
    if prepared.timeline.is_some() || prepared.trace.is_some() {
        return InProcess::NeedsAProcess(
            "--timeline and --trace draw the census and the traces, which are the process's",
        );
    }
    if !experiment.runs_in_process() {
        return InProcess::NeedsAProcess(
            "the experiment reads the census, sets a limit for the whole process, panics on purpose or spawns outside the run's scope",
        );
    }
    if runs_on_the_process_s(prepared.flavor.configuration()) {
        return InProcess::NeedsAProcess(
            "the configuration runs its tasks on an executor of the whole process, which other code in it may keep busy",
        );
    }
    match measure::<R>(&options, prepared.flavor, &experiment, Observe::Nothing) {
        Ok(report) => InProcess::Ran {
            status: status_of(&report),
            report: Box::new(report),
        },
        Err(error) => {
            let (status, line) = refused(&binary, &error);
            InProcess::Refused { status, line }
        }
    }
}

/// Whether `configuration` runs its tasks on an executor of the whole process rather
/// than of the run: a pool of workers that `--workers` does not size, whose detached
/// tasks nothing the program holds stops (smol's and async-std's global executors). In
/// another program's process, other code (another run, a test on the same crate) may keep
/// its threads busy, which in a process of its own nothing does.
fn runs_on_the_process_s(configuration: &Configuration) -> bool {
    let capabilities = &configuration.capabilities;
    capabilities.polls_on == PollsOn::Workers
        && !capabilities.takes_workers
        && capabilities.detached_task == DetachedTask::RunsUntilExit
}

/// The exit status of a run that gave `report`: 0, or 1 when something failed.
fn status_of(report: &Report) -> u8 {
    if report.ok { 0 } else { 1 }
}

/// What a run observes besides its experiment's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Observe {
    /// The census of the process's threads and the traces of its tasks: a run in a
    /// process of its own.
    Process,
    /// Nothing: a run inside another program's process ([`run_in_process`]), whose
    /// threads and traces are not the run's alone.
    Nothing,
}

/// What a command line asks for, checked before anything starts: the experiment (`None`
/// for `list`), the flavor, and the output files.
struct Prepared<R: Runtime> {
    experiment: Option<Experiment>,
    flavor: R::Flavor,
    timeline: Option<OutputFile>,
    trace: Option<OutputFile>,
}

/// Checks `options` (and the environment, through `lookup`) before anything starts.
fn prepare<R: Runtime>(
    options: &Options,
    lookup: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Prepared<R>, CliError> {
    let experiment = match &options.command {
        Some(Command::List | Command::SyscallProbe(_)) => None,
        Some(Command::Experiment(experiment)) => Some(experiment.clone()),
        None => Some(Experiment::default()),
    };
    if let Some(experiment) = &experiment {
        check_in(R::VARIABLES, experiment, &options.run, lookup)?;
    }
    let experiment = experiment.map(|experiment| match experiment {
        Experiment::Bench(bench) if options.run.one_round => {
            Experiment::Bench(experiments::Bench { rounds: 1, ..bench })
        }
        other => other,
    });
    let flavor = match &options.flavor {
        Some(name) => R::Flavor::named(name).map_err(CliError::Usage)?,
        None => R::Flavor::default_flavor(),
    };
    // Checked before the run, so that a run is never lost to a path it cannot write;
    // written only after it, so that a refused command leaves the files as they were.
    let timeline = output_option("--timeline", options.timeline.as_deref())?;
    let trace = output_option("--trace", options.trace.as_deref())?;
    output::distinct(
        &[&timeline, &trace]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )?;
    Ok(Prepared {
        experiment,
        flavor,
        timeline,
        trace,
    })
}

/// Runs parsed options.
fn run<R: Runtime>(options: Options) -> Result<ExitCode, CliError> {
    let Prepared {
        experiment,
        flavor,
        timeline,
        trace,
    } = prepare::<R>(&options, &|name| std::env::var_os(name))?;
    if let Some(Command::SyscallProbe(probe)) = &options.command {
        // Nothing else in the process: no census, no tracing, no site (see `syscalls`).
        syscalls::run::<R>(flavor, probe).map_err(CliError::Start)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(experiment) = experiment else {
        print_list();
        return Ok(ExitCode::SUCCESS);
    };
    quiet_panics(format!("runtime-{}", R::NAME));
    resources::check_address_space().map_err(CliError::Start)?;
    // As servers do: thousands of connections need thousands of descriptors.
    resources::raise_descriptor_limit();
    let mut report = measure::<R>(&options, flavor, &experiment, Observe::Process)?;
    if let Some(file) = timeline {
        let svg = timeline::svg(&report, timeline::axis_ms(&report));
        write_output(&mut report, &file, svg.as_bytes());
    }
    if let Some(file) = trace {
        let pid = u64::from(std::process::id());
        let document = async_lab_runtime::chrome_trace::document(&[(pid, &report)]);
        write_output(&mut report, &file, document.as_bytes());
    }
    if options.json {
        match serde_json::to_string(&report) {
            Ok(json) => stdio::println(json),
            Err(e) => stdio::eprintln(format_args!("cannot write the report as JSON: {e}")),
        }
    } else {
        stdio::eprint(format_args!("\n{}", render::text::report(&report)));
    }
    Ok(ExitCode::from(status_of(&report)))
}

/// Starts what `experiment` needs, runs it on `flavor` (under the census and tracing
/// where it observes the process), and puts the report together.
fn measure<R: Runtime>(
    options: &Options,
    flavor: R::Flavor,
    experiment: &Experiment,
    observe: Observe,
) -> Result<Report, CliError> {
    let site = if experiment.needs_site() {
        Some(match &options.run.site {
            Some(base) => Site::at(base).map_err(CliError::Usage)?,
            None => Site::start()
                .map_err(|e| CliError::Start(format!("cannot start the embedded site: {e}")))?,
        })
    } else {
        None
    };
    let fetcher = Fetcher::new(Duration::from_secs_f64(options.run.timeout))
        .map_err(|e| CliError::Start(e.to_string()))?;

    let sampler = (observe == Observe::Process).then(|| {
        // The report is made of what tracing records: every task wrapped from here on is
        // traced.
        trace::enable();
        // The census starts before the runtime, so the threads the runtime starts are seen.
        Sampler::start()
    });
    let rt = R::new(flavor, options.workers.map(NonZeroUsize::get)).map_err(|e| {
        // The OS refusing the runtime its threads is a limit, not a usage error; what the
        // system refused (io_uring, say) fails this run, not the command line.
        match (resources::refusal_in(&e.to_string()), e) {
            (Some(refusal), _) => CliError::Start(resources::limit_reached(refusal)),
            (None, BuildError::Start(why)) => CliError::Start(why),
            (None, BuildError::Usage(why)) => CliError::Usage(why),
        }
    })?;
    if let Some(sampler) = &sampler {
        sampler.sample_built();
    }
    let lab = Lab {
        rt: rt.clone(),
        // In-process, nothing is printed: the lines are the report's.
        out: Output::new(
            observe == Observe::Process && !options.json,
            experiment.measures(),
        ),
        fetcher,
        time_scale: options.run.time_scale,
        site,
    };
    let started = Instant::now();
    // trpl's block_on: tasks the experiment spawned stop when its main future ends.
    // The thread list is read again when the main future is first polled (trpl builds
    // its runtime inside `block_on`) and when it ends (before trpl drops that runtime).
    // In-process, the run's scope: its tasks, stopped when `block_on` returns.
    let mut scope = None;
    let outcome = match &sampler {
        Some(sampler) => book_api::block_on(
            &rt,
            sampled(sampler, trace::traced("main", experiment.run(&lab))),
        ),
        None => book_api::block_on(&rt, async {
            scope = book_api::Scope::current();
            experiment.run(&lab).await
        }),
    };
    let wall = started.elapsed();
    let census = sampler.map(Sampler::stop).unwrap_or_default();
    if cfg!(debug_assertions) && !lab.out.measures().is_empty() {
        lab.out.remark(format!(
            "these times come from an unoptimized build; for ones that mean something: cargo run --release -p runtime-{} -- {}",
            R::NAME,
            experiment.name()
        ));
    }

    let wall_ms = wall.as_secs_f64() * 1000.0;
    let (traced_tasks, traced_futures) = match observe {
        Observe::Process => (trace::tasks(), trace::futures()),
        Observe::Nothing => (Vec::new(), Vec::new()),
    };
    let (threads, tasks) =
        Report::threads_from(&census, &traced_tasks, R::THREAD_NAMES, started, wall_ms);
    if flavor.configuration().capabilities.polls_on != PollsOn::BlockOnThread {
        settle(scope);
    }
    Ok(Report {
        runtime: R::NAME.to_string(),
        flavor: flavor.configuration().flavor.to_string(),
        experiment: experiment.name().to_string(),
        lines: lab.out.lines(),
        ok: outcome.errors.is_empty(),
        errors: outcome.errors,
        wall_ms,
        threads,
        tasks,
        futures: Report::futures_from(&traced_futures, started),
        // The runtime's own notes, then what the registry says of its I/O (on a completion
        // driver, that there is no reactor thread to look for).
        notes: rt
            .notes()
            .into_iter()
            .chain(flavor.configuration().capabilities.io.census_note())
            .collect(),
        unsupported: outcome.unsupported,
        remarks: lab.out.remarks(),
        parts: lab.out.parts(),
        measurements: lab.out.measures(),
        spread: lab.out.spreads(),
        samples: lab.out.samples(),
    })
}

/// How long an in-process run waits for its stopped tasks to end ([`settle`]).
const SETTLE: Duration = Duration::from_secs(10);

/// Waits (up to [`SETTLE`]) until every task of `scope` has ended: stopped when the run's
/// `block_on` returned, each ends on its next poll, on one of the runtime's threads, and
/// drops what it holds there. Waited for, the run's runtime is dropped by the run, on the
/// calling thread, rather than by the last of its tasks on a thread of its own (where
/// tokio panics: a runtime may not be dropped where blocking is not allowed). Called only
/// where the runtime's own threads poll tasks: where the `block_on` thread alone does,
/// nothing polls them once it has returned, and they are dropped with the runtime, on the
/// calling thread. A process of its own ends first, and does not wait.
fn settle(scope: Option<Arc<book_api::Scope>>) {
    let Some(scope) = scope else { return };
    let deadline = Instant::now() + SETTLE;
    while Arc::strong_count(&scope) > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `future`, with a census sample before its first poll and after its last one (outside
/// its spans, so the samples cost the run's tasks nothing).
async fn sampled<F: std::future::Future>(sampler: &Sampler, future: F) -> F::Output {
    sampler.sample();
    let output = future.await;
    sampler.sample();
    output
}

/// Checks the output file an option names, if it names one (see [`output`]).
fn output_option(
    option: &'static str,
    path: Option<&Path>,
) -> Result<Option<OutputFile>, CliError> {
    path.map(|path| OutputFile::check(option, path)).transpose()
}

/// Writes an output file whole; a failure is one of the run's errors, in its report.
fn write_output(report: &mut Report, file: &OutputFile, bytes: &[u8]) {
    if let Err(e) = file.write(bytes) {
        report.ok = false;
        report.errors.push(format!(
            "cannot write {} {}: {e}",
            file.option,
            file.path.display()
        ));
    }
}

/// Checks what the command line could not check alone, before anything starts: the
/// environment variables the lab and the runtimes in use read (`variables`: theirs), and
/// what the experiment's arguments ask for in all.
pub fn check(
    variables: &[env::Variable],
    experiment: &Experiment,
    run: &RunOptions,
) -> Result<(), CliError> {
    check_in(variables, experiment, run, &|name| std::env::var_os(name))
}

/// [`check`], reading environment variables through `lookup`.
fn check_in(
    variables: &[env::Variable],
    experiment: &Experiment,
    run: &RunOptions,
    lookup: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(), CliError> {
    env::check_in(variables, None, lookup).map_err(|e| CliError::Usage(e.to_string()))?;
    experiment.check(run.time_scale).map_err(CliError::Usage)
}

/// Ends the program for a clap error: `--help` prints and exits 0; a usage error prints
/// one line (clap's message, which says what is wrong) and exits 2.
pub fn clap_exit(error: clap::Error, program: &str) -> ExitCode {
    match clap_line(&error, program) {
        None => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        Some(line) => {
            stdio::eprintln(line);
            ExitCode::from(2)
        }
    }
}

/// The one line a clap error gives on stderr (clap's message, which says what is wrong);
/// `None` for `--help` and `--version`, which print to stdout.
fn clap_line(error: &clap::Error, program: &str) -> Option<String> {
    if !error.use_stderr() {
        return None;
    }
    // clap's message runs to its usage or tips, which are left to --help; its lines (a
    // missing argument's name stands on a line of its own) are joined into one.
    let rendered = error.render().to_string();
    let end = ["\n\nUsage:", "\n\nFor more information", "\n\n  tip:"]
        .iter()
        .filter_map(|tail| rendered.find(tail))
        .min()
        .unwrap_or(rendered.len());
    let message: Vec<&str> = rendered[..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    // The message quotes the user's text, which may hold anything.
    let message = escape::inline(message);
    Some(format!("{program}: {message} (see --help)"))
}

/// Panics in tasks are part of some experiments (`panic`), and a bug elsewhere: either way
/// one line on stderr, naming the thread, instead of the default message and backtrace.
///
/// A panic that is the OS refusing a thread or memory (a runtime that cannot start its
/// workers under `ulimit -u`, say) is not a bug to show but a limit to name: the process
/// says which limits were in force, in one line, and ends at once with status 1. Ending
/// here, before the unwinding, is what keeps it clean: unwound, such a panic poisons the
/// runtime's lazily started parts and aborts in a destructor, or waits forever in a pool's
/// drop for threads that never started.
fn quiet_panics(binary: String) {
    std::panic::set_hook(Box::new(move |info| {
        if PANIC_EXPECTED.with(Cell::get) {
            // An experiment's panic on purpose, caught by `catch_expected_panic`, which
            // gives its message to the experiment: the line it prints says it.
            return;
        }
        let thread = std::thread::current();
        let message = crate::runtime::panic_message(info.payload());
        if let Some(refusal) = resources::refusal_in(&message) {
            stdio::eprintln(format_args!(
                "{binary}: {}",
                resources::limit_reached(refusal)
            ));
            std::process::exit(1);
        }
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        stdio::eprintln(format_args!(
            "panic on thread '{}'{place}: {message}",
            thread.name().unwrap_or("unnamed")
        ));
    }));
}

std::thread_local! {
    /// Set while this thread runs [`catch_expected_panic`]'s closure: the hook of
    /// `quiet_panics` then prints nothing.
    static PANIC_EXPECTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, which may panic on purpose (an experiment that shows a panic, such as
/// `poll-after-ready`'s), on this thread: its value, or the panic's payload. The panic
/// hook of the binary ([`quiet_panics`]) stays silent for it, since the experiment's own
/// line says what happened; the panic is neither a failure nor noise on stderr. (The
/// default hook, in a process that set none, still prints it: such an experiment does not
/// run in another program's process, [`Experiment::runs_in_process`].)
pub(crate) fn catch_expected_panic<T>(
    work: impl FnOnce() -> T,
) -> Result<T, Box<dyn std::any::Any + Send>> {
    let was = PANIC_EXPECTED.with(|expected| expected.replace(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(work));
    PANIC_EXPECTED.with(|expected| expected.set(was));
    result
}
