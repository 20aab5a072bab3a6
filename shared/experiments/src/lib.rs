//! The lab around the runtimes: the chapter's experiments, the embedded site, the thread
//! report and the command line every `runtime-<rt>` binary shares.
//!
//! Every experiment is written once here, generic over the [`Runtime`] trait; each
//! `runtimes/<rt>` crate only says how its executor does the few things that trait asks
//! for. That way, when two runtimes print different things, the difference is the
//! runtime's and not the experiment's.
//!
//! What a book program needs (the trait, the `trpl` API, the tracing hooks) is one floor
//! down, in `async-lab-runtime` (`shared/runtime`), re-exported here as [`runtime`],
//! [`book_api`] and [`trace`]; a learner's program never builds this crate.
//!
//! # Layout
//!
//! - [`title`]: a page's title as a browser shows it: bytes decoded by the browser's
//!   charset rules, the first HTML `title` element, white space collapsed.
//! - [`fetch`]: HTTP through reqwest, on any executor (through `async-compat` off tokio),
//!   with a timeout, a body cap and one-line errors that name the reason.
//! - [`site`]: the embedded site, a real HTTP/1.1 server on 127.0.0.1 with tricky,
//!   slow and failing pages; tests and default runs use it, so nothing needs the internet.
//! - [`experiments`]: the chapter's programs (`page-title`, `race`, ...), generic over
//!   [`Runtime`], the list of them, and the measurements each declares.
//! - [`progress`]: the progress bar of long experiments, and peak memory.
//! - [`stats`]: a timing taken several times as a median and its confidence interval
//!   (order statistics), and when two of them can be told apart.
//! - [`resources`]: the OS limits a run meets (descriptors, threads): the soft
//!   descriptor limit raised at start, and a limit that still binds said up front.
//! - [`census`]: every OS thread of the process, with its name and role.
//! - [`report`]: the report of a run as data: threads, tasks, polls; its JSON form.
//! - [`render`]: the report drawn for people: the text report, and the timeline (one row
//!   per thread, time across) in the terminal, as SVG, and as one HTML page of several
//!   runs on the same time axis.
//! - [`cli`]: the command line every `runtime-<rt>` binary shares, and the same run inside
//!   another program's process (the tests'), where the process is not the point.
//! - [`output`]: output files, every one checked before the run and written whole
//!   (a temporary file renamed into place) after it.
//! - [`syscalls`]: `syscall-probe`, the hidden command whose system calls `bench`'s
//!   driver counts under strace: one kind of operation, N times, and nothing else.
//! - [`bounds`]: every number the command line takes, with its bounds and why.
//! - [`escape`]: text from outside (URLs, titles) made safe to print on one line.
//! - [`stdio`]: stdout and stderr without a panic: a closed stdout (`| head`) ends the
//!   program quietly.

#![forbid(unsafe_code)]

pub mod bounds;
pub mod census;
pub mod cli;
pub mod escape;
pub mod experiments;
pub mod fetch;
pub mod output;
pub mod progress;
pub mod render;
pub mod resources;
pub mod site;
pub mod stats;
pub mod stdio;
pub mod syscalls;
pub mod title;

#[cfg(test)]
mod title_properties;

pub use async_lab_runtime::{
    Executor, JoinHandle, Runtime, TaskError, book_api, chrome_trace, report, runtime, spawn, trace,
};
