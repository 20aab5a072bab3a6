//! The async `main` macros (17.1): each runtime crate's example of an async `main` with its
//! executor's macro (`runtimes/<rt>/examples/*.rs`), run from where cargo built it
//! (`target/debug/examples/`, beside the `deps/` that holds this test's binary: `cargo test
//! --workspace` builds every example before any test runs), and the note that shows them
//! (`book-notes/src/generated/main-macros.md`, written by `book-notes/generate main-macros`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// An example: its runtime crate's folder name, its name, and its source.
struct Example {
    runtime: String,
    name: String,
    source: PathBuf,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every runtime crate's examples, in order.
fn examples() -> Vec<Example> {
    let mut found = Vec::new();
    for crate_dir in std::fs::read_dir(root().join("runtimes")).unwrap() {
        let crate_dir = crate_dir.unwrap().path();
        let Ok(files) = std::fs::read_dir(crate_dir.join("examples")) else {
            continue;
        };
        for file in files {
            let source = file.unwrap().path();
            if source.extension().is_some_and(|e| e == "rs") {
                found.push(Example {
                    runtime: crate_dir.file_name().unwrap().to_string_lossy().into(),
                    name: source.file_stem().unwrap().to_string_lossy().into(),
                    source,
                });
            }
        }
    }
    found.sort_by(|a, b| a.source.cmp(&b.source));
    found
}

/// What the example printed, each line; it must succeed, from a binary built from its
/// source as it is now.
fn output_of(example: &Example) -> Vec<String> {
    let this = std::env::current_exe().unwrap();
    let profile = this.parent().and_then(Path::parent).unwrap();
    let binary =
        profile
            .join("examples")
            .join(format!("{}{}", example.name, std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: `cargo test --workspace` builds the examples (or `cargo build --workspace --examples`)",
                binary.display()
            )
        });
    let written = std::fs::metadata(&example.source)
        .and_then(|m| m.modified())
        .unwrap();
    assert!(
        built >= written,
        "{} is older than {}: `cargo build --workspace --examples`",
        binary.display(),
        example.source.display()
    );
    let output = Command::new(&binary).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}: {}\n{stderr}",
        example.name,
        output.status
    );
    assert!(stderr.is_empty(), "{}: {stderr}", example.name);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Each executor that has an attribute macro for `main` (tokio, async-std, compio, monoio) has an
/// example of it, and smol one of smol-macros' `main!`; each example's body runs on the
/// thread that runs `main`, as `block_on`'s future does, and all print the same lines.
#[test]
fn every_async_main_runs_its_body_in_block_on_on_the_main_thread() {
    let examples = examples();
    let mut runtimes: Vec<&str> = examples.iter().map(|e| e.runtime.as_str()).collect();
    runtimes.dedup();
    assert_eq!(runtimes, ["async-std", "compio", "monoio", "smol", "tokio"]);
    let first = output_of(&examples[0]);
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0], "main's body ran on the thread \"main\"");
    assert!(first[1].starts_with("The title was: "), "{first:?}");
    for example in &examples[1..] {
        assert_eq!(output_of(example), first, "{}", example.name);
    }
}

/// The lines of the first ```` ```text ```` block after the line `heading` in `note`.
fn text_block_after(note: &str, heading: &str) -> Vec<String> {
    let lines: Vec<&str> = note.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == heading)
        .unwrap_or_else(|| panic!("main-macros.md has no line {heading:?}"));
    let open = at + lines[at..].iter().position(|l| *l == "```text").unwrap();
    lines[open + 1..]
        .iter()
        .take_while(|l| **l != "```")
        .map(|l| l.to_string())
        .collect()
}

/// The note includes each example's source and shows what it prints now; the expansion it
/// quotes is in tokio-macros' source, the version Cargo.lock holds, at the lines it says.
#[test]
fn the_main_macros_note_shows_each_example_and_what_it_prints_now() {
    let note = std::fs::read_to_string(root().join("book-notes/src/generated/main-macros.md"))
        .expect("book-notes/generate main-macros");
    for example in examples() {
        let source = example.source.strip_prefix(root()).unwrap().display();
        let include = format!("{{{{#include ../../../{source}}}}}");
        assert!(
            note.contains(&include),
            "no {include:?}: book-notes/generate main-macros"
        );
        let command = format!(
            "Output of `cargo run --quiet -p runtime-{} --example {}`:",
            example.runtime, example.name
        );
        assert_eq!(
            text_block_after(&note, &command),
            output_of(&example),
            "{command}: book-notes/generate main-macros"
        );
    }

    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let version = lock
        .split("\n[[package]]\n")
        .find_map(|package| package.strip_prefix("name = \"tokio-macros\"\nversion = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("tokio-macros in Cargo.lock");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"));
    let mut quotes = 0;
    for line in note.lines() {
        let Some(quoted) = line.strip_prefix("`$CARGO_HOME/") else {
            continue;
        };
        let (path, lines) = quoted.split_once("`, lines ").unwrap();
        assert!(
            path.contains(&format!("/tokio-macros-{version}/")),
            "{path}: Cargo.lock has tokio-macros {version}: book-notes/generate main-macros"
        );
        let (from, to) = lines.trim_end_matches(':').split_once(" to ").unwrap();
        let (from, to): (usize, usize) = (from.parse().unwrap(), to.parse().unwrap());
        let file = std::fs::read_to_string(cargo_home.join(path)).unwrap();
        let wanted: Vec<&str> = file.lines().skip(from - 1).take(to + 1 - from).collect();
        let shown: Vec<&str> = note
            .split(line)
            .nth(1)
            .and_then(|after| after.split("```rust\n").nth(1))
            .and_then(|block| block.split("\n```").next())
            .unwrap()
            .lines()
            .collect();
        assert_eq!(shown, wanted, "{path}, lines {from} to {to}");
        quotes += 1;
    }
    assert_eq!(
        quotes, 3,
        "the builder by the flavor, block_on, and the body made an async block"
    );
    for call in [
        "Builder::new_multi_thread()",
        ".block_on(#body_ident)",
        "let body = async #body;",
    ] {
        assert!(note.contains(call), "the quotes show no {call}");
    }
}
