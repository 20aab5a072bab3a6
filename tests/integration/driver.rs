//! The driver: every configuration, each in its own process, one table.

use std::process::Command;

use async_lab_experiments::census::Role;
use async_lab_experiments::report::Report;

fn driver(args: &[&str]) -> std::process::Output {
    crate::support::output_within(
        Command::new(env!("CARGO_BIN_EXE_async-lab")).args(args),
        crate::support::LIMIT,
    )
}

#[test]
fn the_table_has_a_row_per_configuration_and_the_reports_come_from_separate_processes() {
    let output = driver(&["--json", "--time-scale", "0.05", "race"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A configuration whose child crashed is a `null` in the array.
    let reports: Vec<Option<Report>> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON array of reports ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let every: Vec<String> = async_lab::configurations().map(|c| c.id()).collect();
    let reports: Vec<Report> = reports
        .into_iter()
        .enumerate()
        .map(|(i, report)| {
            report
                .unwrap_or_else(|| panic!("no report from configuration {i} ({:?})", every.get(i)))
        })
        .collect();
    let ran: Vec<String> = reports
        .iter()
        .map(|r| format!("{}:{}", r.runtime, r.flavor))
        .collect();
    assert_eq!(
        ran, every,
        "one report per configuration of the registry, in its order"
    );
    let mut main_tids = Vec::new();
    for report in &reports {
        assert!(
            report.ok,
            "{}:{}: {:?}",
            report.runtime, report.flavor, report.errors
        );
        assert_eq!(report.experiment, "race");
        let main = report
            .threads
            .list
            .iter()
            .find(|t| t.role == Role::Main)
            .unwrap_or_else(|| panic!("no main thread: {:?}", report.threads.list))
            .tid;
        main_tids.push(main);
    }
    main_tids.sort();
    main_tids.dedup();
    assert_eq!(
        main_tids.len(),
        every.len(),
        "each configuration ran in its own process"
    );
}

#[test]
fn the_text_table_names_every_configuration() {
    let output = driver(&[
        "--time-scale",
        "0.05",
        "--only",
        "smol",
        "--only",
        "tokio:current-thread",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("smol ") || l.starts_with("tokio "))
        .collect();
    let expected = async_lab::configurations()
        .filter(|c| c.runtime == "smol" || c.id() == "tokio:current-thread")
        .count();
    assert_eq!(rows.len(), expected, "{table}");
    assert!(rows.iter().all(|r| r.contains(" yes ")), "{table}");
    assert!(
        table.contains("Every configuration printed the same lines:"),
        "{table}"
    );
}

#[test]
fn a_bad_configuration_name_is_a_usage_error() {
    let output = driver(&["--only", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--only nope"));
}

/// The driver's Markdown says which listing each block of lines is: each part's title
/// (`## listing 17-9: one message`) stands before the lines it printed, as the report's
/// `parts` place it; and every role in the table is explained under it.
#[test]
fn markdown_labels_each_listing_and_explains_each_role() {
    let only = ["--only", "tokio:current-thread", "--only", "smol:executor"];
    let json = driver(&[&only[..], &["--json", "--time-scale", "0.01", "channel"]].concat());
    assert_eq!(
        json.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let reports: Vec<Report> = serde_json::from_slice(&json.stdout).expect("the reports");
    for report in &reports {
        let titles: Vec<&str> = report.parts.iter().map(|p| p.title.as_str()).collect();
        assert!(
            titles.iter().filter(|t| t.starts_with("listing")).count() >= 4,
            "a part per listing: {titles:?}"
        );
        let mut previous = 0;
        for part in &report.parts {
            assert!(
                part.line >= previous && part.line <= report.lines.len(),
                "{part:?} stands among {} lines, in order",
                report.lines.len()
            );
            assert!(
                report.remarks.contains(&part.title),
                "{part:?} is a remark too"
            );
            previous = part.line;
        }
    }
    let markdown = driver(
        &[
            &only[..],
            &["--markdown", "--time-scale", "0.01", "channel"],
        ]
        .concat(),
    );
    assert_eq!(markdown.status.code(), Some(0));
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    let report = &reports[0];
    let first = &report.parts[0];
    let block: Vec<&str> = markdown
        .split("```text\n")
        .nth(1)
        .expect("a block of lines")
        .lines()
        .collect();
    assert_eq!(
        block[first.line],
        format!("## {}", first.title),
        "{markdown}"
    );
    for part in &report.parts {
        assert!(
            markdown.contains(&format!("## {}", part.title)),
            "{markdown}"
        );
    }
    for thread in reports.iter().flat_map(|r| &r.threads.list) {
        assert!(
            markdown.contains(&format!(
                "`{}`, {}",
                thread.role.key(),
                thread.role.meaning()
            )),
            "the role {} is explained: {markdown}",
            thread.role.key()
        );
    }
}

/// A scratch folder of this test process's own, empty.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("driver-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_refused_command_leaves_the_output_files_as_they_were() {
    let dir = scratch("refused");
    let index = dir.join("index.html");
    std::fs::write(&index, "old").expect("written");
    // One configuration's file cannot be written: refused before anything runs.
    std::fs::create_dir(dir.join("smol-local.svg")).expect("a folder in the way");
    let output = driver(&[
        "--only",
        "smol:local",
        "--only",
        "tokio:current-thread",
        "--timeline",
        dir.to_str().expect("UTF-8"),
        "race",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        format!(
            "async-lab: --timeline {}: is a folder, not a regular file\n",
            dir.join("smol-local.svg").display()
        )
    );
    assert_eq!(std::fs::read_to_string(&index).expect("kept"), "old");
    assert!(
        !dir.join("tokio-current-thread.svg").exists(),
        "nothing ran"
    );
    // A runtime binary refused for its flavor, after its output file was named.
    let mut binary = Command::new(env!("CARGO_BIN_EXE_async-lab"));
    binary.args(["--child", "smol", "--flavor", "nope", "--timeline"]);
    let output =
        crate::support::output_within(binary.arg(&index).arg("race"), crate::support::LIMIT);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&index).expect("kept"), "old");
    // A baseline that cannot be read: refused before the charts' folder is created.
    let charts = dir.join("charts");
    let missing = dir.join("missing.json");
    let output = driver(&[
        "--charts",
        charts.to_str().expect("UTF-8"),
        "--compare",
        missing.to_str().expect("UTF-8"),
        "bench",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        !charts.exists(),
        "nothing is created before every check has passed"
    );
}

/// `--runs N` runs each configuration N times, the configurations in turn; the table gives
/// each measurement's median with the least and most of the runs, and `--figures` the
/// same ranges as anchors.
#[test]
fn runs_interleave_and_the_measurements_show_their_range() {
    let dir = scratch("runs");
    let figures = dir.join("yield.md");
    let output = driver(&[
        "--only",
        "smol:global",
        "--only",
        "futures:local-pool",
        "--runs",
        "2",
        "--time-scale",
        "0.05",
        "--figures",
        figures.to_str().expect("UTF-8"),
        "yield",
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(
        progress,
        [
            "[1/4] yield run 1/2 on smol (global)",
            "[2/4] yield run 1/2 on futures (local-pool)",
            "[3/4] yield run 2/2 on smol (global)",
            "[4/4] yield run 2/2 on futures (local-pool)",
        ]
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "Measurements (milliseconds where the name ends in _ms; the median of 2 runs each, and their least to most):"
        ),
        "{stdout}"
    );
    // Each cell: the median, then (least to most) where the runs differ.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("smol ") && l.contains("global") && !l.contains("yes"))
        .unwrap_or_else(|| panic!("no measurements for smol: {stdout}"));
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells.len(),
        4,
        "runtime, flavor and two measurements: {row}"
    );
    for cell in &cells[2..] {
        let numbers: Vec<f64> = cell
            .split(|c: char| c == '(' || c == ')' || c.is_whitespace())
            .filter_map(|w| w.parse().ok())
            .collect();
        match numbers[..] {
            [_] => {}
            [median, least, most] => assert!(least <= median && median <= most, "{row}"),
            _ => panic!("{cell}: a median, or a median and a range: {row}"),
        }
    }
    let figures = std::fs::read_to_string(&figures).expect("the figures file");
    for anchor in [
        "smol-global-sleep_1000_ms",
        "smol-sleep_1000_ms",
        "futures-local-pool-yield_1000_ms",
        "all-yield_1000_ms",
    ] {
        assert!(
            figures.contains(&format!("ANCHOR: {anchor}\n"))
                && figures.contains(&format!("ANCHOR_END: {anchor}\n")),
            "{anchor}: {figures}"
        );
    }
    // bench pools rounds of its own.
    let output = driver(&["--runs", "2", "bench"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "async-lab: bench takes --rounds, not --runs: its rounds are interleaved and pooled already\n"
    );
}

#[test]
fn a_child_past_its_deadline_is_stopped_and_its_row_says_so() {
    let output = driver(&[
        "--only",
        "tokio:current-thread",
        "--deadline",
        "1",
        "--json",
        "--timeout",
        "60",
        "page-title",
        "/hang",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let reports: Vec<Report> = serde_json::from_slice(&output.stdout).expect("the reports");
    assert_eq!(
        reports[0].errors,
        ["stopped: still running after its deadline of 1 s (--deadline)"]
    );
}

#[test]
fn what_follows_a_double_dash_reaches_the_child_untouched() {
    let output = driver(&[
        "--only",
        "smol:local",
        "--json",
        "--time-scale",
        "0.05",
        "page-title",
        "--",
        "--markdown",
        "/plain",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let reports: Vec<Report> = serde_json::from_slice(&output.stdout).expect("the reports");
    let lines: Vec<&str> = reports[0].lines.iter().map(String::as_str).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        "--markdown failed: malformed URL: relative URL without a base"
    );
    assert!(lines[1].ends_with("/plain was Hello from the embedded site"));
}

/// Hostile text (a noncharacter, a control, a bidi override, a password) in a URL, which
/// reaches the lines, the task names and the errors: the SVG and the HTML page still
/// parse, the trace is JSON, and the password is in none of them.
#[test]
fn hostile_text_keeps_every_output_well_formed_and_the_password_hidden() {
    let dir = scratch("hostile");
    let trace = dir.join("trace.json");
    let output = driver(&[
        "--only",
        "smol:local",
        "--time-scale",
        "0.05",
        "--timeline",
        dir.to_str().expect("UTF-8"),
        "--trace",
        trace.to_str().expect("UTF-8"),
        "page-title",
        "/\u{ffff}\u{1}\u{202e}<&\"x",
        "http://user:secret@127.0.0.1:1/\u{fffe}",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("secret"));
    assert!(!text(&output.stderr).contains("secret"));
    let svg = std::fs::read_to_string(dir.join("smol-local.svg")).expect("the SVG");
    roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    assert!(
        svg.contains("\\u{ffff}\\u{1}\\u{202e}&lt;&amp;"),
        "escaped as written"
    );
    let page = std::fs::read_to_string(dir.join("index.html")).expect("the page");
    let html = scraper::Html::parse_document(&page);
    assert_eq!(
        html.errors,
        Vec::<std::borrow::Cow<str>>::new(),
        "the HTML parses cleanly"
    );
    let json = std::fs::read_to_string(&trace).expect("the trace");
    serde_json::from_str::<serde_json::Value>(&json).expect("the trace is JSON");
    for (name, body) in [("svg", &svg), ("html", &page), ("trace", &json)] {
        assert!(!body.contains("secret"), "{name} shows the password");
        assert!(body.contains("user:***@127.0.0.1"), "{name} shows the URL");
    }
}

/// `--contrast` shows the configurations it names, as the full table does, and says of
/// the others which printed the same lines; a name that is not one configuration is
/// refused before anything is written.
#[test]
fn a_contrast_shows_its_configurations_and_says_which_others_printed_the_same() {
    let dir = scratch("contrast");
    let file = dir.join("lazy.md");
    let file_arg = file.to_str().unwrap();
    let refused = driver(&[
        "lazy",
        "--only",
        "tokio",
        "--contrast",
        file_arg,
        "--contrast-of",
        "tokio",
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("--contrast-of tokio: not one configuration"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!file.exists(), "a refused command wrote {}", file.display());

    let output = driver(&[
        "lazy",
        "--time-scale",
        "0.1",
        "--markdown",
        "--only",
        "tokio",
        "--only",
        "smol:local",
        "--contrast",
        file_arg,
        "--contrast-of",
        "tokio:multi-thread",
        "--contrast-of",
        "tokio:current-thread",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let full = text(&output.stdout);
    let contrast = std::fs::read_to_string(&file).expect("the contrast");
    // Its table (the first part, where a wide one is split) has the two rows, in the
    // order named.
    let rows: Vec<&str> = contrast
        .lines()
        .skip_while(|l| !l.starts_with("| runtime |"))
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("| tokio |") || l.starts_with("| smol |"))
        .collect();
    assert_eq!(rows.len(), 2, "{contrast}");
    assert!(
        rows[0].starts_with("| tokio | multi-thread |"),
        "{contrast}"
    );
    assert!(
        rows[1].starts_with("| tokio | current-thread |"),
        "{contrast}"
    );
    // Each block of lines it shows is one of the full table's.
    for block in contrast.split("```text\n").skip(1) {
        let block = block.split("```").next().unwrap_or("");
        assert!(full.contains(block), "{block}\nis not in\n{full}");
    }
    // Of the other two (tokio:local, smol:local), each is said to print the same lines
    // as one of the two shown, or lines of its own.
    let others = contrast
        .lines()
        .find(|l| {
            l.starts_with("Of the other 2 configurations: ")
                || l.starts_with("The other 2 configurations printed the same lines.")
        })
        .unwrap_or_else(|| panic!("no line on the others:\n{contrast}"));
    if others.starts_with("Of the other") {
        for name in ["tokio (local)", "smol (local)"] {
            assert!(others.contains(name), "{others}");
        }
    }
}
