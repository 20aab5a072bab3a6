//! The side-by-side driver: runs one experiment on every runtime configuration, each in a
//! process of its own, and prints one table with a row each.
//!
//! Run with `cargo run -- [EXPERIMENT [ARGS...]] [--json] [--markdown] [--timeline DIR]`.
//!
//! Each configuration runs in a child process (this same binary, started with
//! `--child RUNTIME`), so that one runtime's lingering threads never pollute another's
//! count. The embedded site runs here, in the driver, out of every measured process.

#![forbid(unsafe_code)]

mod table;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use async_lab_shared::cli;
use async_lab_shared::experiments::EXPERIMENTS;
use async_lab_shared::report::Report;
use async_lab_shared::site::Site;
use async_lab_shared::timeline;
use clap::Parser;
use serde_json::Value;

/// Every runtime configuration the driver runs, in table order: (runtime, flavor).
pub const CONFIGURATIONS: &[(&str, &str)] = &[
    ("tokio", "multi-thread"),
    ("tokio", "current-thread"),
    ("async-std", "global"),
    ("smol", "global"),
    ("smol", "executor"),
    ("futures", "local-pool"),
    ("futures", "thread-pool"),
    ("trpl", "trpl"),
    ("threads", "thread-per-task"),
];

#[derive(Debug, Parser)]
#[command(
    about = "Runs one of chapter 17's async programs on every runtime configuration, each in its own process, and prints them side by side.",
    after_help = "Each runtime alone: cargo run -p runtime-<rt> -- --help"
)]
struct Options {
    /// Print every configuration's report as one JSON array
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print the table as Markdown
    #[arg(long)]
    markdown: bool,
    /// Draw each configuration's timeline as DIR/<runtime>-<flavor>.svg, and all of them on
    /// one time axis in DIR/index.html
    #[arg(long, value_name = "DIR")]
    timeline: Option<PathBuf>,
    /// Only these configurations: RUNTIME or RUNTIME:FLAVOR (repeatable)
    #[arg(long, value_name = "RT[:FLAVOR]")]
    only: Vec<String>,
    /// Multiply every sleep the experiment makes by X
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    time_scale: f64,
    /// Give up on a page after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// The experiment (default: page-title); `cargo run -p runtime-smol -- list` names them
    experiment: Option<String>,
    /// The experiment's arguments; a URL that starts with `/` is a page of the embedded site
    args: Vec<String>,
}

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
    let options = match Options::try_parse_from(args) {
        Ok(options) => options,
        Err(e) => return cli::clap_exit(e, "async-lab"),
    };
    match drive(&options) {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("async-lab: {usage}");
            ExitCode::from(2)
        }
    }
}

/// Runs this process as runtime `runtime`'s binary would, with its command line `rest`.
fn child(runtime: &str, rest: Vec<OsString>) -> ExitCode {
    let argv = std::iter::once(OsString::from(format!("runtime-{runtime}"))).chain(rest);
    match runtime {
        "tokio" => cli::main::<runtime_tokio::Tokio>(argv),
        "async-std" => cli::main::<runtime_async_std::AsyncStd>(argv),
        "smol" => cli::main::<runtime_smol::Smol>(argv),
        "futures" => cli::main::<runtime_futures::Futures>(argv),
        "trpl" => cli::main::<runtime_trpl::Trpl>(argv),
        "threads" => cli::main::<runtime_threads::Threads>(argv),
        other => {
            eprintln!("async-lab: no runtime '{other}'");
            ExitCode::from(2)
        }
    }
}

/// The configurations `--only` picks (all of them without it).
fn selected(only: &[String]) -> Result<Vec<(&'static str, &'static str)>, String> {
    if only.is_empty() {
        return Ok(CONFIGURATIONS.to_vec());
    }
    let mut picked = Vec::new();
    for want in only {
        let (rt, flavor) = want
            .split_once(':')
            .map_or((want.as_str(), None), |(r, f)| (r, Some(f)));
        let matching: Vec<_> = CONFIGURATIONS
            .iter()
            .filter(|(r, f)| *r == rt && flavor.is_none_or(|want| want == *f))
            .collect();
        if matching.is_empty() {
            return Err(format!(
                "--only {want}: no such configuration; try one of: {}",
                names().join(", ")
            ));
        }
        for configuration in matching {
            if !picked.contains(configuration) {
                picked.push(*configuration);
            }
        }
    }
    Ok(picked)
}

fn names() -> Vec<String> {
    CONFIGURATIONS
        .iter()
        .map(|(r, f)| format!("{r}:{f}"))
        .collect()
}

fn drive(options: &Options) -> Result<ExitCode, String> {
    let experiment = options
        .experiment
        .clone()
        .unwrap_or_else(|| "page-title".into());
    let is_url = experiment.starts_with('/') || experiment.contains("://");
    if !is_url && !EXPERIMENTS.iter().any(|e| e.name == experiment) {
        return Err(format!(
            "unknown experiment '{experiment}'; `cargo run -p runtime-smol -- list` names them all"
        ));
    }
    let configurations = selected(&options.only)?;
    let site = Site::start().map_err(|e| format!("cannot start the embedded site: {e}"))?;
    if let Some(dir) = &options.timeline {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the timeline folder {}: {e}", dir.display()))?;
    }
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find this program to run it again: {e}"))?;

    let mut rows = Vec::new();
    for (i, (runtime, flavor)) in configurations.iter().enumerate() {
        eprintln!(
            "[{}/{}] {experiment} on {runtime} ({flavor})",
            i + 1,
            configurations.len()
        );
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
        let output = command
            .args([
                "--time-scale",
                &options.time_scale.to_string(),
                "--timeout",
                &options.timeout.to_string(),
            ])
            .arg(&experiment)
            .args(&options.args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot start {runtime} ({flavor}): {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() == Some(2) {
            return Err(stderr.lines().last().unwrap_or("bad usage").to_string());
        }
        let report: Option<Value> = serde_json::from_slice(&output.stdout).ok();
        rows.push(table::Row {
            runtime,
            flavor,
            report,
            failure: stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string),
        });
    }

    if let Some(dir) = &options.timeline {
        write_timelines(dir, &experiment, &rows)?;
    }
    if options.json {
        let reports: Vec<Value> = rows
            .iter()
            .map(|r| r.report.clone().unwrap_or(Value::Null))
            .collect();
        println!("{}", Value::Array(reports));
    } else if options.markdown {
        print!("{}", table::markdown(&experiment, &rows));
    } else {
        print!("{}", table::text(&experiment, &rows));
    }
    let all_ok = rows.iter().all(|r| r.ok());
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes DIR/index.html: every configuration's timeline, one above the other, on the
/// same time axis. (Each child already drew its own, on its own axis, as an SVG file.)
fn write_timelines(dir: &Path, experiment: &str, rows: &[table::Row]) -> Result<(), String> {
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
    std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("timelines: {}", path.display());
    Ok(())
}
