//! The renderers: the report drawn for people, as text for the terminal ([`text`]), as
//! timelines in text, SVG and HTML ([`timeline`]), and measurements as bar charts
//! ([`chart`]). They read [`crate::report`]'s data model and nothing reads them back. The
//! text report and the timelines live in `async-lab-runtime` (a book program's report
//! needs them too), re-exported here.

pub mod chart;

pub use async_lab_runtime::render::{TEXT_ROWS, more_rows, shorten, text, timeline};
