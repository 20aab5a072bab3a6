//! What a book program needs from async-lab: the crate every runtime crate builds on.
//!
//! Every runtime crate's library root is a drop-in `trpl` built from this crate, so a
//! learner's program on `runtime-smol` compiles this, the runtime and the book's own
//! dependencies (reqwest, scraper, tokio, futures), and not the lab's command line,
//! experiments, embedded site or charts (those are `async-lab-experiments`, one floor up).
//! The thread report, its census and its text, SVG and trace renderers are here because
//! a book program's own report (`ASYNC_LAB_REPORT`, [`book_report`]) needs them; the
//! report's JSON form (feature `serde`) and the time-stamp-counter clock (feature `tsc`)
//! are built only for the lab. A learner's program needs the [`Executor`] trait;
//! the lab's [`Runtime`] trait on top of it and the [`registry`] carry what only the lab
//! asks of a runtime (its own spawn, its pool for blocking work, its capabilities), and are
//! here because each runtime crate implements and declares them. ARCHITECTURE.md, at the
//! repository's root, shows where this crate sits in a run.
//!
//! # Layout
//!
//! - [`executor`]: the [`Executor`] trait, what the `trpl` API needs of a runtime
//!   (`new`, `block_on`, `spawn`, `spawn_local`, `sleep`, `yield_now`, `read_to_string`,
//!   `notes`).
//! - [`runtime`]: the lab's [`Runtime`] trait on top of it (`spawn_blocking`,
//!   `spawn_raw`, `cap_blocking_pool`), and the [`JoinHandle`] of tasks that
//!   report through a channel.
//! - [`registry`]: the types, and the [`flavors!`] macro, with which each runtime crate
//!   declares its flavors and what each can do, as data.
//! - [`handle`]: each runtime's own join handle as [`Executor::Handle`]: awaiting gives a
//!   `Result`, dropping detaches.
//! - [`book_api`]: the `trpl` crate's API on any [`Executor`]; each runtime crate's root
//!   is a drop-in `trpl` through the [`trpl_api!`] macro.
//! - [`thread_bound`]: a `Send` handle to a future that is not, for a runtime whose tasks
//!   (and timers) never leave their thread.
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
pub mod executor;
pub mod file;
pub mod handle;
pub mod registry;
pub mod render;
pub mod report;
pub mod runtime;
pub mod thread_bound;
pub mod trace;

pub use executor::Executor;
pub use registry::Configuration;
pub use runtime::{JoinHandle, Runtime, TaskError, spawn};
