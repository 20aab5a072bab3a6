//! book-notes shows real output: every generated note is run again, and the lines it
//! shows for each configuration must be what the code prints now. Times, ports and task
//! ids are masked; where the order of lines depends on timing (two producers, a merged
//! stream), the lines are compared as a set. Each fixture whose compiler output a note
//! shows (book-notes/fixtures/*: listing 17-23's error, not-send's and
//! mutex-across-await's errors, forgot-await's warning) is compiled again too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use async_lab::InProcess;
use async_lab_experiments::experiments;
use async_lab_experiments::report::Report;

use crate::support::{Config, LIMIT, in_parallel_at, output_within, site};

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book-notes/src/generated")
}

#[test]
fn every_experiment_has_a_generated_note() {
    for (name, _) in experiments::list() {
        let note = generated().join(format!("{name}.md"));
        assert!(
            note.exists(),
            "no note for {name}: run book-notes/generate {name}"
        );
    }
}

fn chapters() -> PathBuf {
    generated().parent().expect("book-notes/src").to_path_buf()
}

/// The notes are a course: each chapter shows an experiment as the contrast of a few
/// configurations (generated/contrast/EXPERIMENT.md, from the same run as the full page),
/// and every experiment's full page is in the appendix, one click away.
#[test]
fn every_experiment_has_a_contrast_and_a_page_of_its_own() {
    let summary = std::fs::read_to_string(chapters().join("SUMMARY.md")).expect("SUMMARY.md");
    let mut pages = String::new();
    for entry in std::fs::read_dir(chapters()).expect("book-notes/src") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push_str(&std::fs::read_to_string(&path).expect("a page"));
        }
    }
    for (name, _) in experiments::list() {
        if name == "bench" {
            // Its one page is the costs chapter, which includes it whole.
            continue;
        }
        assert!(
            summary.contains(&format!("(generated/{name}.md)")),
            "SUMMARY.md lists no page for {name}: add it under the appendix"
        );
        assert!(
            !pages.contains(&format!("{{{{#include generated/{name}.md}}}}")),
            "a chapter includes all of generated/{name}.md: include its contrast instead"
        );
        let contrast = generated().join("contrast").join(format!("{name}.md"));
        let contrast = std::fs::read_to_string(&contrast).unwrap_or_else(|_| {
            panic!("no generated/contrast/{name}.md: run book-notes/generate {name}")
        });
        let full = std::fs::read_to_string(generated().join(format!("{name}.md")))
            .expect("the note (every_experiment_has_a_generated_note)");
        // The contrast shows what the run behind the full page printed, and its pictures
        // are there.
        let all = shown_lines(&full);
        let shown = shown_lines(&contrast);
        assert!(
            (2..=3).contains(&shown.len()),
            "generated/contrast/{name}.md shows {} configurations, not two or three",
            shown.len()
        );
        for (configuration, lines) in &shown {
            assert_eq!(
                all.get(configuration),
                Some(lines),
                "generated/contrast/{name}.md and generated/{name}.md disagree on {configuration}: run book-notes/generate {name}"
            );
        }
        for image in contrast.split("](generated/").skip(1) {
            let file = image.split(')').next().unwrap_or("");
            assert!(
                generated().join(file).is_file(),
                "generated/contrast/{name}.md shows generated/{file}, which is not there"
            );
        }
    }
}

/// What the notes carry, in all: at most 3 MB of generated files (outputs, timelines,
/// charts), so that the book stays quick to load and to review.
#[test]
fn the_generated_notes_fit_in_3_mb() {
    fn size(path: &Path) -> u64 {
        match std::fs::read_dir(path) {
            Ok(entries) => entries.map(|e| size(&e.expect("an entry").path())).sum(),
            Err(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
        }
    }
    let bytes = size(&generated());
    assert!(
        bytes <= 3_000_000,
        "book-notes/src/generated holds {bytes} bytes, more than 3 MB"
    );
}

/// The driver arguments a note was generated with, from its first line.
fn command_of(note: &str) -> Vec<String> {
    let first = note.lines().next().unwrap_or("");
    let command = first
        .split("cargo run -- ")
        .nth(1)
        .and_then(|rest| rest.split(" -->").next())
        .unwrap_or_else(|| panic!("the note's first line names no command: {first}"));
    // The driver's own options, which a runtime's binary does not take: one run of the
    // experiment is what is compared.
    let mut words = command.split_whitespace();
    let mut args = Vec::new();
    while let Some(word) = words.next() {
        match word {
            "--markdown" => {}
            "--runs" => {
                words.next();
            }
            _ => args.push(word.to_string()),
        }
    }
    args
}

/// Every figure a chapter quotes (`{{#include generated/figures/EXPERIMENT.md:ANCHOR}}`)
/// is in the figures file of its experiment's last run, so the prose shows what ran.
#[test]
fn every_figure_the_chapters_quote_comes_from_a_run() {
    let chapters = chapters();
    let mut quoted = 0;
    for entry in std::fs::read_dir(&chapters).expect("book-notes/src") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let chapter = std::fs::read_to_string(&path).expect("a chapter");
        for include in chapter.split("{{#include generated/figures/").skip(1) {
            let include = include.split("}}").next().unwrap_or("");
            let (file, anchor) = include
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: {include} names no anchor", path.display()));
            let figures = std::fs::read_to_string(generated().join("figures").join(file))
                .unwrap_or_else(|e| panic!("{}: {file}: {e}", path.display()));
            let start = format!("\nANCHOR: {anchor}\n");
            let at = figures.find(&start).unwrap_or_else(|| {
                panic!(
                    "{}: generated/figures/{file} has no {anchor}: run book-notes/generate",
                    path.display()
                )
            });
            let value = figures[at + start.len()..].lines().next().unwrap_or("");
            assert!(
                value.starts_with(|c: char| c.is_ascii_digit()),
                "{}: {anchor} is {value:?}, not a figure",
                path.display()
            );
            quoted += 1;
        }
    }
    assert!(quoted > 0, "no chapter quotes a figure");
}

/// The figures the chapters state themselves rather than quote from a run, by page: the
/// programs' own settings (a sleep's length, a job's size, at the book's scale and the
/// notes' `--time-scale 0.2`), and the constants of the sources a page names (a pool's
/// cap, a keep-alive). Everything measured is quoted from `generated/figures/`.
const GIVEN: [(&str, &[&str]); 10] = [
    ("concurrency-with-async.md", &["10 ms", "500 ms"]),
    // The timer's 1 ms sleep; eight rounds' interval is the 99% one.
    ("costs.md", &["1 ms", "99%"]),
    (
        "futures-tasks-threads.md",
        &["10 ms", "2 ms", "200 ms", "40 ms", "50 ms"],
    ),
    // The kernel's limit on a thread's name.
    ("how-the-lab-sees-threads.md", &["15 bytes"]),
    ("more-futures.md", &["1 ms", "10 ms", "2 ms", "40 ms"]),
    ("pitfalls.md", &["10 ms", "300 ms", "50 ms"]),
    (
        "streams.md",
        &["100 ms", "200 ms", "300 ms", "40 ms", "60 ms"],
    ),
    ("thread-per-core.md", &["1 ms"]),
    // tokio's and the blocking crate's caps and waits, named with their sources, and
    // the experiments' settings.
    (
        "threads-that-come-and-go.md",
        &[
            "1 ms",
            "1 s",
            "10 ms",
            "10 s",
            "100 ms",
            "11 s",
            "20 ms",
            "200 ms",
            "200 times",
            "300 ms",
            "400 ms",
            "50 ms",
            "500 ms",
            "500 threads",
            "512 threads",
        ],
    ),
    // The waker experiment's sleep, listing 17-24's shortened sleeps, a future's size.
    ("traits-for-async.md", &["10 ms", "50 ms", "64 bytes"]),
];

/// The figures in a page's prose (a number and its unit: `40 ms`, `2.5x`, `99%`), outside
/// code, includes, comments and link targets.
fn prose_figures(page: &str) -> Vec<String> {
    const UNITS: [&str; 21] = [
        "ms",
        "µs",
        "us",
        "ns",
        "s",
        "second",
        "seconds",
        "millisecond",
        "milliseconds",
        "microseconds",
        "%",
        "×",
        "x",
        "KiB",
        "MiB",
        "GiB",
        "KB",
        "MB",
        "bytes",
        "threads",
        "times",
    ];
    let mut prose = String::new();
    let mut in_code = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    // Drops what lies between `open` and `close`, both included.
    let without = |text: &str, open: &str, close: &str| {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(open) {
            out.push_str(&rest[..at]);
            match rest[at + open.len()..].find(close) {
                Some(end) => rest = &rest[at + open.len() + end + close.len()..],
                None => rest = "",
            }
        }
        out.push_str(rest);
        out
    };
    let prose = without(&prose, "<!--", "-->");
    let prose = without(&prose, "{{#include", "}}");
    let prose = without(&prose, "`", "`");
    let prose = without(&prose, "](", ")");
    let is_number = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_digit())
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    };
    let words: Vec<&str> = prose
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| ".,;:()[]*\"'!?".contains(c)))
        .collect();
    let mut figures = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if is_number(word) && words.get(i + 1).is_some_and(|unit| UNITS.contains(unit)) {
            figures.push(format!("{word} {}", words[i + 1]));
        }
        // A number with its unit attached: `12ms`, `4.7x`, `99%`.
        let digits = word.trim_end_matches(|c: char| !c.is_ascii_digit());
        let unit = &word[digits.len()..];
        if !digits.is_empty() && is_number(digits) && UNITS.contains(&unit) {
            figures.push((*word).to_string());
        }
    }
    figures
}

#[test]
fn prose_figures_are_found_where_they_stand() {
    let page = "A tick 40 ms late (`sleep(500ms)` is code), 2.5x the floor, at 99%.\n\n```text\n3 ms\n```\n{{#include generated/figures/yield.md:all-yield_1000_ms}} and [7 s](x.md#1-ms) <!-- 9 ms -->";
    assert_eq!(prose_figures(page), ["40 ms", "2.5x", "99%", "7 s"]);
}

/// No chapter writes a figure a run did not give: a number with a unit in a page's prose
/// is either included from `generated/figures/` (filled in by `book-notes/generate`
/// from the run the tables come from) or one of the settings and source constants in
/// `GIVEN`, which may not hold an entry the page no longer has.
#[test]
fn no_chapter_writes_a_figure_a_run_did_not_give() {
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(chapters()).expect("book-notes/src") {
        let path = entry.expect("an entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".md") || name == "SUMMARY.md" {
            continue;
        }
        let page = std::fs::read_to_string(&path).expect("a page");
        let given: &[&str] = GIVEN
            .iter()
            .find(|(p, _)| *p == name)
            .map_or(&[], |(_, figures)| figures);
        let found = prose_figures(&page);
        for figure in &found {
            if !given.contains(&figure.as_str()) {
                wrong.push(format!(
                    "{name}: \"{figure}\" is in the prose: quote it from a run \
                     ({{{{#include generated/figures/EXPERIMENT.md:ANCHOR}}}}), or, if it is a \
                     setting of the program or a constant of a source the page names, add it \
                     to GIVEN"
                ));
            }
        }
        for figure in given {
            if !found.iter().any(|f| f == figure) {
                wrong.push(format!(
                    "{name}: GIVEN holds \"{figure}\", which the page no longer has"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each configuration's lines as the note shows them, by "runtime (flavor)".
fn shown_lines(note: &str) -> BTreeMap<String, Vec<String>> {
    let mut shown = BTreeMap::new();
    let lines: Vec<&str> = note.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if lines.get(i + 2) != Some(&"```text") || !line.ends_with(':') || !line.contains(" (") {
            continue;
        }
        let block: Vec<String> = lines[i + 3..]
            .iter()
            .take_while(|l| **l != "```")
            .map(|l| l.to_string())
            .collect();
        for name in line.trim_end_matches(':').split(", ") {
            shown.insert(name.to_string(), block.clone());
        }
    }
    shown
}

/// Replaces the digits that follow `marker` with `N`.
fn mask_after(line: &str, marker: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest =
            rest[at + marker.len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        out.push('N');
    }
    out.push_str(rest);
    out
}

fn mask(line: &str) -> String {
    let line = mask_after(line, "127.0.0.1:");
    let line = mask_after(&line, "finished after ");
    mask_after(&line, "task ")
}

/// What must match between the note and a fresh run, for one experiment.
fn comparable(experiment: &str, lines: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = lines.iter().map(|l| mask(l)).collect();
    match experiment {
        // Whether the spawned task prints its 5th line before main ends is a race.
        "spawn" => {
            lines.retain(|l| l != "hi number 5 from the first task!");
            lines.sort();
        }
        // Two tasks that wake in the same instant, or two producers that send in it.
        "spawn-await" | "channel" | "join-all" => lines.sort(),
        // The 1 ms-sleep part (up to listing 17-17's title) depends on the timer's granularity: how far 'b' gets before 'a' wins the race
        // varies, so only 'a''s lines of it are compared, as a set.
        "yield" => {
            let sleep_part = lines
                .iter()
                .position(|l| l.starts_with("## listing 17-17"))
                .unwrap_or(lines.len().saturating_sub(11));
            let mut a_lines: Vec<String> = lines
                .drain(..sleep_part)
                .filter(|l| l.starts_with("'a'") || l.starts_with("## "))
                .collect();
            a_lines.sort();
            lines.splice(0..0, a_lines);
        }
        // A timeout can fire or not at its edge, and the merged part (from the first
        // interval tick on) mixes two timed sources under a `take(20)`: how many messages
        // make it in varies. The values, and the messages before the merge, are fixed.
        "streams" => {
            let merged = lines
                .iter()
                .position(|l| l.starts_with("Interval: "))
                .unwrap_or(lines.len());
            lines.truncate(merged);
            lines.retain(|l| l.starts_with("The value was") || l.starts_with("Message: "));
        }
        // An executor may poll a future again with nothing new to say (a wake left over
        // from earlier): the same `Pending` line twice in a row.
        "waker" => lines.dedup(),
        _ => {}
    }
    lines
}

/// A run's lines as the notes show them: each part's title (`## listing 17-9: ...`)
/// before the lines it printed.
fn transcript(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let mut parts = report.parts.iter().peekable();
    for (i, line) in report.lines.iter().enumerate() {
        while let Some(part) = parts.next_if(|p| p.line <= i) {
            lines.push(format!("## {}", part.title));
        }
        lines.push(line.clone());
    }
    lines.extend(parts.map(|p| format!("## {}", p.title)));
    lines
}

/// How a note's run is made: in a process of its own, as the driver runs it (its JSON
/// report read from stdout), or in this process where the run allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Child,
    InProcess,
}

/// The report of `args` run on `config`, or why there is none.
fn fresh_report(args: &[&str], config: Config, at: Where) -> Result<Report, String> {
    let mut json = vec!["--json"];
    json.extend(args);
    let refused = |code: Option<i32>, stderr: &str| {
        format!(
            "{}:{} exited {code:?}: {stderr}",
            config.runtime, config.flavor
        )
    };
    if at == Where::InProcess {
        let site = site().base();
        let mut all = vec!["--site", site.as_str()];
        all.extend(&json);
        match config.in_process_as_is(&all) {
            InProcess::Ran { status: 0, report } => return Ok(*report),
            InProcess::Ran { status, report } => {
                return Err(refused(Some(i32::from(status)), &report.errors.join("\n")));
            }
            InProcess::Refused { status, line } => {
                return Err(refused(Some(i32::from(status)), &line));
            }
            // The experiment or the configuration needs a process of its own.
            InProcess::NeedsAProcess(_) => {}
        }
    }
    let run = config.run_as_is(&json);
    if run.code != Some(0) {
        return Err(refused(run.code, &run.stderr));
    }
    Ok(run.report())
}

/// One note's lines for one configuration, against a fresh run: `None` when they match.
fn check_shown(
    experiment: &str,
    args: &[String],
    config: Config,
    in_note: &[String],
    at: Where,
) -> Option<String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Every experiment's JSON report, on every configuration: its own, and ok.
    let report = match fresh_report(&args, config, at) {
        Ok(report) => report,
        Err(why) => return Some(why),
    };
    if report.experiment != experiment || !report.ok || report.lines.is_empty() {
        return Some(format!(
            "{}:{}: the report of {experiment} is {:?}, ok {}, {} lines: {:?}",
            config.runtime,
            config.flavor,
            report.experiment,
            report.ok,
            report.lines.len(),
            report.errors
        ));
    }
    let fresh = transcript(&report);
    (comparable(experiment, in_note) != comparable(experiment, &fresh)).then(|| {
        format!(
            "book-notes/src/generated/{experiment}.md is stale for {}:{}: run book-notes/generate {experiment}\n  note:  {:?}\n  fresh: {:?}",
            config.runtime,
            config.flavor,
            comparable(experiment, in_note),
            comparable(experiment, &fresh)
        )
    })
}

/// Every generated note is run again on every configuration, (experiment, configuration)
/// pairs several at a time; each run's JSON report must be its experiment's, and ok (the
/// test that every experiment gives a report of its own: `bench`'s are in
/// `tests/integration/bench.rs`). What a run prints is the point, not its process: each
/// runs in this process, but for those that need a process of their own (the census, a
/// limit, a panic, the process's executor: `RuntimeCrate::run_in_process` says which) and
/// one configuration of each experiment, a different one each time, which run as the
/// driver runs them, their one JSON report on stdout.
#[test]
fn every_note_shows_what_the_code_prints_now() {
    let configurations = async_lab::configurations().count();
    let mut checks = Vec::new();
    for (index, (experiment, _)) in experiments::list().into_iter().enumerate() {
        let path = generated().join(format!("{experiment}.md"));
        let note =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if note.lines().next().is_some_and(|l| l.contains("--release")) {
            // Figures from a release build (bench): they differ on every run, so the
            // note must only show every configuration.
            for c in async_lab::configurations() {
                let name = format!("{} ({})", c.runtime, c.flavor);
                assert!(
                    note.contains(&name),
                    "{experiment}.md shows nothing for {name}"
                );
            }
            continue;
        }
        let args = command_of(&note);
        let shown = shown_lines(&note);
        for (n, configuration) in async_lab::configurations().enumerate() {
            let name = format!("{} ({})", configuration.runtime, configuration.flavor);
            let in_note = shown.get(&name).cloned().unwrap_or_else(|| {
                panic!(
                    "{experiment}.md shows nothing for {name}: run book-notes/generate {experiment}"
                )
            });
            let config = Config::new(configuration.runtime, configuration.flavor);
            let at = if n == index % configurations {
                Where::Child
            } else {
                Where::InProcess
            };
            checks.push((experiment.clone(), args.clone(), config, in_note, at));
        }
    }
    // Most of these runs wait (on sleeps, on deadlines): more of them at once than the
    // other tests run, since this is the suite's longest test. `blocking-pool`'s runs
    // only sleep, 11 s each, until tokio's idle threads have ended: they run all at once,
    // beside the others rather than in their place.
    let (sleepers, rest): (Vec<_>, Vec<_>) = checks
        .into_iter()
        .partition(|(experiment, ..)| experiment == "blocking-pool");
    let check = |(experiment, args, config, in_note, at): &Check| {
        check_shown(experiment, args, *config, in_note, *at)
    };
    let (mut stale, rest_stale) = std::thread::scope(|scope| {
        let sleeping = scope.spawn(|| in_parallel_at(sleepers.len(), &sleepers, check));
        let rest_stale = in_parallel_at(8, &rest, check);
        (sleeping.join().expect("the sleepers' checks"), rest_stale)
    });
    stale.extend(rest_stale);
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// One note's check: the experiment, its arguments, the configuration, the lines the
/// note shows for it, and where the run is made.
type Check = (String, Vec<String>, Config, Vec<String>, Where);

/// The fixtures: crates outside the workspace (book-notes/fixtures/*) whose compiler
/// output a note shows, each with what the compiler must say about it, as its Cargo.toml
/// declares (`[package.metadata.notes] compiler = "error"` or `"warning"`).
fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("book-notes/fixtures");
    let mut fixtures: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("Cargo.toml").exists())
        .map(|dir| {
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let kind = manifest
                .lines()
                .find_map(|l| l.strip_prefix("compiler = "))
                .unwrap_or_else(|| {
                    panic!("{}: no [package.metadata.notes] compiler", dir.display())
                })
                .trim_matches('"')
                .to_string();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            (name, kind)
        })
        .collect();
    fixtures.sort();
    fixtures
}

/// The compiler's output for a fixture, and whether it built, built as
/// book-notes/generate builds it: offline, into `target/fixtures`, so that a rerun
/// recompiles only the fixture.
fn compiler_output(fixture: &str) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args(["build", "--offline", "--quiet", "--color", "never"])
        .arg("--manifest-path")
        .arg(
            root.join("book-notes/fixtures")
                .join(fixture)
                .join("Cargo.toml"),
        )
        .arg("--target-dir")
        .arg(root.join("target/fixtures"));
    let output = output_within(&mut build, LIMIT);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The text of a note's first ```text block.
fn text_block(note: &str) -> String {
    note.lines()
        .skip_while(|l| *l != "```text")
        .skip(1)
        .take_while(|l| *l != "```")
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of a compiler error that say what it says, in order: each line without the
/// gutter of source line numbers and `|`, and a path into the cargo registry cut to the
/// crate's name and the file (the cargo home differs between machines; the version and
/// line numbers of a dependency move when it is updated). Blank and `...` lines are left
/// out.
fn key_lines(errors: &str) -> Vec<String> {
    errors
        .lines()
        .map(|line| {
            let text = line
                .trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit());
            let text = text.trim_start();
            text.strip_prefix('|').unwrap_or(text).trim()
        })
        .filter(|text| !text.is_empty() && *text != "...")
        .map(|text| match text.split_once("registry/src/") {
            Some((arrow, in_registry))
                if arrow.trim_start().starts_with("-->")
                    || arrow.trim_start().starts_with(":::") =>
            {
                // index.crates.io-…/futures-util-0.3.34/src/future/join_all.rs:29:8
                let in_crate = in_registry.split_once('/').map_or(in_registry, |(_, c)| c);
                let (krate, file) = in_crate.split_once('/').unwrap_or((in_crate, ""));
                let name = krate.rsplit_once('-').map_or(krate, |(name, _)| name);
                let file = file.split(':').next().unwrap_or(file);
                format!("{} {name}/{file}", &arrow.trim_start()[..3])
            }
            // A long type written to a file in the target directory, whose path and name
            // (a hash of the crate's path among them) differ between checkouts.
            _ => match text.split_once(" has been written to ") {
                Some((note, _)) => format!("{note} has been written to a file"),
                None => text.to_string(),
            },
        })
        .collect()
}

#[test]
fn key_lines_leave_out_what_moves() {
    let errors = "error[E0277]: `dyn Future<Output = ()>` cannot be unpinned\n  \
         --> src/main.rs:51:33\n   |\n51 |         trpl::join_all(futures).await;\n\
         ...\n  --> /home/me/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/\
         futures-util-0.3.34/src/future/join_all.rs:29:8\n";
    assert_eq!(
        key_lines(errors),
        [
            "error[E0277]: `dyn Future<Output = ()>` cannot be unpinned",
            "--> src/main.rs:51:33",
            "trpl::join_all(futures).await;",
            "--> futures-util/src/future/join_all.rs",
        ]
    );
    let errors = "   ::: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/\
         futures-util-0.3.34/src/stream/stream/mod.rs:273:8\n    = note: the full name for \
         the type has been written to '/work/main/target/fixtures/debug/deps/\
         listing_17_21-a7376c0be012c822.long-type-10889614651994686791.txt'\n";
    assert_eq!(
        key_lines(errors),
        [
            "::: futures-util/src/stream/stream/mod.rs",
            "= note: the full name for the type has been written to a file",
        ]
    );
}

/// Each fixture's note (`<fixture>-error.md`, `<fixture>-warning.md`) shows what the
/// compiler prints now; a fixture meant to fail still fails, one meant to warn still builds.
#[test]
fn every_fixture_note_shows_what_the_compiler_prints() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 3, "{fixtures:?}");
    for (fixture, kind) in fixtures {
        let (built, output) = compiler_output(&fixture);
        assert_eq!(
            built,
            kind == "warning",
            "book-notes/fixtures/{fixture} must give a compiler {kind}:\n{output}"
        );
        assert!(
            output.contains(kind.as_str()),
            "{fixture}: no {kind}:\n{output}"
        );
        let path = generated().join(format!("{fixture}-{kind}.md"));
        let note =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            key_lines(&text_block(&note)),
            key_lines(&output),
            "{} is stale (left: the note, right: the compiler now): run book-notes/generate {fixture}",
            path.display()
        );
    }
}

/// The book's listings that do not compile, each with the error its page shows: 17-3
/// (E0752: `main` may not be `async`, on the 17.1 page), 17-21 (E0599: `next` is
/// `StreamExt`'s, not in scope, on 17.4's) and 17-23 (E0277: the boxed futures are not
/// `Unpin`, on 17.5's).
#[test]
fn each_listing_that_does_not_compile_fails_with_the_book_s_error() {
    for (listing, error) in [
        ("listing-17-03", "error[E0752]"),
        ("listing-17-21", "error[E0599]: no method named `next`"),
        ("listing-17-23", "error[E0277]"),
    ] {
        let (built, errors) = compiler_output(listing);
        assert!(!built && errors.contains(error), "{listing}: {errors}");
    }
}

/// An `Rc` held across an `.await`: every spawn that may move its task to another thread
/// refuses it (tokio's, async-std's, smol's two, the futures thread pool's, a thread per
/// task); the local spawns (tokio's `spawn_local`, smol's `LocalExecutor`, the futures
/// `LocalPool`) accept it, so none of their lines is in an error.
#[test]
fn not_send_is_refused_by_each_spawn_that_may_move_the_task() {
    let (built, errors) = compiler_output("not-send");
    assert!(!built);
    let refusals = errors
        .matches("error: future cannot be sent between threads safely")
        .count();
    assert_eq!(refusals, 6, "{errors}");
    for refused in [
        "tokio::spawn(counts())",
        "async_std::task::spawn(counts())",
        "smol::spawn(counts())",
        "executor.spawn(counts())",
        "std::thread::spawn(move || futures::executor::block_on(task))",
        "pool.spawn_ok(async {",
    ] {
        assert!(errors.contains(refused), "{refused} is refused:\n{errors}");
    }
    for accepted in [
        "spawn_local(counts())",
        "local.spawn(counts())",
        ".spawn_local(async {",
    ] {
        assert!(
            !errors.contains(accepted),
            "{accepted} is accepted:\n{errors}"
        );
    }
}

/// A std `MutexGuard` held across an `.await`: `tokio::spawn`, `async_std::task::spawn` and
/// `smol::spawn` refuse the task, naming the guard; tokio's `spawn_local` accepts it.
#[test]
fn a_std_guard_across_an_await_is_refused_by_spawns_that_may_move_the_task() {
    let (built, errors) = compiler_output("mutex-across-await");
    assert!(!built);
    let refusals = errors
        .matches("error: future cannot be sent between threads safely")
        .count();
    assert_eq!(refusals, 3, "{errors}");
    assert!(
        errors.contains("MutexGuard<'_, u32>` which is not `Send`"),
        "{errors}"
    );
    for refused in [
        "tokio::spawn(add_one(counter))",
        "async_std::task::spawn(add_one(counter))",
        "smol::spawn(add_one(counter))",
    ] {
        assert!(errors.contains(refused), "{refused} is refused:\n{errors}");
    }
    assert!(
        !errors.contains("spawn_local(add_one(counter))"),
        "{errors}"
    );
}

/// An async call never awaited compiles, with the warning that says it does nothing.
#[test]
fn forgot_await_warns_that_futures_do_nothing() {
    let (built, warnings) = compiler_output("forgot-await");
    assert!(built, "{warnings}");
    assert!(
        warnings.contains("futures do nothing unless you `.await` or poll them"),
        "{warnings}"
    );
}

/// A task that borrows a local: every spawn that takes only `'static` tasks refuses it
/// (tokio's, async-std's, smol's, the futures thread pool's, `std::thread::spawn`); the
/// ways that end before the local does (futures joined in place, smol's `Executor<'a>`
/// and `LocalExecutor<'a>`, `std::thread::scope`) are accepted, so none of them is in an
/// error.
#[test]
fn a_borrowing_task_is_refused_by_every_static_spawn() {
    let (built, errors) = compiler_output("scoped");
    assert!(!built);
    let refusals = errors.matches("error[E0597]").count() + errors.matches("error[E0373]").count();
    assert_eq!(refusals, 5, "{errors}");
    assert_eq!(
        errors
            .matches("argument requires that `data` is borrowed for `'static`")
            .count(),
        3,
        "{errors}"
    );
    for refused in [
        "tokio::spawn(sum(&data))",
        "async_std::task::spawn(sum(&data))",
        "smol::spawn(sum(&data))",
        "pool.spawn_ok(async {",
        "std::thread::spawn(|| futures::executor::block_on(sum(&data)));",
    ] {
        assert!(errors.contains(refused), "{refused} is refused:\n{errors}");
    }
    for accepted in [
        "futures::future::join(sum(&data), sum(&data))",
        "executor.run(executor.spawn(sum(&data)))",
        ".spawn(|| futures::executor::block_on(sum(&data)))",
    ] {
        assert!(
            !errors.contains(accepted),
            "{accepted} is accepted:\n{errors}"
        );
    }
}
