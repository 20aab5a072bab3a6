//! The driver's side-by-side table, as text or Markdown, and what each configuration printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use async_lab::Configuration;
use async_lab::registry::{
    BusyTask, DroppedHandle, Http, Io, IoModel, NestedBlockOn, PanicOnAwait,
};
use async_lab_experiments::census::Role;
use async_lab_experiments::report::Report;

/// One configuration's run: its report, and whether its process crashed.
pub struct Row {
    pub runtime: &'static str,
    pub flavor: &'static str,
    /// `--workers`, where the run set it (`bench`'s sweep over worker counts).
    pub workers: Option<usize>,
    /// The child's report, read once from its JSON; when it printed none, one that says
    /// why.
    pub report: Report,
    /// How the child ended, when it crashed and left no report.
    pub crashed: Option<String>,
}

impl Row {
    pub fn ok(&self) -> bool {
        self.report.ok
    }

    /// The report, unless the process crashed before it wrote one.
    fn run(&self) -> Option<&Report> {
        self.crashed.is_none().then_some(&self.report)
    }

    pub fn name(&self) -> String {
        Row::label(self.runtime, self.flavor, self.workers)
    }

    /// `tokio (multi-thread)`, or `tokio (multi-thread, 2 workers)` with a worker count.
    pub fn label(runtime: &str, flavor: &str, workers: Option<usize>) -> String {
        match workers {
            Some(1) => format!("{runtime} ({flavor}, 1 worker)"),
            Some(n) => format!("{runtime} ({flavor}, {n} workers)"),
            None => format!("{runtime} ({flavor})"),
        }
    }

    fn lines(&self) -> Vec<String> {
        match self.run() {
            Some(report) => report.lines.clone(),
            None => vec![format!(
                "(no report: {})",
                self.crashed.as_deref().unwrap_or("")
            )],
        }
    }

    /// The lines, with the title of each part of the experiment (`## listing 17-9: one
    /// message`, as it stands on stderr in a terminal) before the lines it printed.
    fn transcript(&self) -> Vec<String> {
        let lines = self.lines();
        let Some(report) = self.run() else {
            return lines;
        };
        let parts: Vec<(usize, String)> = report
            .parts
            .iter()
            .map(|p| (p.line, p.title.clone()))
            .collect();
        let mut transcript = Vec::new();
        let mut parts = parts.into_iter().peekable();
        for (i, line) in lines.into_iter().enumerate() {
            while let Some((_, title)) = parts.next_if(|(at, _)| *at <= i) {
                transcript.push(format!("## {title}"));
            }
            transcript.push(line);
        }
        transcript.extend(parts.map(|(_, title)| format!("## {title}")));
        transcript
    }

    /// The cells after the name: ok, wall ms, peak threads, polling threads, threads by role.
    fn cells(&self) -> [String; 5] {
        let Some(report) = self.run() else {
            return [
                "crashed".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ];
        };
        let list = &report.threads.list;
        let polling = list
            .iter()
            .filter(|t| {
                report
                    .tasks
                    .iter()
                    .any(|task| task.threads.contains(&t.tid))
            })
            .count();
        let mut roles: BTreeMap<&str, usize> = BTreeMap::new();
        for t in list {
            *roles.entry(t.role.key()).or_default() += 1;
        }
        let roles: Vec<String> = roles
            .iter()
            .map(|(role, n)| format!("{n} {role}"))
            .collect();
        [
            if self.ok() { "yes".into() } else { "NO".into() },
            format!("{:.1}", report.wall_ms),
            report.threads.peak.to_string(),
            polling.to_string(),
            roles.join(", "),
        ]
    }
}

const HEADERS: [&str; 7] = [
    "runtime",
    "flavor",
    "ok",
    "wall ms",
    "peak threads",
    "polling threads",
    "threads by role",
];

/// The measurements every configuration's experiment made, one column per name, and the
/// parts a runtime lacks; `None` when the experiment measures nothing.
fn measurement_cells(rows: &[Row]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.run())
        .flat_map(|report| report.measurements.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let any_unsupported = rows
        .iter()
        .any(|r| r.run().is_some_and(|report| !report.unsupported.is_empty()));
    if names.is_empty() && !any_unsupported {
        return None;
    }
    let mut headers = vec!["runtime".to_string(), "flavor".to_string()];
    headers.extend(names.iter().cloned());
    if any_unsupported {
        headers.push("not on this runtime".into());
    }
    let cells = rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.runtime.to_string(), r.flavor.to_string()];
            let report = r.run();
            for name in &names {
                let shown = |v: f64| {
                    if v.fract() == 0.0 {
                        format!("{v}")
                    } else {
                        format!("{v:.1}")
                    }
                };
                cells.push(report.map_or("-".into(), |report| {
                    match (report.measurements.get(name), report.spread.get(name)) {
                        (None, _) => "-".into(),
                        (Some(&v), None) => shown(v),
                        (Some(&v), Some(&[least, most])) if least == most => shown(v),
                        (Some(&v), Some(&[least, most])) => {
                            format!("{} ({} to {})", shown(v), shown(least), shown(most))
                        }
                    }
                }));
            }
            if any_unsupported {
                let parts: &[String] = report.map_or(&[], |report| &report.unsupported);
                cells.push(if parts.is_empty() {
                    "-".into()
                } else {
                    parts.join(", ")
                });
            }
            cells
        })
        .collect();
    Some((headers, cells))
}

/// Rows of cells as aligned text.
fn aligned(headers: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|c| c[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for cells in std::iter::once(headers).chain(rows.iter().map(Vec::as_slice)) {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(s, "{}", padded.join("  ").trim_end());
    }
    s
}

/// The table as aligned text, then the measurements, then what each configuration printed.
pub fn text(experiment: &str, rows: &[Row], runs: u32) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.runtime.to_string(), r.flavor.to_string()];
            cells.extend(r.cells());
            cells
        })
        .collect();
    let mut s = format!(
        "{experiment} on {} runtime configurations, each in its own process\n\n",
        rows.len()
    );
    s.push_str(&aligned(&HEADERS.map(str::to_string), &cells));
    if let Some((headers, cells)) = measurement_cells(rows) {
        let _ = writeln!(
            s,
            "\nMeasurements (milliseconds where the name ends in _ms; {}):",
            runs_behind(runs)
        );
        s.push_str(&aligned(&headers, &cells));
    }
    s.push('\n');
    s.push_str(&outputs(rows, "    "));
    s.push_str(&failures(rows, ""));
    s
}

/// How many runs the measurements come from, as their caption says it.
fn runs_behind(runs: u32) -> String {
    match runs {
        1 => "one run each".into(),
        n => format!("the median of {n} runs each, and their least to most"),
    }
}

/// The table as Markdown, then what each configuration printed, in code blocks.
pub fn markdown(experiment: &str, rows: &[Row], runs: u32) -> String {
    let mut s = format!(
        "`{experiment}` on {} runtime configurations, each in its own process.\n\n",
        rows.len()
    );
    if let Some((_, shows)) = async_lab_experiments::experiments::list()
        .into_iter()
        .find(|(name, _)| name == experiment)
    {
        let _ = writeln!(s, "What it runs: {shows}.\n");
    }
    let _ = writeln!(s, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(HEADERS.len()));
    for r in rows {
        let cells = r.cells();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            r.runtime,
            r.flavor,
            cells.join(" | ")
        );
    }
    s.push('\n');
    s.push_str(&roles_legend(rows));
    if let Some((headers, cells)) = measurement_cells(rows) {
        let _ = writeln!(
            s,
            "Measurements (milliseconds where the name ends in `_ms`; {}):\n",
            runs_behind(runs)
        );
        let _ = writeln!(s, "| {} |", headers.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(headers.len()));
        for row in cells {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
        s.push('\n');
    }
    for (names, lines) in groups(rows) {
        let _ = writeln!(
            s,
            "{}:\n\n```text\n{}\n```\n",
            names.join(", "),
            lines.join("\n")
        );
    }
    s.push_str(&failures(rows, "- "));
    s
}

/// What each role in the table's "threads by role" column means, for the roles it shows.
fn roles_legend(rows: &[Row]) -> String {
    let shown: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|role| {
            rows.iter().any(|r| {
                r.run()
                    .is_some_and(|report| report.threads.list.iter().any(|t| t.role == *role))
            })
        })
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut s = String::from("Roles in the table:");
    for (i, role) in shown.iter().enumerate() {
        let _ = write!(
            s,
            "{} `{}`, {}",
            if i == 0 { "" } else { ";" },
            role.key(),
            role.meaning()
        );
    }
    s.push_str(".\n\n");
    s
}

/// Each configuration's failures that its lines do not already show (a crash, a part
/// of an experiment that failed), one a line after `bullet`: every reason reaches the
/// table.
fn failures(rows: &[Row], bullet: &str) -> String {
    let mut s = String::new();
    for row in rows {
        let lines = row.lines();
        for error in &row.report.errors {
            if !lines.iter().any(|l| l == error || l.contains(error)) {
                let _ = writeln!(s, "{bullet}{} failed: {error}", row.name());
            }
        }
    }
    s
}

/// Configurations grouped by the exact lines they printed (with the titles of the
/// experiment's parts among them), in table order.
fn groups(rows: &[Row]) -> Vec<(Vec<String>, Vec<String>)> {
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for row in rows {
        let lines = row.transcript();
        match groups.iter_mut().find(|(_, l)| *l == lines) {
            Some((names, _)) => names.push(row.name()),
            None => groups.push((vec![row.name()], lines)),
        }
    }
    groups
}

fn outputs(rows: &[Row], indent: &str) -> String {
    let groups = groups(rows);
    let mut s = String::new();
    if groups.len() == 1 {
        let _ = writeln!(s, "Every configuration printed the same lines:");
    }
    for (names, lines) in groups {
        if names.len() < rows.len() {
            let _ = writeln!(s, "{} printed:", names.join(", "));
        }
        for l in lines {
            let _ = writeln!(s, "{indent}{l}");
        }
    }
    s
}

/// A configuration's I/O as `--configurations` shows it: the kernel's model, its
/// driver, and the thread that waits, if one of its own does.
fn io(io: &Io) -> String {
    let model = match io.model {
        IoModel::Readiness => "readiness",
        IoModel::Completion => "completion",
    };
    let waits = match (io.thread, io.model) {
        (Some(role), _) => format!("a {} thread waits", role.key()),
        (None, IoModel::Readiness) => "the executor's own threads wait".into(),
        (None, IoModel::Completion) => {
            "no reactor thread: the kernel completes, the executor's thread reaps".into()
        }
    };
    format!("{model}: {}; {waits}", io.driver)
}

/// Every configuration and what it can do, as the registry says: a Markdown table, or
/// aligned text.
pub fn configurations<'a>(
    configurations: impl Iterator<Item = &'a Configuration>,
    markdown: bool,
) -> String {
    let header = [
        "configuration",
        "what polls the tasks",
        "own spawn",
        "its dropped handle",
        "a panic comes back",
        "blocking pool",
        "own timeout",
        "timer",
        "I/O",
        "HTTP",
        "block_on in a task",
        "a busy task",
        "spawn for !Send tasks",
    ];
    let rows: Vec<[String; 13]> = configurations
        .map(|c| {
            let caps = &c.capabilities;
            let or_none =
                |part: Option<&str>| part.map_or("none".to_string(), |p| format!("`{p}`"));
            [
                c.id(),
                c.about.to_string(),
                format!("`{}`", caps.raw_spawn),
                match caps.dropped_handle {
                    DroppedHandle::Detaches => "detaches".into(),
                    DroppedHandle::Cancels => "cancels".into(),
                },
                match caps.panic {
                    PanicOnAwait::Error => "as an error".into(),
                    PanicOnAwait::Propagates => "as the panic".into(),
                },
                or_none(caps.blocking.map(|b| b.spawn)),
                or_none(caps.own_timeout.map(|t| t.name)),
                caps.timer.name.into(),
                io(&caps.io),
                match caps.http {
                    Http::OwnReactor => "its own reactor".into(),
                    Http::CompatBridge => "async-compat".into(),
                },
                format!(
                    "`{}` {}",
                    caps.block_on,
                    match caps.nested_block_on {
                        NestedBlockOn::Panics => "panics",
                        NestedBlockOn::Blocks => "blocks its thread",
                        NestedBlockOn::Works => "works",
                    }
                ),
                match caps.busy_task {
                    BusyTask::StarvesOthers => "starves the others".into(),
                    BusyTask::OthersRunElsewhere => "others run elsewhere".into(),
                },
                or_none(caps.local_spawn.map(|l| l.name)),
            ]
        })
        .collect();
    let mut s = String::new();
    if markdown {
        let _ = writeln!(s, "| {} |", header.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
        for row in &rows {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
    } else {
        for row in &rows {
            let _ = writeln!(s, "{}", row[0]);
            for (name, value) in header.iter().zip(row).skip(1) {
                let _ = writeln!(s, "  {name:<20} {}", value.replace('`', ""));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measurement_over_runs_shows_its_median_and_its_range_unless_they_agree() {
        let mut report = Report::without_run("smol", "global", "yield", "");
        report.measurements.insert("sleep_1000_ms".into(), 0.14);
        report.spread.insert("sleep_1000_ms".into(), [0.13, 0.24]);
        report.measurements.insert("pages".into(), 100.0);
        report.spread.insert("pages".into(), [100.0, 100.0]);
        let row = Row {
            runtime: "smol",
            flavor: "global",
            workers: None,
            report,
            crashed: None,
        };
        let (headers, cells) = measurement_cells(&[row]).expect("measurements");
        assert_eq!(headers, ["runtime", "flavor", "pages", "sleep_1000_ms"]);
        assert_eq!(cells, [["smol", "global", "100", "0.1 (0.1 to 0.2)"]]);
    }
}
