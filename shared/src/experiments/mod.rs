//! The chapter's programs, written once and generic over [`Runtime`].
//!
//! Running one has two steps: [`Plan::new`] checks the command line's arguments (so that a
//! bad one is a usage error before any runtime starts) and fills in defaults from the
//! embedded site; [`Plan::run`] runs it inside the runtime's `block_on`.

mod page_title;
mod race;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::fetch::Fetcher;
use crate::runtime::Runtime;
use crate::site::{PAGES, Site};

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

/// Every experiment, in the order `list` prints them.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "page-title",
        usage: "[URL...]",
        shows: "17-1..17-4: fetch pages concurrently, one task each, and print each title (default: the embedded site's pages)",
    },
    Experiment {
        name: "race",
        usage: "[URL URL]",
        shows: "17-5: race two pages and print the one that answered first (default: a slow and a fast embedded page)",
    },
];

/// What every experiment gets: the runtime, where its lines go, and the run's settings.
#[derive(Clone)]
pub struct Lab<R: Runtime> {
    /// The runtime the experiment runs on.
    pub rt: R,
    /// Where the experiment's own lines go.
    pub out: Output,
    /// The HTTP client, with the run's timeout.
    pub fetcher: Fetcher,
    /// `--time-scale`: every sleep an experiment makes is multiplied by it.
    pub time_scale: f64,
}

impl<R: Runtime> Lab<R> {
    /// Sleeps on the runtime's own timer for `duration` times the run's time scale.
    pub async fn sleep(&self, duration: Duration) {
        self.rt.sleep(duration.mul_f64(self.time_scale)).await;
    }
}

/// The lines an experiment prints, collected for the report, and echoed to stdout as they
/// come unless the report is wanted as JSON.
#[derive(Clone, Debug)]
pub struct Output {
    lines: Arc<Mutex<Vec<String>>>,
    echo: bool,
}

impl Output {
    /// Collects lines; prints them to stdout too when `echo` is set.
    pub fn new(echo: bool) -> Output {
        Output {
            lines: Arc::default(),
            echo,
        }
    }

    /// Prints one line of the experiment's output.
    pub fn line(&self, line: impl Into<String>) {
        let line = line.into();
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        // Printed under the lock, so that the order on stdout is the order in `lines`.
        if self.echo {
            println!("{line}");
        }
        lines.push(line);
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// How an experiment went: the failures it met (a URL that failed, a task that panicked).
/// An experiment that behaved as designed and met none is `ok`.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// One line per failure.
    pub errors: Vec<String>,
}

/// An experiment with its arguments checked and its defaults filled in.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `page-title URL...`
    PageTitle(Vec<String>),
    /// `race URL URL`
    Race(String, String),
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
        match name {
            "page-title" if args.is_empty() => {
                let site = site()?;
                Ok(Plan::PageTitle(
                    PAGES.iter().map(|p| site.url(p.path)).collect(),
                ))
            }
            "page-title" => Ok(Plan::PageTitle(resolve(args, site)?)),
            "race" => match args {
                [] => {
                    let site = site()?;
                    // The slow page comes first, so a fair race cannot be won by position.
                    let slow_ms = (500.0 * time_scale).round() as u64;
                    Ok(Plan::Race(
                        site.url(&format!("/slow/{slow_ms}")),
                        site.url("/plain"),
                    ))
                }
                [_, _] => {
                    let urls = resolve(args, site)?;
                    Ok(Plan::Race(urls[0].clone(), urls[1].clone()))
                }
                _ => Err(format!("race takes two URLs (or none), not {}", args.len())),
            },
            other => Err(format!(
                "unknown experiment '{other}'; `list` names them all"
            )),
        }
    }

    /// The experiment's name.
    pub fn name(&self) -> &'static str {
        match self {
            Plan::PageTitle(_) => "page-title",
            Plan::Race(..) => "race",
        }
    }

    /// Runs the experiment on `lab`'s runtime. Call it inside `block_on`.
    pub async fn run<R: Runtime>(&self, lab: &Lab<R>) -> Outcome {
        match self {
            Plan::PageTitle(urls) => page_titles(lab, urls).await,
            Plan::Race(a, b) => race(lab, a, b).await,
        }
    }
}
