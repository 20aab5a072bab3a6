//! The command line every `runtime-<rt>` binary shares (DESIGN.md, "Command line").
//!
//! ```text
//! runtime-<rt> [--flavor F] [--workers N] [--json] [--timeline FILE.svg]
//!              [--time-scale X] [--timeout SECS] [EXPERIMENT [ARGS...]]
//! runtime-<rt> list
//! ```
//!
//! Exit status: 0 all went well; 1 some URL or task failed (the rest still reported);
//! 2 bad usage, with a one-line message.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::book_api;
use crate::census::Sampler;
use crate::experiments::{EXPERIMENTS, Lab, Output, Plan};
use crate::fetch::Fetcher;
use crate::report::Report;
use crate::runtime::Runtime;
use crate::site::Site;
use crate::{timeline, trace};

/// The options of a runtime binary.
#[derive(Debug, Parser)]
#[command(
    about = "Runs one of chapter 17's async programs on this runtime and reports which OS threads ran it.",
    after_help = experiments_help(),
)]
pub struct Options {
    /// The runtime's configuration
    #[arg(long, value_name = "F")]
    pub flavor: Option<String>,
    /// Worker threads, for flavors that have a pool of them
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Print the report as one JSON object on stdout (and the experiment's lines in it)
    #[arg(long)]
    pub json: bool,
    /// Also draw the run's timeline (one row per thread, time across) as an SVG picture
    #[arg(long, value_name = "FILE.svg")]
    pub timeline: Option<PathBuf>,
    /// Multiply every sleep the experiment makes by X (tests use small values)
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Give up on a page after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Use the embedded site already running at this base URL instead of starting one
    #[arg(long, value_name = "URL", hide = true)]
    pub site: Option<String>,
    /// The experiment to run (default: page-title, also when this is a URL); `list` names them all
    pub experiment: Option<String>,
    /// The experiment's arguments; a URL that starts with `/` is a page of the embedded site
    pub args: Vec<String>,
}

fn experiments_help() -> String {
    let mut help = String::from("Experiments:\n");
    for e in EXPERIMENTS {
        help.push_str(&format!("  {} {}\n      {}\n", e.name, e.usage, e.shows));
    }
    help
}

/// Runs a runtime binary's command line on runtime `R`.
pub fn main<R: Runtime>(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let binary = format!("runtime-{}", R::NAME);
    // The flavors differ per runtime, so --help lists this one's.
    let flavors = format!(
        "The runtime's configuration: {} (default: {})",
        R::FLAVORS.join(", "),
        R::FLAVORS[0]
    );
    let command = Options::command().mut_arg("flavor", |arg| arg.help(flavors));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|m| Options::from_arg_matches(&m));
    let options = match parsed {
        Ok(options) => options,
        Err(e) => return crate::cli::clap_exit(e, &binary),
    };
    match run::<R>(options) {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("{binary}: {usage}");
            ExitCode::from(2)
        }
    }
}

/// Runs parsed options; `Err` is a usage error.
fn run<R: Runtime>(options: Options) -> Result<ExitCode, String> {
    if options.experiment.as_deref() == Some("list") {
        for e in EXPERIMENTS {
            println!("{:<12} {}", e.name, e.shows);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !(options.time_scale.is_finite() && options.time_scale > 0.0) {
        return Err(format!(
            "--time-scale must be a positive number, not {}",
            options.time_scale
        ));
    }
    if !(options.timeout.is_finite() && options.timeout > 0.0) {
        return Err(format!(
            "--timeout must be a positive number of seconds, not {}",
            options.timeout
        ));
    }
    let flavor = options.flavor.as_deref().unwrap_or(R::FLAVORS[0]);
    if !R::FLAVORS.contains(&flavor) {
        return Err(format!(
            "no flavor '{flavor}'; this runtime has: {}",
            R::FLAVORS.join(", ")
        ));
    }
    if options.workers == Some(0) {
        return Err("--workers must be at least 1".into());
    }
    quiet_panics();
    // A URL where the experiment's name goes means page-title on it.
    let mut args = options.args.clone();
    let name = match options.experiment.as_deref() {
        None => "page-title",
        Some(url) if url.starts_with('/') || url.contains("://") => {
            args.insert(0, url.to_string());
            "page-title"
        }
        Some(name) => name,
    };
    let plan = Plan::new(
        name,
        &args,
        options.time_scale,
        &mut || match &options.site {
            Some(base) => Site::at(base),
            None => Site::start().map_err(|e| format!("cannot start the embedded site: {e}")),
        },
    )?;
    let fetcher =
        Fetcher::new(Duration::from_secs_f64(options.timeout)).map_err(|e| e.to_string())?;

    // The report is made of what tracing records: every task wrapped from here on is traced.
    trace::enable();
    // The census starts before the runtime, so the threads the runtime starts are seen.
    let sampler = Sampler::start();
    let rt = R::new(flavor, options.workers)?;
    let lab = Lab {
        rt: rt.clone(),
        out: Output::new(!options.json),
        fetcher,
        time_scale: options.time_scale,
    };
    let started = Instant::now();
    // trpl's block_on: tasks the experiment spawned stop when its main future ends.
    let outcome = book_api::block_on(&rt, trace::traced("main", plan.run(&lab)));
    let wall = started.elapsed();
    let census = sampler.stop();

    let wall_ms = wall.as_secs_f64() * 1000.0;
    let (threads, tasks) = Report::threads_from(&census, &trace::tasks(), started, wall_ms);
    let report = Report {
        runtime: R::NAME.to_string(),
        flavor: rt.flavor().to_string(),
        experiment: plan.name().to_string(),
        lines: lab.out.lines(),
        ok: outcome.errors.is_empty(),
        errors: outcome.errors,
        wall_ms,
        threads,
        tasks,
        notes: rt.notes(),
        unsupported: outcome.unsupported,
        remarks: lab.out.remarks(),
        measurements: lab.out.measures(),
    };
    if options.json {
        match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("cannot write the report as JSON: {e}"),
        }
    } else {
        eprint!("\n{}", report.render_text());
    }
    if let Some(path) = &options.timeline {
        let svg = timeline::svg(&report, timeline::axis_ms(&report));
        if let Err(e) = std::fs::write(path, svg) {
            eprintln!("cannot write the timeline to {}: {e}", path.display());
            return Ok(ExitCode::from(1));
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Ends the program for a clap error: `--help` prints and exits 0; a usage error prints
/// one line (clap's first, which says what is wrong) and exits 2.
pub fn clap_exit(error: clap::Error, program: &str) -> ExitCode {
    if !error.use_stderr() {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or("bad usage");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("{program}: {first} (see --help)");
    ExitCode::from(2)
}

/// Panics in tasks are part of some experiments (`panic`), and a bug elsewhere: either way
/// one line on stderr, naming the thread, instead of the default message and backtrace.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let message = crate::runtime::panic_message(info.payload());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "panic on thread '{}'{place}: {message}",
            thread.name().unwrap_or("unnamed")
        );
    }));
}
