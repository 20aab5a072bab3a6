//! The chapter's programs, written once and generic over [`Runtime`].
//!
//! Running one has two steps: [`Plan::new`] checks the command line's arguments (so that a
//! bad one is a usage error before any runtime starts) and fills in defaults from the
//! embedded site; [`Plan::run`] runs it inside trpl-style `block_on` (tasks it spawned
//! stop when it ends, as in the book).
//!
//! Each experiment prints the book's lines to stdout exactly as the book prints them
//! ([`Output::line`]); what the lab adds (which part is which, what was measured) goes to
//! stderr as remarks ([`Output::remark`]) and into the report's `measurements`.

mod blocking;
mod channel;
mod downloads;
mod export;
mod lab;
mod page_title;
mod race;
mod raw;
mod spawn;
mod streams;

use crate::runtime::Runtime;
use crate::site::{PAGES, Site};

pub use lab::{Lab, Outcome, Output, millis, ms};
pub use page_title::page_titles;
pub use race::race;

/// One experiment: its name on the command line and what it shows.
#[derive(Debug, Clone, Copy)]
pub struct Experiment {
    /// The name to type.
    pub name: &'static str,
    /// Its arguments, as `--help` shows them.
    pub usage: &'static str,
    /// One line on what it shows.
    pub shows: &'static str,
}

const fn experiment(name: &'static str, usage: &'static str, shows: &'static str) -> Experiment {
    Experiment { name, usage, shows }
}

/// Every experiment, in the order `list` prints them.
pub const EXPERIMENTS: &[Experiment] = &[
    experiment(
        "page-title",
        "[URL...]",
        "17-1..17-4: fetch pages concurrently, one task each, and print each title (default: the embedded site's pages)",
    ),
    experiment(
        "race",
        "[URL URL]",
        "17-5: race two pages and print the one that answered first (default: a slow and a fast embedded page)",
    ),
    experiment(
        "spawn",
        "",
        "17-6: a spawned counting task beside the main one; it stops when main ends",
    ),
    experiment(
        "spawn-await",
        "",
        "17-7: the same, awaiting the task's handle, so it counts to 9",
    ),
    experiment(
        "join",
        "",
        "17-8: two futures joined; join is fair and its order fixed",
    ),
    experiment(
        "channel",
        "",
        "17-9..17-13: message passing; the loop that never ends (stopped by a deadline) and the async move one that does; two producers",
    ),
    experiment(
        "blocking",
        "",
        "17-14/17-15: work that blocks the thread starves the other future; and how long a timer waits beside a blocked task",
    ),
    experiment(
        "yield",
        "",
        "17-16/17-17: handing control back with a 1 ms sleep or yield_now; then 1,000 of each, timed",
    ),
    experiment(
        "timeout",
        "",
        "17-18..17-20: a timeout built from select and sleep, beside the runtime's own timeout",
    ),
    experiment(
        "streams",
        "",
        "17-21..: streams from iterators, filter, a per-item timeout, interval ticks, merge, throttle, take",
    ),
    experiment(
        "join-all",
        "",
        "17-23/17-24: a dynamic collection of futures with join_all; join! over different types",
    ),
    experiment(
        "thread-to-async",
        "",
        "17-25: a plain OS thread feeding an async receiver, one message a second",
    ),
    experiment(
        "downloads",
        "[N [DELAY_MS]]",
        "the download manager: N pages (default 50) that each take DELAY_MS (default 200) to answer, fetched concurrently, one task each",
    ),
    experiment(
        "export",
        "[FRAMES [FRAME_MS]]",
        "the video export: CPU-bound frames run on the executor, on spawn_blocking and on a dedicated thread, while a ticker tries to keep its rhythm",
    ),
    experiment(
        "drop-handle",
        "",
        "each runtime's own spawn when the task's handle is dropped: detached or cancelled",
    ),
    experiment(
        "panic",
        "",
        "each runtime's own spawn when the task panics: an error on await, or the panic carried to the awaiting task",
    ),
];

/// An experiment with its arguments checked and its defaults filled in.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `page-title URL...`
    PageTitle(Vec<String>),
    /// `race URL URL`
    Race(String, String),
    /// An experiment that takes no arguments, by name.
    Plain(&'static str),
    /// `downloads`: the URLs to fetch.
    Downloads(Vec<String>),
    /// `export FRAMES FRAME_MS`
    Export {
        /// How many frames.
        frames: usize,
        /// The CPU time each takes, in milliseconds (scaled).
        frame_ms: u64,
    },
}

impl Plan {
    /// Checks `args` for experiment `name`. `site` gives the embedded site when the plan
    /// needs it (no URL given, or a URL that starts with `/`); it is only called then.
    pub fn new(
        name: &str,
        args: &[String],
        time_scale: f64,
        site: &mut dyn FnMut() -> Result<Site, String>,
    ) -> Result<Plan, String> {
        let resolve = |args: &[String], site: &mut dyn FnMut() -> Result<Site, String>| {
            if args.iter().any(|a| a.starts_with('/')) {
                let site = site()?;
                Ok::<_, String>(args.iter().map(|a| site.resolve(a)).collect::<Vec<_>>())
            } else {
                Ok(args.to_vec())
            }
        };
        let experiment = EXPERIMENTS
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| format!("unknown experiment '{name}'; `list` names them all"))?;
        match (experiment.name, args) {
            ("page-title", []) => {
                let site = site()?;
                Ok(Plan::PageTitle(
                    PAGES.iter().map(|p| site.url(p.path)).collect(),
                ))
            }
            ("page-title", _) => Ok(Plan::PageTitle(resolve(args, site)?)),
            ("race", []) => {
                let site = site()?;
                // The slow page comes first, so a fair race cannot be won by position.
                let slow_ms = (500.0 * time_scale).round() as u64;
                Ok(Plan::Race(
                    site.url(&format!("/slow/{slow_ms}")),
                    site.url("/plain"),
                ))
            }
            ("race", [_, _]) => {
                let urls = resolve(args, site)?;
                Ok(Plan::Race(urls[0].clone(), urls[1].clone()))
            }
            ("race", _) => Err(format!("race takes two URLs (or none), not {}", args.len())),
            ("downloads", _) => {
                let n = number(args.first(), 50, "downloads N")?;
                let delay_ms = number(args.get(1), 200, "downloads N DELAY_MS")?;
                too_many(args, 2, "downloads")?;
                let site = site()?;
                let delay = (delay_ms as f64 * time_scale).round() as u64;
                Ok(Plan::Downloads(
                    (0..n)
                        .map(|_| site.url(&format!("/slow/{delay}")))
                        .collect(),
                ))
            }
            ("export", _) => {
                let frames = number(args.first(), 8, "export FRAMES")?;
                let frame_ms = number(args.get(1), 50, "export FRAMES FRAME_MS")?;
                too_many(args, 2, "export")?;
                Ok(Plan::Export {
                    frames: frames as usize,
                    frame_ms,
                })
            }
            (_, []) => Ok(Plan::Plain(experiment.name)),
            (name, _) => Err(format!("{name} takes no arguments")),
        }
    }

    /// The experiment's name.
    pub fn name(&self) -> &'static str {
        match self {
            Plan::PageTitle(_) => "page-title",
            Plan::Race(..) => "race",
            Plan::Plain(name) => name,
            Plan::Downloads(_) => "downloads",
            Plan::Export { .. } => "export",
        }
    }

    /// Runs the experiment on `lab`'s runtime. Call it inside `block_on`.
    pub async fn run<R: Runtime>(&self, lab: &Lab<R>) -> Outcome {
        match self {
            Plan::PageTitle(urls) => page_titles(lab, urls).await,
            Plan::Race(a, b) => race(lab, a, b).await,
            Plan::Downloads(urls) => downloads::downloads(lab, urls).await,
            Plan::Export { frames, frame_ms } => export::export(lab, *frames, *frame_ms).await,
            Plan::Plain("spawn") => spawn::spawn(lab, false).await,
            Plan::Plain("spawn-await") => spawn::spawn(lab, true).await,
            Plan::Plain("join") => spawn::join(lab).await,
            Plan::Plain("channel") => channel::channel(lab).await,
            Plan::Plain("blocking") => blocking::blocking(lab).await,
            Plan::Plain("yield") => blocking::yielding(lab).await,
            Plan::Plain("timeout") => blocking::timeout(lab).await,
            Plan::Plain("streams") => streams::streams(lab).await,
            Plan::Plain("join-all") => channel::join_all(lab).await,
            Plan::Plain("thread-to-async") => channel::thread_to_async(lab).await,
            Plan::Plain("drop-handle") => raw::drop_handle(lab).await,
            Plan::Plain("panic") => raw::panic(lab).await,
            Plan::Plain(other) => {
                let mut outcome = Outcome::default();
                outcome.fail(format!("no experiment '{other}'"));
                outcome
            }
        }
    }
}

fn number(arg: Option<&String>, default: u64, usage: &str) -> Result<u64, String> {
    match arg {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{usage}: '{text}' is not a positive whole number")),
    }
}

fn too_many(args: &[String], most: usize, name: &str) -> Result<(), String> {
    if args.len() > most {
        Err(format!(
            "{name} takes at most {most} arguments, not {}",
            args.len()
        ))
    } else {
        Ok(())
    }
}
