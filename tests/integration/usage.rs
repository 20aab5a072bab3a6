//! Bad usage: exit status 2 and one line on stderr, never a panic. The binary's own
//! refusal, in this process (`RuntimeCrate::run_in_process`); one case a configuration
//! runs the binary, for the exit status and stderr as a user sees them.

use async_lab::InProcess;

use crate::support::{Config, site};

crate::on_every_configuration!(bad_usage_is_one_line_and_exit_2);

fn assert_usage_error(run: crate::support::Run, mentions: &str) {
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert!(
        run.stderr.contains(mentions),
        "stderr should mention '{mentions}': {}",
        run.stderr
    );
}

/// `args` on `config`, in this process: refused before anything starts, with exit status
/// 2 and one line (a refusal prints nothing else) that mentions `mentions`.
fn assert_refused(config: Config, args: &[&str], mentions: &str) {
    let site = site().base();
    let mut all = vec!["--site", site.as_str(), "--time-scale", "0.05"];
    all.extend(args);
    match config.in_process_as_is(&all) {
        InProcess::Refused { status: 2, line } => {
            assert!(!line.contains('\n'), "one line: {line}");
            assert!(
                line.contains(mentions),
                "{args:?}: the line should mention '{mentions}': {line}"
            );
        }
        other => panic!("{args:?}: not a usage error: {other:?}"),
    }
}

fn bad_usage_is_one_line_and_exit_2(config: Config) {
    assert_refused(
        config,
        &["no-such-experiment"],
        "unrecognized subcommand 'no-such-experiment'",
    );
    assert_refused(
        config,
        &["race", "/plain"],
        "required arguments were not provided: <URL>",
    );
    assert_refused(config, &["--time-scale", "0", "race"], "--time-scale");
    assert_refused(config, &["downloads", "0"], "'0' for '[N]'");
    assert_refused(config, &["downloads", "10", "x"], "'x' for '[DELAY_MS]'");
    assert_refused(config, &["spawn", "extra"], "unexpected argument 'extra'");
    assert_refused(config, &["--no-such-option"], "--no-such-option");
    let run = Config::new(config.runtime, "no-such-flavor").run(&[]);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert_usage_error(run, "no flavor 'no-such-flavor'");
}

/// Every experiment documents its own arguments, and `list` comes from the same
/// definitions on every binary and on the driver.
#[test]
fn experiments_have_their_own_help_and_one_list() {
    let config = Config::new("smol", "global");
    let help = config.run(&["downloads", "--help"]);
    assert_eq!(help.code, Some(0), "{}", help.stderr);
    assert!(help.stdout.contains("[N]") && help.stdout.contains("[DELAY_MS]"));
    assert!(help.stdout.contains("How many pages to download"));

    let names: Vec<String> = async_lab_experiments::experiments::list()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(names.len() >= 16 && names.contains(&"page-title".to_string()));
    let list = config.run(&["list"]);
    let listed: Vec<&str> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, names);
    let output = crate::support::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_async-lab")).arg("list"),
        crate::support::LIMIT,
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), list.stdout);
}
