//! The driver: every configuration, each in its own process, one table.

use std::process::Command;

use serde_json::Value;

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
    let reports: Value = serde_json::from_slice(&output.stdout).expect("one JSON array");
    let reports = reports.as_array().expect("an array");
    let every: Vec<String> = async_lab::configurations().map(|c| c.id()).collect();
    let ran: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["runtime"].as_str().unwrap(),
                r["flavor"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ran, every,
        "one report per configuration of the registry, in its order"
    );
    let mut main_tids = Vec::new();
    for report in reports {
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["experiment"], "race");
        let main = report["threads"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["role"] == "main")
            .unwrap()["tid"]
            .clone();
        main_tids.push(main);
    }
    main_tids.sort_by_key(|t| t.as_u64());
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
