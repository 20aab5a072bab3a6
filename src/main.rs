//! The side-by-side driver: runs one experiment on every runtime configuration, each in a
//! process of its own, and prints one table with a row each.
//!
//! Run with `cargo run -- [EXPERIMENT [ARGS...]] [--json] [--markdown] [--timeline DIR]`.
//!
//! Each configuration runs in a child process (this same binary, started with
//! `--child RUNTIME`), so that one runtime's lingering threads never pollute another's
//! count. The embedded site runs here, in the driver, out of every measured process.

#![forbid(unsafe_code)]

mod baseline;
mod bench_table;
mod children;
mod figures;
mod rounds;
mod syscalls;
mod table;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use async_lab::{Configuration, RUNTIMES, configurations, runtime_named};
use async_lab_experiments::bounds;
use async_lab_experiments::cli::{self, CliError, RunOptions};
use async_lab_experiments::escape;
use async_lab_experiments::experiments::{Experiment, Measurement};
use async_lab_experiments::output::{self, OutputFile};
use async_lab_experiments::render::timeline;
use async_lab_experiments::report::Report;
use async_lab_experiments::resources;
use async_lab_experiments::site::Site;
use async_lab_experiments::stdio;
use clap::{CommandFactory, Parser};

#[derive(Debug, Parser)]
#[command(
    name = "async-lab",
    about = "Runs one of chapter 17's async programs on every runtime configuration, each in its own process, and prints them side by side.",
    after_help = "With no experiment, or a URL where its name goes: page-title. Each experiment has its own --help; each runtime alone: cargo run -p runtime-<rt> -- --help\n\nExit status: 0 all went well (or stdout was closed: | head); 1 a configuration failed or crashed, the others still reported; 2 bad usage: an option, a number out of its bounds, or an environment variable the runtimes read out of its bounds (see the README). Each configuration's process ends with the driver.",
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
    /// Write every configuration's polls to one file in the Chrome trace event format (a
    /// process per configuration; open it in Perfetto or chrome://tracing)
    #[arg(long, value_name = "FILE.json", global = true)]
    trace: Option<PathBuf>,
    /// With bench: also draw each figure as a bar chart, DIR/<figure>.svg
    #[arg(long, value_name = "DIR", global = true)]
    charts: Option<PathBuf>,
    /// With bench: save this run's figures (medians and intervals) as a baseline
    #[arg(long, value_name = "FILE.json", global = true)]
    save: Option<PathBuf>,
    /// With bench: compare this run's figures with a baseline saved by --save
    #[arg(long, value_name = "FILE.json", global = true)]
    compare: Option<PathBuf>,
    /// Run each configuration N times, the configurations in turn, and give each
    /// measurement's median and range over the runs (bench has --rounds of its own)
    #[arg(long, value_name = "N", default_value_t = 1, global = true, value_parser = bounds::parse::runs)]
    runs: u32,
    /// Also write each measurement's least and most over the runs as mdBook anchors
    /// (RUNTIME-FLAVOR-KEY, RUNTIME-KEY, all-KEY), for prose that quotes them
    #[arg(long, value_name = "FILE.md", global = true)]
    figures: Option<PathBuf>,
    /// Also write some configurations side by side as Markdown (their rows, what they
    /// printed, which of the others printed the same), those of --contrast-of
    #[arg(long, value_name = "FILE.md", global = true, requires = "contrast_of")]
    contrast: Option<PathBuf>,
    /// A configuration --contrast shows, RUNTIME:FLAVOR (repeatable, in the order shown)
    #[arg(long, value_name = "RT:FLAVOR", global = true, requires = "contrast")]
    contrast_of: Vec<String>,
    /// How long one configuration's process may run before it is stopped and its row
    /// says so
    #[arg(long, value_name = "SECS", default_value_t = 600.0, global = true, value_parser = bounds::parse::deadline)]
    deadline: f64,
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
const DRIVER_ONLY: [(&str, bool); 13] = [
    ("--json", false),
    ("--markdown", false),
    ("--timeline", true),
    ("--trace", true),
    ("--only", true),
    ("--charts", true),
    ("--deadline", true),
    ("--save", true),
    ("--compare", true),
    ("--runs", true),
    ("--figures", true),
    ("--contrast", true),
    ("--contrast-of", true),
];

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "--child") {
        let runtime = args
            .get(2)
            .and_then(|r| r.to_str())
            .unwrap_or("")
            .to_string();
        let mut rest = args.split_off(3.min(args.len()));
        // The driver names itself, so that its child ends with it.
        if rest.first().is_some_and(|a| a == "--parent") {
            let parent = rest.get(1).and_then(|p| p.to_str()?.parse().ok());
            let Some(parent) = parent else {
                stdio::eprintln("async-lab: --parent wants the driver's process id");
                return ExitCode::from(2);
            };
            children::end_with_parent(parent);
            rest.drain(..2);
        }
        return child(&runtime, rest);
    }
    let command = bounds::document(Options::command());
    let options = match cli::parse::<Options>(args.clone(), command) {
        Ok(options) => options,
        Err(e) => return cli::clap_exit(e, "async-lab"),
    };
    match drive(&options, &args) {
        Ok(code) => code,
        Err(error) => {
            stdio::eprintln(format_args!(
                "async-lab: {}",
                escape::inline(&error.to_string())
            ));
            error.exit_code()
        }
    }
}

/// Runs this process as runtime `runtime`'s binary would, with its command line `rest`.
fn child(runtime: &str, rest: Vec<OsString>) -> ExitCode {
    let Some(entry) = runtime_named(runtime) else {
        let known: Vec<&str> = RUNTIMES.iter().map(|r| r.name).collect();
        stdio::eprintln(format_args!(
            "async-lab: no runtime {}; there are: {}",
            escape::word(runtime),
            known.join(", ")
        ));
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
        let matching = async_lab::named(want);
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
/// and without the program's name. Everything after `--` is an argument, not an option,
/// and goes through untouched, whatever it looks like.
fn child_args(args: &[OsString]) -> Vec<OsString> {
    let mut rest = Vec::new();
    let mut skip_value = false;
    for (i, arg) in args.iter().enumerate().skip(1) {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if arg == "--" {
            rest.extend_from_slice(&args[i..]);
            break;
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
        stdio::print(table::configurations(configurations(), options.markdown));
        return Ok(ExitCode::SUCCESS);
    }
    let experiment = match &options.command {
        Some(cli::Command::List) => {
            cli::print_list();
            return Ok(ExitCode::SUCCESS);
        }
        Some(cli::Command::Experiment(experiment)) => experiment.clone(),
        Some(cli::Command::SyscallProbe(_)) => {
            return Err(CliError::Usage(
                "syscall-probe is a runtime binary's, for bench's driver to count: run `bench`"
                    .into(),
            ));
        }
        None => Experiment::default(),
    };
    let name = experiment.name();
    let configurations = selected(&options.only)?;
    cli::check(&async_lab::variables(), &experiment, &options.run)?;
    let rounds = match &experiment {
        Experiment::Bench(_) if options.runs > 1 => {
            return Err(CliError::Usage(
                "bench takes --rounds, not --runs: its rounds are interleaved and pooled already"
                    .into(),
            ));
        }
        Experiment::Bench(bench) => bench.rounds,
        _ if options.save.is_some() || options.compare.is_some() => {
            return Err(CliError::Usage(
                "--save and --compare go with bench: they keep and compare its figures".into(),
            ));
        }
        _ => options.runs,
    };
    let spread = match &experiment {
        Experiment::Bench(_) => rounds::Spread::Interval,
        _ => rounds::Spread::Range,
    };
    let contrasted = contrasted(&options.contrast_of, &configurations, &experiment)?;
    let baseline = options
        .compare
        .as_deref()
        .map(baseline::Baseline::read)
        .transpose()?;
    // Last of the checks: it creates the output folders once all have passed.
    let outputs = Outputs::check(options, &configurations)?;
    // The site holds a descriptor per connection of a child's run: thousands, for
    // downloads, which the limit must have room for (raised, where the driver may).
    let connections = match &experiment {
        Experiment::Downloads(downloads) => downloads.n.get(),
        _ => 0,
    };
    resources::raise_descriptor_limit_to(connections + 64);
    let site = Site::start()
        .map_err(|e| CliError::Start(format!("cannot start the embedded site: {e}")))?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Start(format!("cannot find this program to run it again: {e}")))?;
    let passed_on = child_args(args);

    let runs = runs_of(&experiment, &configurations);
    // Rounds (bench's --rounds, any other experiment's --runs) run round-robin, each in a
    // process of its own, so that a slow minute on the machine falls on every
    // configuration alike.
    let mut per_run: Vec<Vec<table::Row>> = runs.iter().map(|_| Vec::new()).collect();
    let mut done = 0;
    for round in 1..=rounds {
        for (i, (configuration, workers)) in runs.iter().enumerate() {
            let label = table::Row::label(configuration.runtime, configuration.flavor, *workers);
            done += 1;
            let of = runs.len() * rounds as usize;
            match rounds {
                1 => stdio::eprintln(format_args!("[{done}/{of}] {name} on {label}")),
                _ => stdio::eprintln(format_args!(
                    "[{done}/{of}] {name} {} {round}/{rounds} on {label}",
                    match spread {
                        rounds::Spread::Interval => "round",
                        rounds::Spread::Range => "run",
                    }
                )),
            }
            // The last configuration's connections, still closing, must not hold the
            // descriptors this one needs.
            site.wait_until_idle(Duration::from_secs(10));
            let child = children::Child {
                exe: &exe,
                configuration,
                workers: *workers,
                experiment: name,
                site: site.base(),
                // The first run's timeline, as its report is the row's.
                timeline: outputs
                    .timelines
                    .as_ref()
                    .filter(|_| round == 1)
                    .map(|dir| timeline_file(dir, configuration).path),
                args: &passed_on,
                deadline: Duration::from_secs_f64(options.deadline),
                one_round: spread == rounds::Spread::Interval && rounds > 1,
            };
            per_run[i].push(child.run()?);
        }
    }
    let mut rows: Vec<table::Row> = per_run
        .into_iter()
        .filter_map(|rows| rounds::pool(rows, spread))
        .collect();
    // bench's system calls an operation: counted here, under strace, once a configuration.
    let uncounted = match &experiment {
        Experiment::Bench(bench) if bench.wants(Measurement::Syscalls) => {
            syscalls::count_into(&exe, bench, &mut rows)
        }
        _ => Vec::new(),
    };

    let mut all_ok = rows.iter().all(table::Row::ok);
    // Said last, after the table, so that it is not lost above it.
    let mut written = |file: &OutputFile, result: std::io::Result<()>| {
        if let Err(e) = result {
            all_ok = false;
            stdio::eprintln(format_args!(
                "async-lab: cannot write {}: {e}",
                file.path.display()
            ));
        }
    };
    if let Some(index) = &outputs.index {
        written(index, write_timelines(index, name, &rows));
    }
    if let Some(trace) = &outputs.trace {
        written(trace, write_trace(trace, &rows));
    }
    if let Some(file) = &outputs.figures {
        written(
            file,
            file.write(figures::anchors(name, &rows, rounds).as_bytes()),
        );
    }
    if let Some(file) = &outputs.contrast {
        let chosen: Vec<usize> = contrasted
            .iter()
            .filter_map(|c| {
                rows.iter()
                    .position(|r| r.runtime == c.runtime && r.flavor == c.flavor)
            })
            .collect();
        written(
            file,
            file.write(table::contrast(name, &rows, &chosen, rounds).as_bytes()),
        );
    }
    if let Experiment::Bench(_) = experiment {
        let (text, failed) = bench(
            &rows,
            options,
            &outputs,
            baseline.as_ref(),
            rounds,
            &uncounted,
        );
        all_ok &= !failed;
        if options.json {
            stdio::println(json_array(&rows));
            for line in &uncounted {
                stdio::eprintln(line);
            }
            // The comparison is for people: on stderr, so that stdout stays one JSON array.
            if let Some(comparison) = text.comparison {
                stdio::eprint(comparison);
            }
        } else {
            stdio::print(text.table);
            if let Some(comparison) = text.comparison {
                stdio::print(format_args!("\n{comparison}"));
            }
        }
    } else if options.json {
        stdio::println(json_array(&rows));
    } else if options.markdown {
        stdio::print(table::markdown(name, &rows, rounds));
    } else {
        stdio::print(table::text(name, &rows, rounds));
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The driver's output files and folders, every one checked before the run (see
/// `async_lab_experiments::output`): nothing is created until all of them have passed.
struct Outputs {
    /// `--timeline DIR`: each configuration's SVG goes there (written by its child).
    timelines: Option<PathBuf>,
    /// `--timeline DIR`'s `index.html`, written by the driver at the end.
    index: Option<OutputFile>,
    /// `--trace FILE.json`.
    trace: Option<OutputFile>,
    /// `--save FILE.json`, bench's baseline.
    save: Option<OutputFile>,
    /// `--figures FILE.md`.
    figures: Option<OutputFile>,
    /// `--contrast FILE.md`.
    contrast: Option<OutputFile>,
}

impl Outputs {
    /// Checks every output the options name, the files each configuration's child will
    /// write among them, then creates the folders.
    fn check(options: &Options, configurations: &[&Configuration]) -> Result<Outputs, CliError> {
        let folders: Vec<(&'static str, &PathBuf)> = [
            ("--charts", &options.charts),
            ("--timeline", &options.timeline),
        ]
        .into_iter()
        .filter_map(|(option, dir)| Some((option, dir.as_ref()?)))
        .collect();
        for (option, dir) in &folders {
            output::check_folder(option, dir)?;
        }
        // A file in a folder the run will create holds nothing yet to check: its folder
        // passed.
        let check = |option: &'static str, path: &Path| -> Result<OutputFile, CliError> {
            let in_new_folder = folders
                .iter()
                .any(|(_, dir)| path.parent() == Some(dir.as_path()) && !dir.is_dir());
            if in_new_folder {
                Ok(OutputFile {
                    option,
                    path: path.to_path_buf(),
                })
            } else {
                OutputFile::check(option, path)
            }
        };
        let trace = options
            .trace
            .as_deref()
            .map(|p| check("--trace", p))
            .transpose()?;
        let save = options
            .save
            .as_deref()
            .map(|p| check("--save", p))
            .transpose()?;
        let figures = options
            .figures
            .as_deref()
            .map(|p| check("--figures", p))
            .transpose()?;
        let contrast = options
            .contrast
            .as_deref()
            .map(|p| check("--contrast", p))
            .transpose()?;
        let mut files: Vec<OutputFile> = trace
            .iter()
            .chain(&save)
            .chain(&figures)
            .chain(&contrast)
            .cloned()
            .collect();
        let mut index = None;
        if let Some(dir) = &options.timeline {
            for configuration in configurations {
                let file = timeline_file(dir, configuration);
                files.push(check(file.option, &file.path)?);
            }
            let page = check("--timeline", &dir.join("index.html"))?;
            files.push(page.clone());
            index = Some(page);
        }
        output::distinct(&files.iter().collect::<Vec<_>>())?;
        for (option, dir) in folders {
            output::create_folder(option, dir)?;
        }
        Ok(Outputs {
            timelines: options.timeline.clone(),
            index,
            trace,
            save,
            figures,
            contrast,
        })
    }
}

/// The configurations `--contrast-of` names, each one configuration among those the run
/// selected.
fn contrasted(
    names: &[String],
    selected: &[&'static Configuration],
    experiment: &Experiment,
) -> Result<Vec<&'static Configuration>, CliError> {
    if !names.is_empty() && matches!(experiment, Experiment::Bench(_)) {
        return Err(CliError::Usage(
            "--contrast goes with an experiment's lines; bench has its table and --charts".into(),
        ));
    }
    let mut chosen = Vec::new();
    for name in names {
        let configuration = match async_lab::named(name)[..] {
            [one] if name.contains(':') => one,
            _ => {
                let ids: Vec<String> = selected.iter().map(|c| c.id()).collect();
                return Err(CliError::Usage(format!(
                    "--contrast-of {}: not one configuration (RUNTIME:FLAVOR); try one of: {}",
                    escape::word(name),
                    ids.join(", ")
                )));
            }
        };
        if !selected.contains(&configuration) {
            return Err(CliError::Usage(format!(
                "--contrast-of {}: not among the configurations --only selects",
                escape::word(name)
            )));
        }
        if chosen.contains(&configuration) {
            return Err(CliError::Usage(format!(
                "--contrast-of {}: named twice",
                escape::word(name)
            )));
        }
        chosen.push(configuration);
    }
    Ok(chosen)
}

/// The SVG timeline a configuration's child draws in `--timeline DIR`.
fn timeline_file(dir: &Path, configuration: &Configuration) -> OutputFile {
    OutputFile {
        option: "--timeline",
        path: dir.join(format!(
            "{}-{}.svg",
            configuration.runtime, configuration.flavor
        )),
    }
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

/// What `bench` prints: its table, and the comparison with a saved run (`--compare`).
struct BenchText {
    table: String,
    comparison: Option<String>,
}

/// `bench`'s table; its charts (`--charts DIR`) and its baseline (`--save FILE`), both
/// checked before the run; the comparison with `baseline` (`--compare FILE`). Also
/// whether a file could not be written: said after the table, which is printed either way.
fn bench(
    rows: &[table::Row],
    options: &Options,
    outputs: &Outputs,
    baseline: Option<&baseline::Baseline>,
    rounds: u32,
    uncounted: &[String],
) -> (BenchText, bool) {
    let runs: Vec<bench_table::Run> = rows
        .iter()
        .filter(|row| row.crashed.is_none())
        .map(|row| bench_table::Run {
            label: row.name(),
            runtime: row.runtime,
            report: &row.report,
        })
        .collect();
    let mut failed = false;
    let mut written = |what: &Path, result: std::io::Result<()>| {
        if let Err(e) = result {
            failed = true;
            stdio::eprintln(format_args!(
                "async-lab: cannot write {}: {e}",
                what.display()
            ));
        }
    };
    if let Some(dir) = &options.charts {
        written(dir, bench_table::write_charts(dir, &runs));
    }
    let this_run = baseline::Baseline::of(&runs, rounds);
    if let Some(file) = &outputs.save {
        written(&file.path, file.write(this_run.json().as_bytes()));
    }
    // The run it came from, said first: the saved baseline says the same.
    let mut table = format!(
        "{} runs of {}{}\n\n",
        rows.len(),
        this_run.run,
        if cfg!(debug_assertions) {
            " (`cargo run --release -- bench` gives figures that mean something)"
        } else {
            ""
        }
    );
    table.push_str(&bench_table::table(&runs, options.markdown));
    for row in rows {
        if let Some(crash) = &row.crashed {
            let _ = writeln!(table, "{}: no report: {crash}", row.name());
        }
    }
    for line in uncounted {
        let _ = writeln!(table, "{line}");
    }
    let comparison = baseline.map(|saved| saved.compare(&this_run));
    (BenchText { table, comparison }, failed)
}

/// Writes DIR/index.html (`index`, checked before the run): every configuration's
/// timeline, one above the other, on the same time axis. (Each child already drew its
/// own, on its own axis, as an SVG file.)
fn write_timelines(
    index: &OutputFile,
    experiment: &str,
    rows: &[table::Row],
) -> std::io::Result<()> {
    let reports: Vec<Report> = rows
        .iter()
        .filter(|r| r.crashed.is_none())
        .map(|r| r.report.clone())
        .collect();
    let page = timeline::html_page(
        &format!("{experiment} on {} runtime configurations", reports.len()),
        &reports,
    );
    index.write(page.as_bytes())
}

/// Every configuration's report as one JSON array, as `--json` prints it.
fn json_array(rows: &[table::Row]) -> String {
    let reports: Vec<&Report> = rows.iter().map(|r| &r.report).collect();
    match serde_json::to_string(&reports) {
        Ok(json) => json,
        Err(e) => {
            stdio::eprintln(format_args!(
                "async-lab: cannot write the reports as JSON: {e}"
            ));
            "[]".into()
        }
    }
}

/// Writes `--trace FILE.json` (`file`, checked before the run): every configuration's
/// polls in the Chrome trace event format, each configuration a process of its own
/// (numbered in the order they ran, as the table lists them).
fn write_trace(file: &OutputFile, rows: &[table::Row]) -> std::io::Result<()> {
    let runs: Vec<(u64, &Report)> = rows
        .iter()
        .filter(|r| r.crashed.is_none())
        .map(|r| &r.report)
        .enumerate()
        .map(|(i, report)| (i as u64 + 1, report))
        .collect();
    let document = async_lab_experiments::chrome_trace::document(&runs);
    file.write(document.as_bytes())
}
