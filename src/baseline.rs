//! `bench --save FILE.json` and `bench --compare FILE.json`: a run's figures kept as a
//! baseline, and a later run compared with it, figure by figure, as criterion does: the
//! change of the median, and a verdict that only says "faster" or "slower" where the two
//! runs' intervals are apart.
//!
//! The comparison also says how far the two runs agree: how many figures have the new
//! median inside the saved interval, and whether any two configurations that the saved run
//! told apart are now ranked the other way. The machine itself drifts between runs (its
//! floors, which measure no runtime, move with it), so it says the same of the figures
//! taken against the floors measured in the same rounds, from which that drift cancels.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use async_lab_experiments::cli::CliError;
use async_lab_experiments::render::chart::number;
use async_lab_experiments::stats::Interval;
use serde::{Deserialize, Serialize};

use crate::bench_table::{FIGURES, Run, interval};
use async_lab_experiments::experiments::Figure;

/// A saved run: each configuration's figures, with where they came from.
#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    /// What produced it: the build, the rounds and when.
    pub run: String,
    /// Figure by figure (the report's keys), configuration by configuration (the table's
    /// labels): the median and its interval.
    pub figures: BTreeMap<String, BTreeMap<String, Interval>>,
    /// Each figure that has a floor ([`Figure::floor`]), round by round as times the
    /// floor measured in the same round: the median of those ratios and its interval,
    /// figure by figure, configuration by configuration.
    #[serde(default)]
    pub against_floor: BTreeMap<String, BTreeMap<String, Interval>>,
}

impl Baseline {
    /// The timed figures of `runs`, described as `run`. The system calls an operation are
    /// left out: counted once, with no interval, they have no spread to compare against.
    pub fn of(runs: &[Run], rounds: u32) -> Baseline {
        let mut figures: BTreeMap<String, BTreeMap<String, Interval>> = BTreeMap::new();
        let mut against_floor: BTreeMap<String, BTreeMap<String, Interval>> = BTreeMap::new();
        for figure in FIGURES.into_iter().filter(|f| !f.is_syscalls()) {
            for run in runs {
                if let Some(interval) = interval(run.report, figure.key()) {
                    figures
                        .entry(figure.key().to_string())
                        .or_default()
                        .insert(run.label.clone(), interval);
                }
                if let Some(interval) = times_floor(run.report, figure) {
                    against_floor
                        .entry(figure.key().to_string())
                        .or_default()
                        .insert(run.label.clone(), interval);
                }
            }
        }
        let build = if cfg!(debug_assertions) {
            "an unoptimized build"
        } else {
            "a release build"
        };
        Baseline {
            run: format!("bench, {build}, {rounds} rounds, {}", now_utc()),
            figures,
            against_floor,
        }
    }

    /// Reads a baseline saved before, for `--compare`, before the run: a file that cannot
    /// be read is a usage error.
    pub fn read(path: &Path) -> Result<Baseline, CliError> {
        let refuse = |why: String| CliError::Usage(format!("--compare {}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| refuse(format!("not a saved bench run: {e}")))
    }

    /// The baseline as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// This run (`now`) against the saved one: a line per figure and configuration in
    /// both, then how far they agree.
    pub fn compare(&self, now: &Baseline) -> String {
        let mut s = format!("Compared with the saved run ({}):\n", self.run);
        let (inside, cells) = agreement(&self.figures, &now.figures);
        for figure in FIGURES {
            let (Some(saved), Some(new)) = (
                self.figures.get(figure.key()),
                now.figures.get(figure.key()),
            ) else {
                continue;
            };
            let _ = writeln!(s, "{} ({})", figure.key(), figure.unit());
            for (label, new) in new {
                let Some(saved) = saved.get(label) else {
                    continue;
                };
                let change = (new.median / saved.median - 1.0) * 100.0;
                let _ = writeln!(
                    s,
                    "  {label:<36} {:>22} -> {:<22} {change:+6.1}%  {}",
                    shown(saved),
                    shown(new),
                    verdict(figure, saved, new)
                );
            }
        }
        let (apart, reversed) = self.reversals(now);
        let _ = writeln!(
            s,
            "\nAgreement: {inside} of {cells} figures have their new median inside the saved interval; \
             of {apart} pairs of configurations the saved run told apart, {reversed} are ranked the other way now."
        );
        let (inside, cells) = agreement(&self.against_floor, &now.against_floor);
        if cells > 0 {
            let _ = writeln!(
                s,
                "Against the floors of their own rounds (the machine's drift between the runs cancels): \
                 {inside} of {cells} figures have their new median inside the saved interval."
            );
        }
        s
    }

    /// How many pairs of configurations the saved run ranks (intervals apart), and how many
    /// of those `now` ranks the other way round (with its own intervals apart).
    fn reversals(&self, now: &Baseline) -> (usize, usize) {
        let (mut apart, mut reversed) = (0, 0);
        for (key, saved) in &self.figures {
            let Some(new) = now.figures.get(key) else {
                continue;
            };
            let labels: Vec<&String> = saved.keys().filter(|l| new.contains_key(*l)).collect();
            for (i, a) in labels.iter().enumerate() {
                for b in &labels[i + 1..] {
                    let (sa, sb, na, nb) = (saved[*a], saved[*b], new[*a], new[*b]);
                    if !sa.separated_from(&sb) {
                        continue;
                    }
                    apart += 1;
                    let was = sa.median < sb.median;
                    if na.separated_from(&nb) && (na.median < nb.median) != was {
                        reversed += 1;
                    }
                }
            }
        }
        (apart, reversed)
    }
}

/// How many of the figure × configuration cells in both have the new median inside the
/// saved interval, and how many cells are in both.
fn agreement(
    saved: &BTreeMap<String, BTreeMap<String, Interval>>,
    now: &BTreeMap<String, BTreeMap<String, Interval>>,
) -> (usize, usize) {
    let (mut inside, mut cells) = (0, 0);
    for (key, new) in now {
        let Some(saved) = saved.get(key) else {
            continue;
        };
        for (label, new) in new {
            if let Some(saved) = saved.get(label) {
                cells += 1;
                inside += usize::from(saved.holds(new.median));
            }
        }
    }
    (inside, cells)
}

/// `figure` as times its floor, round by round (each round's figure over the floor that
/// round measured): `None` where it has no floor or the rounds do not pair up.
fn times_floor(report: &async_lab_experiments::report::Report, figure: Figure) -> Option<Interval> {
    let (floor, into_unit) = figure.floor()?;
    let values = report.samples.get(figure.key())?;
    let floors = report.samples.get(floor.key())?;
    if values.len() != floors.len() {
        return None;
    }
    let ratios: Vec<f64> = values
        .iter()
        .zip(floors)
        .map(|(value, floor)| value / into_unit(*floor))
        .collect();
    Interval::of(&ratios)
}

/// `346 [320 to 380]`.
fn shown(interval: &Interval) -> String {
    format!(
        "{} [{} to {}]",
        number(interval.median),
        number(interval.low),
        number(interval.high)
    )
}

/// "faster" or "slower" (for a size, "smaller" or "larger") where the two intervals are
/// apart; "no change" where they overlap.
fn verdict(figure: Figure, saved: &Interval, new: &Interval) -> &'static str {
    if !saved.separated_from(new) {
        return "no change";
    }
    let better = (new.median < saved.median) == figure.lower_is_better();
    match (figure.unit().contains("bytes"), better) {
        (true, true) => "smaller",
        (true, false) => "larger",
        (false, true) => "faster",
        (false, false) => "slower",
    }
}

/// Now, as `2026-12-06 02:50 UTC`.
fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(median: f64, low: f64, high: f64) -> Interval {
        Interval {
            median,
            low,
            high,
            n: 6,
        }
    }

    fn baseline(spawn: &[(&str, Interval)]) -> Baseline {
        let figures = BTreeMap::from([(
            "spawn_ns".to_string(),
            spawn.iter().map(|(l, i)| (l.to_string(), *i)).collect(),
        )]);
        Baseline {
            run: "test".into(),
            figures,
            against_floor: BTreeMap::new(),
        }
    }

    #[test]
    fn a_change_is_a_verdict_only_where_the_intervals_are_apart() {
        let saved = baseline(&[
            ("a", at(100.0, 95.0, 105.0)),
            ("b", at(200.0, 190.0, 210.0)),
        ]);
        let now = baseline(&[
            ("a", at(103.0, 99.0, 110.0)),
            ("b", at(150.0, 140.0, 160.0)),
        ]);
        let text = saved.compare(&now);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "spawn_ns (ns a task)");
        assert!(
            lines[2].starts_with("  a ") && lines[2].ends_with("+3.0%  no change"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("  b ") && lines[3].ends_with("-25.0%  faster"),
            "{}",
            lines[3]
        );
        assert_eq!(
            lines[5],
            "Agreement: 1 of 2 figures have their new median inside the saved interval; of 1 pairs of configurations the saved run told apart, 0 are ranked the other way now."
        );
    }

    #[test]
    fn figures_against_their_own_rounds_floors_leave_the_machine_s_drift_out() {
        let report = |spawn: &[f64], wake: &[f64]| {
            let mut report =
                async_lab_experiments::report::Report::without_run("smol", "local", "bench", "");
            report.samples.insert("spawn_ns".into(), spawn.to_vec());
            report.samples.insert("floor_wake_ns".into(), wake.to_vec());
            report
        };
        // The second run's machine is a fifth slower: every figure and floor moves with it.
        let first = report(&[300.0, 310.0, 290.0], &[10.0, 10.0, 10.0]);
        let second = report(&[360.0, 372.0, 348.0], &[12.0, 12.0, 12.0]);
        let of = |report| {
            Baseline::of(
                &[Run {
                    label: "smol (local)".into(),
                    runtime: "smol",
                    report,
                }],
                3,
            )
        };
        let (first, second) = (of(&first), of(&second));
        assert_eq!(first.against_floor["spawn_ns"]["smol (local)"].median, 30.0);
        let text = first.compare(&second);
        assert!(
            text.contains("Agreement: 0 of 2 figures"),
            "the floor moved, the spawn moved: {text}"
        );
        assert!(
            text.ends_with(
                "Against the floors of their own rounds (the machine's drift between the runs cancels): 1 of 1 figures have their new median inside the saved interval.\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_pair_ranked_the_other_way_is_counted() {
        let saved = baseline(&[
            ("a", at(100.0, 95.0, 105.0)),
            ("b", at(200.0, 190.0, 210.0)),
        ]);
        let now = baseline(&[
            ("a", at(300.0, 290.0, 310.0)),
            ("b", at(200.0, 190.0, 210.0)),
        ]);
        assert_eq!(saved.reversals(&now), (1, 1));
        assert_eq!(saved.reversals(&saved), (1, 0));
    }

    #[test]
    fn the_date_is_civil() {
        let text = now_utc();
        assert!(text.starts_with("20") && text.ends_with(" UTC"), "{text}");
        assert_eq!(text.len(), "2026-12-06 02:50 UTC".len());
    }
}
