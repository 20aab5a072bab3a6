//! The report drawn for people: as text for the terminal ([`text`]), and as timelines in
//! text, SVG and HTML ([`timeline`]). They read [`crate::report`]'s data model and
//! nothing reads them back. (The lab's bar charts are `async_lab_experiments::render::chart`.)

pub mod text;
pub mod timeline;
use std::fmt::Write as _;

/// The most threads, tasks or timeline rows the text report lists; `--json` has them all,
/// so that a run with thousands of tasks does not drown its own output.
pub const TEXT_ROWS: usize = 24;

/// A character that must not reach an output as it is: control characters (C0, DEL,
/// C1), the line and paragraph separators, and the invisible ones that reorder or hide
/// text (bidirectional overrides and isolates, zero-width characters, the BOM). The text
/// outputs escape them, and so do the SVG and HTML ones.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// "… and N more", when a list was cut at [`TEXT_ROWS`].
pub fn more_rows(s: &mut String, total: usize, what: &str) {
    if total > TEXT_ROWS {
        let _ = writeln!(
            s,
            "  … and {} more {what} (--json lists them all)",
            total - TEXT_ROWS
        );
    }
}

/// `text` cut to `width` characters, keeping its end (`…` marks the cut).
pub fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let tail: String = text
            .chars()
            .rev()
            .take(width - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}
