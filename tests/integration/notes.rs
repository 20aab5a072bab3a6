//! book-notes shows real output: every generated note is run again, and the lines it
//! shows for each configuration must be what the code prints now. Times, ports and task
//! ids are masked; where the order of lines depends on timing (two producers, a merged
//! stream), the lines are compared as a set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use async_lab_shared::experiments::EXPERIMENTS;
use serde_json::Value;

fn generated() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book-notes/src/generated")
}

#[test]
fn every_experiment_has_a_generated_note() {
    for experiment in EXPERIMENTS {
        let note = generated().join(format!("{}.md", experiment.name));
        assert!(
            note.exists(),
            "no note for {}: run book-notes/generate {}",
            experiment.name,
            experiment.name
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
        // The 1 ms-sleep part (the first nine lines) depends on the timer's granularity.
        "yield" => {
            let first_part = 9.min(lines.len());
            lines[..first_part].sort();
        }
        // The merged part mixes two timed sources, and a timeout can fire or not at the edge.
        "streams" => lines.retain(|l| l.starts_with("The value was") || l.starts_with("Message: ")),
        _ => {}
    }
    lines
}

fn check_note(experiment: &str) {
    let path = generated().join(format!("{experiment}.md"));
    let note = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let args = command_of(&note);
    let shown = shown_lines(&note);
    assert_eq!(
        shown.len(),
        9,
        "the note shows every configuration's output: {shown:?}"
    );

    let output = crate::support::output_within(
        Command::new(env!("CARGO_BIN_EXE_async-lab"))
            .args(&args)
            .arg("--json"),
        crate::support::LIMIT,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    for report in reports.as_array().unwrap() {
        let name = format!(
            "{} ({})",
            report["runtime"].as_str().unwrap(),
            report["flavor"].as_str().unwrap()
        );
        let fresh: Vec<String> = report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let in_note = shown
            .get(&name)
            .unwrap_or_else(|| panic!("the note shows nothing for {name}"));
        assert_eq!(
            comparable(experiment, in_note),
            comparable(experiment, &fresh),
            "book-notes/src/generated/{experiment}.md is stale for {name}: run book-notes/generate {experiment}"
        );
    }
}

macro_rules! notes_match {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(#[test] fn $test() { check_note($name) })*
    };
}

notes_match!(
    page_title => "page-title",
    race => "race",
    spawn => "spawn",
    spawn_await => "spawn-await",
    join => "join",
    channel => "channel",
    blocking => "blocking",
    yield_now => "yield",
    timeout => "timeout",
    streams => "streams",
    join_all => "join-all",
    thread_to_async => "thread-to-async",
    downloads => "downloads",
    export => "export",
    drop_handle => "drop-handle",
    panic => "panic",
);
