//! The side-by-side driver: runs one experiment on every runtime configuration, each in a
//! process of its own, and prints one table with a row each.
//!
//! Run with `cargo run -- [EXPERIMENT [ARGS...]] [--json] [--markdown] [--timeline DIR]`.
//!
//! Each configuration runs in a child process (this same binary, started with
//! `--child RUNTIME`), so that one runtime's lingering threads never pollute another's
//! count. The embedded site runs here, in the driver, out of every measured process.

#![forbid(unsafe_code)]

mod bench_table;
mod table;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use async_lab::{Configuration, RUNTIMES, configurations, runtime_named};
use async_lab_shared::cli::{self, CliError, RunOptions};
use async_lab_shared::experiments::Experiment;
use async_lab_shared::render::timeline;
use async_lab_shared::report::Report;
use async_lab_shared::site::Site;
use clap::{CommandFactory, Parser};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(
    name = "async-lab",
    about = "Runs one of chapter 17's async programs on every runtime configuration, each in its own process, and prints them side by side.",
    after_help = "With no experiment, or a URL where its name goes: page-title. Each experiment has its own --help; each runtime alone: cargo run -p runtime-<rt> -- --help",
    subcommand_value_name = "EXPERIMENT",
    subcommand_help_heading = "Experiments"
)]
struct Options {
    /// Print every configuration's report as one JSON array
    #[arg(long, conflicts_with = "markdown", global = true)]
    json: bool,
    /// Print the table as Markdown
    #[arg(long, global = true)]
    markdown: bool,
    /// Draw each configuration's timeline as DIR/<runtime>-<flavor>.svg, and all of them on
    /// one time axis in DIR/index.html
    #[arg(long, value_name = "DIR", global = true)]
    timeline: Option<PathBuf>,
    /// With bench: also draw each figure as a bar chart, DIR/<figure>.svg
    #[arg(long, value_name = "DIR", global = true)]
    charts: Option<PathBuf>,
    /// Print every configuration of the registry and what it can do, and stop
    #[arg(long)]
    configurations: bool,
    /// Only these configurations: RUNTIME or RUNTIME:FLAVOR (repeatable)
    #[arg(long, value_name = "RT[:FLAVOR]", global = true)]
    only: Vec<String>,
    #[command(flatten)]
    run: RunOptions,
    /// The experiment (default: page-title)
    #[command(subcommand)]
    command: Option<cli::Command>,
}

/// The driver's own options, which its children do not take: (name, takes a value).
const DRIVER_ONLY: [(&str, bool); 5] = [
    ("--json", false),
    ("--markdown", false),
    ("--timeline", true),
    ("--only", true),
    ("--charts", true),
];

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "--child") {
        let runtime = args
            .get(2)
            .and_then(|r| r.to_str())
            .unwrap_or("")
            .to_string();
        let rest = args.split_off(3.min(args.len()));
        return child(&runtime, rest);
    }
    let options = match cli::parse::<Options>(args.clone(), Options::command()) {
        Ok(options) => options,
        Err(e) => return cli::clap_exit(e, "async-lab"),
    };
    match drive(&options, &args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("async-lab: {error}");
            error.exit_code()
        }
    }
}

/// Runs this process as runtime `runtime`'s binary would, with its command line `rest`.
fn child(runtime: &str, rest: Vec<OsString>) -> ExitCode {
    let Some(entry) = runtime_named(runtime) else {
        let known: Vec<&str> = RUNTIMES.iter().map(|r| r.name).collect();
        eprintln!(
            "async-lab: no runtime '{runtime}'; there are: {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let argv = std::iter::once(OsString::from(format!("runtime-{runtime}")))
        .chain(rest)
        .collect();
    (entry.main)(argv)
}

/// The configurations `--only` picks (all of them without it).
fn selected(only: &[String]) -> Result<Vec<&'static Configuration>, CliError> {
    if only.is_empty() {
        return Ok(configurations().collect());
    }
    let mut picked: Vec<&'static Configuration> = Vec::new();
    for want in only {
        let (rt, flavor) = want
            .split_once(':')
            .map_or((want.as_str(), None), |(r, f)| (r, Some(f)));
        let matching: Vec<_> = configurations()
            .filter(|c| c.runtime == rt && flavor.is_none_or(|want| want == c.flavor))
            .collect();
        if matching.is_empty() {
            let names: Vec<String> = configurations().map(Configuration::id).collect();
            return Err(CliError::Usage(format!(
                "--only {want}: no such configuration; try one of: {}",
                names.join(", ")
            )));
        }
        for configuration in matching {
            if !picked.contains(&configuration) {
                picked.push(configuration);
            }
        }
    }
    Ok(picked)
}

/// The driver's command line as each child takes it: without the driver's own options,
/// and without the program's name.
fn child_args(args: &[OsString]) -> Vec<OsString> {
    let mut rest = Vec::new();
    let mut skip_value = false;
    for arg in args.iter().skip(1) {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = arg.to_string_lossy();
        let (name, inline_value) = match text.split_once('=') {
            Some((name, _)) => (name, true),
            None => (text.as_ref(), false),
        };
        match DRIVER_ONLY.iter().find(|(option, _)| *option == name) {
            Some((_, takes_value)) => skip_value = *takes_value && !inline_value,
            None => rest.push(arg.clone()),
        }
    }
    rest
}

fn drive(options: &Options, args: &[OsString]) -> Result<ExitCode, CliError> {
    if options.configurations {
        print!(
            "{}",
            table::configurations(configurations(), options.markdown)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let experiment = match &options.command {
        Some(cli::Command::List) => {
            cli::print_list();
            return Ok(ExitCode::SUCCESS);
        }
        Some(cli::Command::Experiment(experiment)) => experiment.clone(),
        None => Experiment::default(),
    };
    let name = experiment.name();
    let configurations = selected(&options.only)?;
    let site = Site::start()
        .map_err(|e| CliError::Start(format!("cannot start the embedded site: {e}")))?;
    if let Some(dir) = &options.timeline {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::Start(format!(
                "cannot create the timeline folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Start(format!("cannot find this program to run it again: {e}")))?;
    let passed_on = child_args(args);

    let runs = runs_of(&experiment, &configurations);
    let mut rows = Vec::new();
    for (i, (configuration, workers)) in runs.iter().enumerate() {
        let (runtime, flavor) = (configuration.runtime, configuration.flavor);
        let label = table::Row::label(runtime, flavor, *workers);
        eprintln!("[{}/{}] {name} on {label}", i + 1, runs.len());
        let mut command = Command::new(&exe);
        command.args([
            "--child",
            runtime,
            "--flavor",
            flavor,
            "--json",
            "--site",
            &site.base(),
        ]);
        if let Some(dir) = &options.timeline {
            command
                .arg("--timeline")
                .arg(dir.join(format!("{runtime}-{flavor}.svg")));
        }
        if let Some(n) = workers {
            command.args(["--workers", &n.to_string()]);
        }
        let output = command
            .args(&passed_on)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| CliError::Start(format!("cannot start {runtime} ({flavor}): {e}")))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() == Some(2) {
            let line = stderr.lines().last().unwrap_or("bad usage");
            return Err(CliError::Usage(line.to_string()));
        }
        let report: Option<Value> = serde_json::from_slice(&output.stdout).ok();
        rows.push(table::Row {
            runtime,
            flavor,
            workers: *workers,
            report,
            failure: stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string),
        });
    }

    if let Some(dir) = &options.timeline {
        write_timelines(dir, name, &rows)?;
    }
    if options.json {
        let reports: Vec<Value> = rows
            .iter()
            .map(|r| r.report.clone().unwrap_or(Value::Null))
            .collect();
        println!("{}", Value::Array(reports));
    } else if let Experiment::Bench(_) = experiment {
        print!("{}", bench(&rows, options)?);
    } else if options.markdown {
        print!("{}", table::markdown(name, &rows));
    } else {
        print!("{}", table::text(name, &rows));
    }
    let all_ok = rows.iter().all(|r| r.ok());
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What runs: every configuration; for `bench`, each pool of workers again with 1 to as
/// many workers as there are cores (a sweep), after its default.
fn runs_of(
    experiment: &Experiment,
    configurations: &[&'static Configuration],
) -> Vec<(&'static Configuration, Option<usize>)> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut runs = Vec::new();
    for &configuration in configurations {
        runs.push((configuration, None));
        if matches!(experiment, Experiment::Bench(_)) && configuration.capabilities.takes_workers {
            runs.extend((1..=cores).map(|n| (configuration, Some(n))));
        }
    }
    runs
}

/// `bench`'s table (and charts, with `--charts DIR`).
fn bench(rows: &[table::Row], options: &Options) -> Result<String, CliError> {
    let reports: Vec<(String, &str, Report)> = rows
        .iter()
        .filter_map(|row| {
            let report = serde_json::from_value(row.report.clone()?).ok()?;
            Some((row.name(), row.runtime, report))
        })
        .collect();
    let runs: Vec<bench_table::Run> = reports
        .iter()
        .map(|(label, runtime, report)| bench_table::Run {
            label: label.clone(),
            runtime,
            report,
        })
        .collect();
    if let Some(dir) = &options.charts {
        std::fs::create_dir_all(dir)
            .and_then(|()| bench_table::write_charts(dir, &runs))
            .map_err(|e| {
                CliError::Start(format!("cannot write the charts to {}: {e}", dir.display()))
            })?;
    }
    let mut s = format!(
        "bench on {} runs, each in its own process{}\n\n",
        rows.len(),
        if cfg!(debug_assertions) {
            " (an unoptimized build: `cargo run --release -- bench` gives figures that mean something)"
        } else {
            ", release build"
        }
    );
    s.push_str(&bench_table::table(&runs, options.markdown));
    for row in rows.iter().filter(|r| r.report.is_none()) {
        let _ = writeln!(
            s,
            "{}: no report: {}",
            row.name(),
            row.failure.as_deref().unwrap_or("?")
        );
    }
    Ok(s)
}

/// Writes DIR/index.html: every configuration's timeline, one above the other, on the
/// same time axis. (Each child already drew its own, on its own axis, as an SVG file.)
fn write_timelines(dir: &Path, experiment: &str, rows: &[table::Row]) -> Result<(), CliError> {
    let reports: Vec<Report> = rows
        .iter()
        .filter_map(|r| r.report.clone())
        .filter_map(|value| serde_json::from_value(value).ok())
        .collect();
    let page = timeline::html_page(
        &format!("{experiment} on {} runtime configurations", reports.len()),
        &reports,
    );
    let path = dir.join("index.html");
    std::fs::write(&path, page)
        .map_err(|e| CliError::Start(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("timelines: {}", path.display());
    Ok(())
}
