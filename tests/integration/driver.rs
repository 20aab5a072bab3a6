//! The driver: every configuration, each in its own process, one table.

use std::process::Command;

use async_lab_shared::census::Role;
use async_lab_shared::report::Report;

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
