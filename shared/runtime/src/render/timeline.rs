//! The timeline of a run: one row per OS thread, time across, each task where it ran.
//!
//! This is the book's Figures 17-1 and 17-2 drawn from a real run: on a current-thread
//! executor one row switches between tasks (concurrency); on a pool several rows are busy
//! at once (parallelism). Three forms, all drawn from a [`Report`] alone (so the driver
//! can draw its children's runs from their JSON):
//! - [`text`]: a few dozen columns for the terminal, a letter per task;
//! - [`svg`]: a picture with a labelled time axis, one colour per task and a legend;
//! - [`html_page`]: several runs' pictures one above the other, on the same time axis.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{TEXT_ROWS, more_rows, shorten};
use crate::report::{Report, SpanReport, ThreadReport};

/// How many columns of time the terminal timeline has: with the row labels, a row fits
/// in 80 columns.
pub const TEXT_COLUMNS: usize = 52;

/// The time axis of `report`, in ms: its wall time, or longer when a task was still
/// polled after the main future ended.
pub fn axis_ms(report: &Report) -> f64 {
    report
        .tasks
        .iter()
        .flat_map(|t| t.spans.iter())
        .map(|s| s.end_us / 1e3)
        .fold(report.wall_ms, f64::max)
        .max(0.001)
}

/// The letter that stands for task `index` in the terminal timeline.
pub fn letter(index: usize) -> char {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    LETTERS.get(index).map_or('+', |b| char::from(*b))
}

/// Every span of the run as (task index, span).
fn spans(report: &Report) -> impl Iterator<Item = (usize, &SpanReport)> {
    report
        .tasks
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.spans.iter().map(move |s| (i, s)))
}

/// Adds `span`'s time to the cells it covers, under `key`, with `cell_us` a cell.
fn fill(cells: &mut [BTreeMap<usize, f64>], key: usize, span: &SpanReport, cell_us: f64) {
    let columns = cells.len();
    let (start, end) = (span.start_us.max(0.0), span.end_us.max(0.0));
    let first = ((start / cell_us) as usize).min(columns - 1);
    // A poll that ends right on a cell's edge does not spill into the next cell.
    let last = (((end / cell_us).ceil() as usize).saturating_sub(1)).clamp(first, columns - 1);
    for (c, cell) in cells.iter_mut().enumerate().take(last + 1).skip(first) {
        let overlap = end.min((c + 1) as f64 * cell_us) - start.max(c as f64 * cell_us);
        // Even a poll far shorter than a cell shows: that is where the task ran.
        *cell.entry(key).or_default() += overlap.max(1e-3);
    }
}

/// A row of cells as text: the letter of the task that ran longest in each, `·` where none.
fn row_text(cells: &[BTreeMap<usize, f64>]) -> String {
    cells
        .iter()
        .map(|cell| {
            cell.iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or('·', |(task, _)| letter(*task))
        })
        .collect()
}

/// The futures traced inside tasks, as (future index, task index), grouped by task in
/// the tasks' order; futures no traced task polled are left out.
fn futures_by_task(report: &Report) -> Vec<(usize, usize)> {
    let mut futures: Vec<(usize, usize)> = report
        .futures
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.task.filter(|t| *t < report.tasks.len()).map(|t| (i, t)))
        .collect();
    futures.sort_by_key(|&(i, task)| (task, i));
    futures
}

/// The terminal timeline, `columns` wide: in each cell, the letter of the task that ran
/// longest there on that thread, `·` where the thread polled nothing. Then, when tasks
/// awaited several futures at once (`join`, `select`), a row per future under its task's
/// letter, with that letter where the future was polled: the futures' turns inside one
/// task.
pub fn text(report: &Report, columns: usize) -> String {
    let axis_us = axis_ms(report) * 1e3;
    let cell_us = axis_us / columns as f64;
    // For each thread row, for each cell, the time each task ran in it.
    let mut rows: BTreeMap<u64, Vec<BTreeMap<usize, f64>>> = BTreeMap::new();
    for (task, span) in spans(report) {
        let cells = rows
            .entry(span.tid)
            .or_insert_with(|| vec![BTreeMap::new(); columns]);
        fill(cells, task, span, cell_us);
    }
    let label = |tid: u64| format!("{} [{tid}]", report.thread_name(tid));
    let width = report
        .threads
        .list
        .iter()
        .map(|t| label(t.tid).chars().count())
        .max()
        .unwrap_or(0)
        .min(23);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "timeline (one row per thread, 0 to {:.1} ms, {:.2} ms a column; a letter per task, · idle, blank where the thread was not alive):",
        axis_us / 1e3,
        cell_us / 1e3
    );
    for thread in report.threads.list.iter().take(TEXT_ROWS) {
        let row: String = match rows.get(&thread.tid) {
            Some(cells) => row_text(cells),
            None => "·".repeat(columns),
        };
        let row = blank_outside_lifetime(&row, thread, cell_us);
        let _ = writeln!(
            s,
            "  {:<width$} |{row}|",
            shorten(&label(thread.tid), width)
        );
    }
    more_rows(&mut s, report.threads.list.len(), "threads");
    let futures = futures_by_task(report);
    if !futures.is_empty() {
        let _ = writeln!(
            s,
            "futures inside a task (a row per future, its task's letter where it was polled):"
        );
        let width = width.max(15);
        for &(i, task) in futures.iter().take(TEXT_ROWS) {
            let future = &report.futures[i];
            let mut cells = vec![BTreeMap::new(); columns];
            for span in &future.spans {
                fill(&mut cells, task, span, cell_us);
            }
            let name = format!("{} › {}", letter(task), future.name);
            let _ = writeln!(
                s,
                "  {:<width$} |{}|",
                shorten_start(&name, width),
                row_text(&cells)
            );
        }
        more_rows(&mut s, futures.len(), "futures");
    }
    s.push_str(&legend(report));
    s
}

/// When the census saw `thread` alive, in µs from the start of the run, where it knows.
fn lifetime_us(thread: &ThreadReport) -> Option<(f64, f64)> {
    Some((thread.first_seen_ms? * 1e3, thread.last_seen_ms? * 1e3))
}

/// `row` with a blank in each cell that lies wholly outside the time the census saw the
/// thread alive (before it started, after it ended): a pool's threads come and go.
fn blank_outside_lifetime(row: &str, thread: &ThreadReport, cell_us: f64) -> String {
    let Some((first, last)) = lifetime_us(thread) else {
        return row.to_string();
    };
    row.chars()
        .enumerate()
        .map(|(i, c)| {
            let (start, end) = (i as f64 * cell_us, (i + 1) as f64 * cell_us);
            if c == '·' && (end <= first || start > last) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `text` cut to `width` characters, keeping its start (`…` marks the cut).
fn shorten_start(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let head: String = text.chars().take(width - 1).collect();
        format!("{head}…")
    }
}

/// `A main  B page-title …/plain ...`, wrapped to about 80 columns.
fn legend(report: &Report) -> String {
    let mut s = String::new();
    let mut line = String::from(" ");
    for (i, task) in report.tasks.iter().enumerate() {
        if letter(i) == '+' || i == TEXT_ROWS {
            let _ = write!(line, "  + {} more", report.tasks.len() - i);
            break;
        }
        let entry = format!(
            "  {} {:<36}",
            letter(i),
            shorten(&local_pages(&task.name), 36)
        );
        if line.chars().count() + entry.trim_end().chars().count() > 80 && line.len() > 1 {
            let _ = writeln!(s, "{}", line.trim_end());
            line = String::from(" ");
        }
        line.push_str(&entry);
    }
    if line.len() > 1 {
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// `name` with the embedded site's `http://127.0.0.1:PORT` left out of its URLs, as the
/// user typed them (`/plain`), so the legend shows what tells tasks apart.
fn local_pages(name: &str) -> String {
    name.split(' ')
        .map(|word| {
            word.strip_prefix("http://127.0.0.1:")
                .and_then(|rest| rest.split_once('/'))
                .filter(|(port, _)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
                .map_or(word.to_string(), |(_, path)| format!("/{path}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes text for XML and HTML, in text and in attribute values. A character that XML
/// does not allow (most controls, U+FFFE, U+FFFF), that HTML calls a parse error (the
/// other controls and the noncharacters), or that would reorder or hide the text around
/// it ([`super::is_hidden`]) is written as `\u{…}`, as the terminal output does, so the
/// picture stays well-formed whatever a title or a URL holds.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c if super::is_hidden(c) || is_noncharacter(c) => {
                let _ = write!(s, "\\u{{{:x}}}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s
}

/// Unicode's noncharacters: U+FDD0 to U+FDEF, and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let c = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&c) || c & 0xFFFE == 0xFFFE
}

/// Task `index`'s colour: ten well-told-apart colours, then hues around the wheel.
pub fn colour(index: usize) -> String {
    const PALETTE: [&str; 10] = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
        "#9c755f", "#bab0ac",
    ];
    match PALETTE.get(index) {
        Some(c) => (*c).to_string(),
        None => format!("hsl({}, 60%, 50%)", (index * 137) % 360),
    }
}

/// A round step for about `ticks` ticks over `axis` (1, 2 or 5 times a power of ten).
fn tick_step(axis: f64, ticks: f64) -> f64 {
    let raw = axis / ticks;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The picture's width: the content column of the notes (mdBook's, 750 px), so that a
/// browser shows it at its own scale and its text at the sizes below, never smaller.
pub const WIDTH: f64 = 750.0;
const LABEL: f64 = 190.0;
/// Room on the right for half the last tick's label, which is centred on its tick.
const RIGHT: f64 = 30.0;
const PLOT: f64 = WIDTH - LABEL - RIGHT;
const ROW: f64 = 30.0;
const TOP: f64 = 56.0;
/// The text's sizes, in px: every label, and the smaller second line of a row (a thread's
/// role); both stay readable (11 px or more) at the picture's own width.
const TEXT: f64 = 12.0;
const SMALL_TEXT: f64 = 11.0;
/// The narrowest a poll is drawn, in px: a poll of a few microseconds still shows as a
/// mark, not a hairline. Polls of one task closer than this are drawn as one.
pub const MIN_POLL: f64 = 2.0;
/// How many characters of a name fit beside a row: a thread's (Linux's are at most 15),
/// with its tid after it; a future's; and in a legend line, a task's.
const THREAD_NAME: usize = 16;
const ROW_NAME: usize = 24;
const LEGEND_NAME: usize = 64;
/// The most rows of futures a picture draws, and the most tasks its legend names (the
/// text report's limit): a picture with more says how many more, and `--json` lists them.
const SVG_FUTURES: usize = 24;
const SVG_TASKS: usize = 24;

/// The run's timeline as an SVG document, with `axis_ms` of time across (pass
/// [`axis_ms`] of the report, or a common one to draw several runs on one scale).
///
/// Each thread is a `<g class="thread" data-tid="…">` row, then each future inside a task
/// a `<g class="future" data-task="…">` row (its polls in its task's colour); each poll a
/// rectangle at least [`MIN_POLL`] px wide (polls closer than that are one bar, of
/// whichever tasks, in the colour of the task busiest in it, so a million polls still
/// make a small file), with a tooltip naming each task in it. The picture is [`WIDTH`]
/// px wide, its text 11 px or larger.
pub fn svg(report: &Report, axis_ms: f64) -> String {
    let axis_us = axis_ms.max(0.001) * 1e3;
    let x = |us: f64| LABEL + (us.max(0.0) / axis_us).min(1.0) * PLOT;
    let futures = futures_by_task(report);
    let shown = futures.len().min(SVG_FUTURES);
    let thread_rows = report.threads.list.len() as f64;
    let rows = thread_rows + shown as f64 + f64::from(u8::from(shown < futures.len()));
    let legend_top = TOP + rows * ROW + 24.0;
    let legend = report.tasks.len().min(SVG_TASKS);
    let legend_lines = legend + usize::from(legend < report.tasks.len());
    let height = legend_top + legend_lines as f64 * 18.0 + 10.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="{TEXT}">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{} ({}), {}: {:.1} ms wall</text>"#,
        escape(&report.runtime),
        escape(&report.flavor),
        escape(&report.experiment),
        report.wall_ms
    );
    // One background behind every row (a rectangle a row would cost a line of the file
    // for each of a pool's threads).
    let _ = writeln!(
        s,
        r##"<rect x="{LABEL}" y="{TOP}" width="{PLOT}" height="{:.1}" fill="#fafafa"/>"##,
        rows * ROW
    );
    s.push_str(&axis(axis_ms, TOP + rows * ROW));
    for (row, thread) in report.threads.list.iter().enumerate() {
        let y = TOP + row as f64 * ROW;
        let _ = writeln!(
            s,
            r##"<g class="thread" data-tid="{}"><text x="10" y="{:.1}">{} [{}]</text><text x="10" y="{:.1}" font-size="{SMALL_TEXT}" fill="#555">{}</text>"##,
            thread.tid,
            y + 13.0,
            escape(&shorten_start(&thread.name, THREAD_NAME)),
            thread.tid,
            y + 25.0,
            escape(thread.role.label()),
        );
        // Where the census saw the thread alive, a darker band: a pool growing and
        // shrinking shows as bands that start and end.
        if let Some((first, last)) = lifetime_us(thread) {
            let (x0, x1) = (x(first), x(last));
            let _ = writeln!(
                s,
                r##"<rect class="alive" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#e4e4e4"><title>alive {:.1}..{:.1} ms</title></rect>"##,
                y + 4.0,
                (x1 - x0).max(1.0),
                ROW - 8.0,
                first / 1e3,
                last / 1e3
            );
        }
        for bar in bars(report, thread.tid, axis_us / PLOT * MIN_POLL) {
            let (x0, x1) = (x(bar.start), x(bar.end));
            let _ = writeln!(
                s,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                y + 4.0,
                (x1 - x0).max(MIN_POLL),
                ROW - 8.0,
                colour(bar.task()),
                bar.title(report)
            );
        }
        s.push_str("</g>\n");
    }
    // A row per future inside a task, under the threads, in its task's colour.
    for (row, &(i, task)) in futures.iter().take(shown).enumerate() {
        let future = &report.futures[i];
        let y = TOP + (thread_rows + row as f64) * ROW;
        let _ = writeln!(
            s,
            r##"<g class="future" data-task="{task}"><text x="10" y="{:.1}">{}</text><text x="10" y="{:.1}" font-size="{SMALL_TEXT}" fill="#555">a future in {}</text>"##,
            y + 13.0,
            escape(&shorten_start(&future.name, ROW_NAME)),
            y + 25.0,
            escape(&shorten(
                &local_pages(&report.tasks[task].name),
                ROW_NAME - 12
            )),
        );
        for (start, end) in merged(
            future.spans.iter().map(|s| (s.start_us, s.end_us)),
            axis_us / PLOT * MIN_POLL,
        ) {
            let (x0, x1) = (x(start), x(end));
            let _ = writeln!(
                s,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {:.3}..{:.3} ms</title></rect>"#,
                y + 8.0,
                (x1 - x0).max(MIN_POLL),
                ROW - 16.0,
                colour(task),
                escape(&future.name),
                start / 1e3,
                end / 1e3
            );
        }
        s.push_str("</g>\n");
    }
    if shown < futures.len() {
        let y = TOP + (thread_rows + shown as f64) * ROW;
        let _ = writeln!(
            s,
            r#"<text x="10" y="{:.1}">… and {} more futures (--json lists them all)</text>"#,
            y + 13.0,
            futures.len() - shown
        );
    }
    for (i, task) in report.tasks.iter().enumerate().take(legend) {
        let y = legend_top + i as f64 * 18.0;
        let _ = writeln!(
            s,
            r#"<g class="task"><rect x="10" y="{:.1}" width="12" height="12" fill="{}"/><text x="28" y="{:.1}">{} ({} polls, {:.2} ms busy)</text></g>"#,
            y - 10.0,
            colour(i),
            y,
            escape(&shorten(&local_pages(&task.name), LEGEND_NAME)),
            task.polls,
            task.busy_ms
        );
    }
    if legend < report.tasks.len() {
        let _ = writeln!(
            s,
            r#"<text x="10" y="{:.1}">… and {} more tasks (--json lists them all)</text>"#,
            legend_top + legend as f64 * 18.0,
            report.tasks.len() - legend
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The time axis above the rows, with round ticks and grid lines down to `bottom`.
fn axis(axis_ms: f64, bottom: f64) -> String {
    let mut s = String::new();
    let step = tick_step(axis_ms, 8.0);
    let y = TOP - 6.0;
    let _ = writeln!(
        s,
        "<line x1=\"{LABEL}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#000\"/>",
        LABEL + PLOT
    );
    let mut t = 0.0;
    while t <= axis_ms * 1.0001 {
        let x = LABEL + t / axis_ms * PLOT;
        let _ = writeln!(
            s,
            "<line x1=\"{x:.2}\" y1=\"{}\" x2=\"{x:.2}\" y2=\"{bottom}\" stroke=\"#ddd\"/><text x=\"{x:.2}\" y=\"{}\" text-anchor=\"middle\">{} ms</text>",
            y,
            y - 6.0,
            round_label(t)
        );
        t += step;
    }
    s
}

/// `t` with as few decimals as it needs.
fn round_label(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A bar of a thread's row: polls less than `gap_us` apart, of whichever tasks, drawn as
/// one (at the picture's resolution they are one mark), in the colour of the task that
/// was busiest in it.
struct Bar {
    start: f64,
    end: f64,
    /// (task, polls, busy µs) of every task polled in the bar, in the order first seen.
    tasks: Vec<(usize, usize, f64)>,
}

impl Bar {
    /// The task that was busiest in the bar.
    fn task(&self) -> usize {
        self.tasks
            .iter()
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map_or(0, |t| t.0)
    }

    /// What the bar's tooltip says: each task's polls and busy time, then the bar's span.
    fn title(&self, report: &Report) -> String {
        let tasks: Vec<String> = self
            .tasks
            .iter()
            .map(|&(task, polls, busy)| match polls {
                1 => escape(&report.tasks[task].name),
                n => format!(
                    "{} ({n} polls, {:.3} ms busy)",
                    escape(&report.tasks[task].name),
                    busy / 1e3
                ),
            })
            .collect();
        format!(
            "{}: {:.3}..{:.3} ms",
            tasks.join(", "),
            self.start / 1e3,
            self.end / 1e3
        )
    }
}

/// The polls on thread `tid` as bars, in time order: polls less than `gap_us` apart are
/// one bar, so that the picture's size follows its width, not the number of polls.
fn bars(report: &Report, tid: u64, gap_us: f64) -> Vec<Bar> {
    let mut mine: Vec<(usize, f64, f64)> = spans(report)
        .filter(|(_, s)| s.tid == tid)
        .map(|(task, s)| (task, s.start_us, s.end_us))
        .collect();
    mine.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut bars: Vec<Bar> = Vec::new();
    for (task, start, end) in mine {
        let busy = (end - start).max(0.0);
        match bars.last_mut() {
            Some(bar) if start - bar.end < gap_us => {
                bar.end = bar.end.max(end);
                match bar.tasks.iter_mut().find(|t| t.0 == task) {
                    Some(t) => {
                        t.1 += 1;
                        t.2 += busy;
                    }
                    None => bar.tasks.push((task, 1, busy)),
                }
            }
            _ => bars.push(Bar {
                start,
                end,
                tasks: vec![(task, 1, busy)],
            }),
        }
    }
    bars
}

/// Polls (start µs, end µs), in time order, with those less than `gap_us` apart merged.
fn merged(polls: impl Iterator<Item = (f64, f64)>, gap_us: f64) -> Vec<(f64, f64)> {
    let mut polls: Vec<(f64, f64)> = polls.collect();
    polls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (start, end) in polls {
        match merged.last_mut() {
            Some(last) if start - last.1 < gap_us => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// One HTML page with every report's timeline, one above the other, on the same time
/// axis (the longest run's), so runs can be compared at a glance.
pub fn html_page(title: &str, reports: &[Report]) -> String {
    let axis = reports.iter().map(axis_ms).fold(0.001, f64::max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif\">\n<h1>{}</h1>\n<p>One row per OS thread, time across (0 to {:.1} ms on every picture), one colour per task; under the threads, a row per future inside a task (joined or raced), in its task's colour. One busy row switching between tasks is concurrency; several busy rows at once are parallelism.</p>",
        escape(title),
        escape(title),
        axis
    );
    for report in reports {
        let _ = writeln!(s, "<section>\n{}</section>", svg(report, axis));
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::census::Role;
    use crate::report::{TaskReport, ThreadReport, Threads};

    fn thread(tid: u64, name: &str, role: Role) -> ThreadReport {
        ThreadReport {
            tid,
            name: name.into(),
            role,
            first_seen_ms: Some(0.0),
            last_seen_ms: Some(10.0),
            polls: 0,
            tasks_polled: 0,
            busy_ms: 0.0,
            busy_share: 0.0,
        }
    }

    fn task(name: &str, spans: &[(u64, f64, f64)]) -> TaskReport {
        TaskReport {
            name: name.into(),
            polls: spans.len() as u64,
            threads: Vec::new(),
            migrations: 0,
            busy_ms: 0.0,
            first_poll_delay_ms: None,
            spans: spans
                .iter()
                .map(|&(tid, start_us, end_us)| SpanReport {
                    tid,
                    start_us,
                    end_us,
                })
                .collect(),
        }
    }

    /// Two threads (one idle), two tasks: one that ran early on thread 1, one late on 2.
    fn report() -> Report {
        Report {
            runtime: "rt <&>".into(),
            flavor: "f".into(),
            experiment: "x".into(),
            lines: Vec::new(),
            ok: true,
            errors: Vec::new(),
            wall_ms: 10.0,
            threads: Threads {
                census_available: true,
                peak: 3,
                list: vec![
                    thread(1, "main", Role::Main),
                    thread(2, "w\"1'", Role::Worker),
                    thread(3, "io", Role::Reactor),
                ],
                at_start: vec![1],
                at_built: vec![1],
                at_peak: vec![1, 2, 3],
                at_end: vec![1, 2, 3],
            },
            tasks: vec![
                task("main", &[(1, 0.0, 1000.0)]),
                task(
                    "page-title http://127.0.0.1:8080/a?b=1&c=<2>",
                    &[(2, 9000.0, 9500.0), (2, 9505.0, 9700.0)],
                ),
            ],
            futures: Vec::new(),
            notes: Vec::new(),
            unsupported: Vec::new(),
            remarks: Vec::new(),
            parts: Vec::new(),
            measurements: Default::default(),
            spread: Default::default(),
            samples: Default::default(),
        }
    }

    #[test]
    fn text_timeline_puts_each_task_where_and_when_it_ran() {
        let text = text(&report(), 10);
        let rows: Vec<&str> = text.lines().filter(|l| l.ends_with('|')).collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(rows[0].ends_with("|A·········|"), "{text}");
        assert!(rows[1].ends_with("|·········B|"), "{text}");
        assert!(rows[2].ends_with("|··········|"), "{text}");
        assert!(text.contains("B page-title /a?b=1&c=<2>"), "{text}");
    }

    #[test]
    fn a_thread_that_comes_and_goes_is_blank_outside_its_life() {
        let mut report = report();
        // The reactor started at 3 ms and was last seen at 5.5 ms.
        report.threads.list[2].first_seen_ms = Some(3.0);
        report.threads.list[2].last_seen_ms = Some(5.5);
        let text = text(&report, 10);
        let rows: Vec<&str> = text.lines().filter(|l| l.ends_with('|')).collect();
        assert!(rows[2].ends_with("|   ···    |"), "{text}");
        // A thread the census never timed keeps its whole row.
        report.threads.list[2].first_seen_ms = None;
        let text = super::text(&report, 10);
        assert!(text.contains("|··········|"), "{text}");
        let svg = svg(&report, 10.0);
        assert_eq!(svg.matches(r#"class="alive""#).count(), 2, "{svg}");
    }

    #[test]
    fn svg_is_xml_with_a_row_per_thread_whatever_the_names() {
        let svg = svg(&report(), 20.0);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let rows: Vec<&str> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("thread"))
            .filter_map(|n| n.attribute("data-tid"))
            .collect();
        assert_eq!(rows, ["1", "2", "3"]);
        // The two close polls of task B are one rectangle; main's one poll is another.
        let polls = doc
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .filter(|n| n.parent().and_then(|p| p.attribute("class")) != Some("alive"))
            .count();
        assert_eq!(polls, 2, "{svg}");
        assert!(
            svg.contains(">20 ms</text>"),
            "the axis runs to the given end: {svg}"
        );
    }

    /// The font size in effect at `node`: its own, or its nearest ancestor's.
    fn font_size(node: roxmltree::Node) -> f64 {
        node.ancestors()
            .find_map(|n| n.attribute("font-size"))
            .and_then(|size| size.parse().ok())
            .expect("every text has a font size")
    }

    #[test]
    fn svg_is_as_wide_as_the_column_with_readable_text_and_visible_polls() {
        let mut report = report();
        // A poll of 1 µs in a 10 s run: a thousandth of a pixel, drawn MIN_POLL wide.
        report.wall_ms = 10_000.0;
        report.tasks[1].spans.push(SpanReport {
            tid: 3,
            start_us: 5_000_000.0,
            end_us: 5_000_001.0,
        });
        report.tasks[1].name = format!("page-title {}", "/long".repeat(40));
        let svg = svg(&report, 10_000.0);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("750"));
        assert_eq!(
            root.attribute("viewBox"),
            Some(&*format!("0 0 750 {}", root.attribute("height").unwrap()))
        );
        let texts: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .collect();
        assert!(texts.len() > 5);
        for text in &texts {
            assert!(
                font_size(*text) >= 11.0,
                "{:?} is smaller than 11 px",
                text.text()
            );
        }
        let widths: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.children().any(|c| c.has_tag_name("title")))
            .filter(|n| n.attribute("class") != Some("alive"))
            .map(|n| n.attribute("width").unwrap().parse().unwrap())
            .collect();
        assert_eq!(widths.len(), 3, "{svg}");
        assert!(widths.iter().all(|w| *w >= MIN_POLL), "{widths:?}");
        // The long task name is cut to what fits a legend line.
        let legend = texts
            .iter()
            .filter_map(|t| t.text())
            .find(|t| t.contains("/long"))
            .unwrap();
        assert!(legend.chars().count() < 100, "{legend}");
    }

    #[test]
    fn polls_closer_than_a_pixel_are_one_bar_that_names_every_task_in_it() {
        // Two tasks taking turns on one thread, a poll every 10 µs for 100 ms: on a
        // 100 ms axis a pixel is more than 100 µs, so the row is one bar.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for i in 0..10_000 {
            let start = f64::from(i) * 10.0;
            let poll = (1, start, start + 4.0);
            if i % 2 == 0 {
                a.push(poll)
            } else {
                b.push(poll)
            }
        }
        // The first task's polls are longer: it was the busiest, and the bar is its colour.
        let a: Vec<(u64, f64, f64)> = a.into_iter().map(|(t, s, e)| (t, s, e + 2.0)).collect();
        let mut report = report();
        report.tasks = vec![task("first", &a), task("second", &b)];
        let svg = svg(&report, 100.0);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let bars: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .filter(|n| n.children().any(|c| c.has_tag_name("title")))
            .filter(|n| n.attribute("class") != Some("alive"))
            .collect();
        assert_eq!(bars.len(), 1, "{svg}");
        let title = bars[0]
            .children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or("");
        assert!(
            title.starts_with("first (5000 polls, 30.000 ms busy), second (5000 polls, 20.000 ms busy): 0.000..99.994 ms"),
            "{title}"
        );
        assert_eq!(bars[0].attribute("fill"), Some(colour(0).as_str()));
        // A far smaller file than a rectangle per poll.
        assert!(svg.len() < 5_000, "{} bytes", svg.len());
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(10.0, 8.0), 2.0);
        assert_eq!(tick_step(3.5, 8.0), 0.5);
        assert_eq!(tick_step(700.0, 8.0), 100.0);
        assert_eq!(round_label(0.5), "0.5");
        assert_eq!(round_label(20.0), "20");
    }
}
