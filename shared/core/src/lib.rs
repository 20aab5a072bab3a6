//! What a book program needs from async-lab, and nothing that only the lab needs.
//!
//! Every runtime crate's library root is a drop-in `trpl` built from this crate, so a
//! learner's program on `runtime-smol` compiles this, the runtime and the book's own
//! dependencies (reqwest, scraper, tokio, futures), and not the lab's command line,
//! embedded site, report or renderers (those are `async-lab-shared`, one floor up).
//!
//! # Layout
//!
//! - [`runtime`]: the [`Runtime`] trait (`block_on`, `spawn`, `sleep`, `yield_now`,
//!   `spawn_blocking`), and the [`JoinHandle`] of tasks that report through a channel.
//! - [`registry`]: every runtime configuration and what it can do, as data.
//! - [`handle`]: each runtime's own join handle as [`Runtime::Handle`]: awaiting gives a
//!   `Result`, dropping detaches.
//! - [`book_api`]: the `trpl` crate's API on any [`Runtime`]; each runtime crate's root
//!   is a drop-in `trpl` through the [`trpl_api!`] macro.
//! - [`trace`]: the per-poll wrapper that records which OS thread polled which task, and
//!   when; off, it costs a branch.
//! - [`book_report`]: a book program's own thread report, timeline and trace, asked for
//!   with `ASYNC_LAB_REPORT`, `ASYNC_LAB_TIMELINE` and `ASYNC_LAB_TRACE`.
//! - [`chrome_trace`]: a run in the Chrome trace event format (Perfetto).
//! - [`census`]: every OS thread of the process (read from the OS), each thread's id and
//!   the role a runtime marks its threads with.
//! - [`report`]: the report of a run as data: threads, tasks, futures, polls.
//! - [`render`]: the report drawn for people: the text report, the timelines (text, SVG,
//!   HTML).
//! - [`compat`]: reqwest's tokio reactor, on any executor.
//! - [`file`](mod@file): output files written whole (a temporary file renamed into place).
//! - [`env`](mod@env): the environment variables the lab and its runtimes read, each with the
//!   values it may take and why, checked before any runtime starts.

#![forbid(unsafe_code)]

pub mod book_api;
pub mod book_report;
pub mod census;
pub mod chrome_trace;
pub mod compat;
pub mod env;
pub mod file;
pub mod handle;
pub mod registry;
pub mod render;
pub mod report;
pub mod runtime;
pub mod trace;

pub use registry::Configuration;
pub use runtime::{JoinHandle, Runtime, TaskError, spawn};
