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
#[derive(Clone)]
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

    /// The table's row: runtime, flavor, then [`Row::cells`].
    fn row(&self) -> Vec<String> {
        let mut cells = vec![self.runtime.to_string(), self.flavor.to_string()];
        cells.extend(self.cells());
        cells
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

/// About how many characters of a table's text the notes' column holds side by side
/// (mdBook's 750 px, at 16 px a letter's some 7.5 px, less the cells' padding): the
/// budget [`markdown_tables`] splits a table by.
const COLUMN_CHARS: usize = 96;
/// How much of a column's longest cell it is given before its text wraps.
const CELL_CHARS: usize = 16;

/// Rows of cells as Markdown tables that fit the notes' column: the first `keep` columns
/// (what names a row) in every table, and the others, in order, as many to a table as
/// fit [`COLUMN_CHARS`] (at least one). A header may break after each `_` (`<wbr>`), so
/// a measurement's long key does not set its column's width.
pub fn markdown_tables(headers: &[String], rows: &[Vec<String>], keep: usize) -> String {
    let headers: Vec<String> = headers.iter().map(|h| h.replace('_', "_<wbr>")).collect();
    let width = |i: usize| column_chars(&headers[i], rows.iter().map(|r| r[i].as_str()));
    let kept: usize = (0..keep).map(width).sum();
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut used = kept;
    for i in keep..headers.len() {
        match parts.last_mut() {
            Some(part) if used + width(i) <= COLUMN_CHARS => part.push(i),
            _ => {
                parts.push(vec![i]);
                used = kept;
            }
        }
        used += width(i);
    }
    let mut s = String::new();
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            s.push('\n');
        }
        let columns: Vec<usize> = (0..keep).chain(part.iter().copied()).collect();
        let line = |cells: &[String]| {
            let shown: Vec<&str> = columns.iter().map(|&i| cells[i].as_str()).collect();
            format!("| {} |\n", shown.join(" | "))
        };
        s.push_str(&line(&headers));
        let _ = writeln!(s, "|{}", "---|".repeat(columns.len()));
        for row in rows {
            s.push_str(&line(row));
        }
    }
    s
}

/// The characters a column takes: its longest word (which cannot wrap; a header's
/// pieces between `<wbr>`s), or as much of its longest cell as [`CELL_CHARS`], whichever
/// is more; and two for the cell's padding.
fn column_chars<'a>(header: &str, cells: impl Iterator<Item = &'a str>) -> usize {
    let header_word = header
        .split([' ', '\t'])
        .flat_map(|word| word.split("<wbr>"))
        .map(word_chars)
        .max()
        .unwrap_or(0);
    let (mut word, mut cell) = (header_word, 0);
    for text in cells {
        cell = cell.max(text.chars().count());
        word = word.max(text.split_whitespace().map(word_chars).max().unwrap_or(0));
    }
    word.max(cell.min(CELL_CHARS)) + 2
}

/// The width of a word that cannot wrap, in characters of the text around it: code (in
/// backticks) is drawn in a monospace font, a tenth wider; other text may also break
/// after a hyphen.
fn word_chars(word: &str) -> usize {
    if word.contains('`') {
        word.chars().count() * 11 / 10
    } else {
        word.split_inclusive('-')
            .map(|piece| piece.chars().count())
            .max()
            .unwrap_or(0)
    }
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
    let cells: Vec<Vec<String>> = rows.iter().map(Row::row).collect();
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
    s.push_str(&markdown_rows(rows, runs));
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

/// The rows as Markdown tables (in parts that fit the notes' column), the roles they
/// show, and their measurements.
fn markdown_rows(rows: &[Row], runs: u32) -> String {
    let mut s = String::new();
    let cells: Vec<Vec<String>> = rows.iter().map(Row::row).collect();
    s.push_str(&markdown_tables(&HEADERS.map(str::to_string), &cells, 2));
    s.push('\n');
    s.push_str(&roles_legend(rows));
    if let Some((headers, cells)) = measurement_cells(rows) {
        let _ = writeln!(
            s,
            "Measurements (milliseconds where the name ends in `_ms`; {}):\n",
            runs_behind(runs)
        );
        s.push_str(&markdown_tables(&headers, &cells, 2));
        s.push('\n');
    }
    s
}

/// A few configurations of the run side by side, for a page that teaches what differs
/// between them (`--contrast`): their rows and what each printed, as [`markdown`] shows
/// them, then which of the other configurations printed the same lines as one of them
/// and which printed lines of their own, so the page can say how far the contrast
/// reaches without showing every run.
pub fn contrast(experiment: &str, rows: &[Row], chosen: &[usize], runs: u32) -> String {
    let shown: Vec<Row> = chosen.iter().map(|&i| rows[i].clone()).collect();
    let mut s = format!(
        "<!-- generated by async-lab {experiment} --contrast: {} of its {} configurations -->\n\n",
        shown.len(),
        rows.len()
    );
    s.push_str(&markdown_rows(&shown, runs));
    let groups = groups(&shown);
    for (names, lines) in &groups {
        let _ = writeln!(
            s,
            "{}:\n\n```text\n{}\n```\n",
            names.join(", "),
            lines.join("\n")
        );
    }
    // The others, by the shown group whose lines they printed.
    let mut same: Vec<Vec<String>> = vec![Vec::new(); groups.len()];
    let mut apart: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if chosen.contains(&i) {
            continue;
        }
        let lines = row.transcript();
        match groups.iter().position(|(_, l)| *l == lines) {
            Some(g) => same[g].push(row.name()),
            None => apart.push(row.name()),
        }
    }
    let others = rows.len() - shown.len();
    let mut said: Vec<String> = Vec::new();
    for (g, names) in same.iter().enumerate() {
        if !names.is_empty() {
            said.push(format!(
                "{} printed the same lines as {}",
                list(names),
                groups[g].0[0]
            ));
        }
    }
    if !apart.is_empty() {
        said.push(format!(
            "{} printed lines of {} own",
            list(&apart),
            if apart.len() == 1 { "its" } else { "their" }
        ));
    }
    let everyone = apart.is_empty() && same.iter().filter(|n| !n.is_empty()).count() == 1;
    if others > 0 && everyone && groups.len() == 1 {
        let _ = writeln!(
            s,
            "The other {others} configuration{} printed the same lines.\n",
            if others == 1 { "" } else { "s" }
        );
    } else if others > 0 {
        let _ = writeln!(
            s,
            "Of the other {others} configuration{}: {}.\n",
            if others == 1 { "" } else { "s" },
            said.join("; ")
        );
    }
    s.push_str(&failures(&shown, "- "));
    s
}

/// `a`, `a and b`, `a, b and c`.
fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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
                    PanicOnAwait::TearsDownBlockOn => "out of block_on".into(),
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
        let header = header.map(str::to_string);
        let rows: Vec<Vec<String>> = rows.iter().map(|row| row.to_vec()).collect();
        s.push_str(&markdown_tables(&header, &rows, 1));
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
    fn a_table_too_wide_for_the_column_comes_in_parts_that_keep_the_names() {
        let headers: Vec<String> = ["runtime", "flavor"]
            .into_iter()
            .map(String::from)
            .chain((0..12).map(|i| format!("measurement_number_{i}")))
            .collect();
        let row = |runtime: &str| {
            let mut cells = vec![runtime.to_string(), "thread-per-task".to_string()];
            cells.extend((0..12).map(|i| format!("{i}.5 (1.0 to 20.0)")));
            cells
        };
        let rows = [row("tokio"), row("async-std")];
        let tables = markdown_tables(&headers, &rows, 2);
        let parts: Vec<&str> = tables.split("\n\n").collect();
        assert!(parts.len() > 1, "{tables}");
        let mut shown = 0;
        for part in &parts {
            let lines: Vec<&str> = part.lines().collect();
            assert_eq!(lines.len(), 4, "a header, a rule, a row each: {part}");
            assert!(lines[0].starts_with("| runtime | flavor | measurement_<wbr>number_<wbr>"));
            assert!(lines[3].starts_with("| async-std | thread-per-task | "));
            let columns = lines[1].matches("---|").count();
            assert_eq!(lines[0].matches(" | ").count() + 1, columns, "{part}");
            shown += columns - 2;
        }
        assert_eq!(shown, 12, "every column once, in order: {tables}");
        assert!(tables.find("number_<wbr>3 ").unwrap() < tables.find("number_<wbr>4 ").unwrap());
        // A table that fits stays one.
        let narrow = markdown_tables(&headers[..4], &[rows[0][..4].to_vec()], 2);
        assert_eq!(narrow.lines().count(), 3, "{narrow}");
    }

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
