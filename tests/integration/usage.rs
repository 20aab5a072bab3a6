//! Bad usage: exit status 2 and one line on stderr, never a panic.

use crate::support::Config;

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

fn bad_usage_is_one_line_and_exit_2(config: Config) {
    assert_usage_error(
        config.run(&["no-such-experiment"]),
        "unknown experiment 'no-such-experiment'",
    );
    assert_usage_error(config.run(&["race", "/plain"]), "race takes two URLs");
    assert_usage_error(config.run(&["--time-scale", "0", "race"]), "--time-scale");
    assert_usage_error(config.run(&["--no-such-option"]), "--no-such-option");
    let run = Config::new(config.runtime, "no-such-flavor").run(&[]);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert_usage_error(run, "no flavor 'no-such-flavor'");
}
