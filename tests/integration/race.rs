//! `race`: the fast page wins whichever side it is on. What a race prints is the point,
//! not its process: the runs are in this one where they can be (`Config::outcome`).

use crate::support::{Config, site};

crate::on_every_configuration!(
    the_fast_page_wins_on_either_side,
    default_race_is_slow_against_fast
);

fn assert_plain_won(config: Config, args: &[&str]) {
    assert_plain_won_at(config, 0.05, args);
}

fn assert_plain_won_at(config: Config, time_scale: f64, args: &[&str]) {
    let run = config.outcome_scaled(time_scale, args);
    assert_eq!(run.code, 0, "{:?}", run.report.errors);
    assert_eq!(
        run.lines(),
        [
            format!("{} returned first", site().url("/plain")),
            "Its page title was: 'Hello from the embedded site'".to_string(),
        ]
    );
}

fn the_fast_page_wins_on_either_side(config: Config) {
    assert_plain_won(config, &["race", "/slow/3000", "/plain"]);
    assert_plain_won(config, &["race", "/plain", "/slow/3000"]);
}

/// The default slow page answers after 500 ms (scaled): at 0.4, 200 ms, which the fast
/// page beats even on a loaded machine, where its first request alone can take 25 ms.
fn default_race_is_slow_against_fast(config: Config) {
    assert_plain_won_at(config, 0.4, &["race"]);
}
