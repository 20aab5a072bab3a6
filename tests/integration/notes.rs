//! book-notes shows real output: every generated note is run again, and the lines it
//! shows for each configuration must be what the code prints now. Times, ports and task
//! ids are masked; where the order of lines depends on timing (two producers, a merged
//! stream), the lines are compared as a set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_lab_shared::experiments;

use crate::support::{Config, in_parallel};

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

/// The driver arguments a note was generated with, from its first line.
fn command_of(note: &str) -> Vec<String> {
    let first = note.lines().next().unwrap_or("");
    let command = first
        .split("cargo run -- ")
        .nth(1)
        .and_then(|rest| rest.split(" -->").next())
        .unwrap_or_else(|| panic!("the note's first line names no command: {first}"));
    command
        .split_whitespace()
        .filter(|w| *w != "--markdown")
        .map(str::to_string)
        .collect()
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
        // The 1 ms-sleep part (all but the yield part's nine lines and the two timings)
        // depends on the timer's granularity: how far 'b' gets before 'a' wins the race
        // varies, so only 'a''s lines of it are compared, as a set.
        "yield" => {
            let sleep_part = lines.len().saturating_sub(11);
            let mut a_lines: Vec<String> = lines
                .drain(..sleep_part)
                .filter(|l| l.starts_with("'a'"))
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
        _ => {}
    }
    lines
}

/// One note's lines for one configuration, against a fresh run: `None` when they match.
fn check_shown(
    experiment: &str,
    args: &[String],
    config: Config,
    in_note: &[String],
) -> Option<String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut all = vec!["--json"];
    all.extend(&args);
    let run = config.run_as_is(&all);
    if run.code != Some(0) {
        return Some(format!(
            "{}:{} exited {:?}: {}",
            config.runtime, config.flavor, run.code, run.stderr
        ));
    }
    let fresh: Vec<String> = run.report().lines;
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
/// pairs several at a time, each in its own process as the driver runs them.
#[test]
fn every_note_shows_what_the_code_prints_now() {
    let mut checks = Vec::new();
    for (experiment, _) in experiments::list() {
        let path = generated().join(format!("{experiment}.md"));
        let note =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let args = command_of(&note);
        let shown = shown_lines(&note);
        for configuration in async_lab::configurations() {
            let name = format!("{} ({})", configuration.runtime, configuration.flavor);
            let in_note = shown.get(&name).cloned().unwrap_or_else(|| {
                panic!(
                    "{experiment}.md shows nothing for {name}: run book-notes/generate {experiment}"
                )
            });
            let config = Config::new(configuration.runtime, configuration.flavor);
            checks.push((experiment.clone(), args.clone(), config, in_note));
        }
    }
    let stale = in_parallel(&checks, |(experiment, args, config, in_note)| {
        check_shown(experiment, args, *config, in_note)
    });
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
