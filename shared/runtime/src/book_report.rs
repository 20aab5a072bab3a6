//! A book program's own thread report: a program on the trpl API of any runtime crate
//! (built without the lab) gets, at the end of each `block_on`,
//! - with `ASYNC_LAB_REPORT=1`, the thread report and the text timeline on stderr;
//! - with `ASYNC_LAB_TIMELINE=FILE.svg`, the timeline drawn as SVG into that file;
//! - with `ASYNC_LAB_TRACE=FILE.json`, every poll in the Chrome trace event format.
//!
//! Stdout never changes, and without the variables nothing is traced or sampled. The
//! variables are checked with the others ([`crate::env`]) before the runtime is built.

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use crate::census::Sampler;
use crate::executor::Executor;
use crate::report::Report;
use crate::{chrome_trace, render, trace};

/// What the program asked for.
struct Wanted {
    report: bool,
    timeline: Option<PathBuf>,
    trace: Option<PathBuf>,
}

/// What the variables ask for, read once; `None` when they ask for nothing.
fn wanted() -> Option<&'static Wanted> {
    static WANTED: OnceLock<Option<Wanted>> = OnceLock::new();
    WANTED
        .get_or_init(|| {
            let wanted = Wanted {
                report: crate::env::is_on("ASYNC_LAB_REPORT"),
                timeline: crate::env::output_file("ASYNC_LAB_TIMELINE"),
                trace: crate::env::output_file("ASYNC_LAB_TRACE"),
            };
            (wanted.report || wanted.timeline.is_some() || wanted.trace.is_some()).then_some(wanted)
        })
        .as_ref()
}

/// The census of the program's threads, started before its first runtime is built.
static SAMPLER: OnceLock<Sampler> = OnceLock::new();

/// Called before a runtime of the trpl API is built: starts the census when a report is
/// wanted, so the threads the runtime starts are seen.
pub(crate) fn before_runtime() {
    if wanted().is_some() {
        SAMPLER.get_or_init(Sampler::start);
    }
}

/// Called once the runtime is built.
pub(crate) fn runtime_built() {
    if let Some(sampler) = SAMPLER.get() {
        sampler.sample_built();
    }
}

/// One `block_on` being recorded: what its report needs from the start of the run.
pub(crate) struct Recording {
    wanted: &'static Wanted,
    sampler: &'static Sampler,
    started: Instant,
}

/// Starts recording a `block_on`, when the variables ask for a report (and the census was
/// started before the runtime); `None` otherwise.
pub(crate) fn start() -> Option<Recording> {
    let (Some(wanted), Some(sampler)) = (wanted(), SAMPLER.get()) else {
        return None;
    };
    // Each block_on reports its own tasks.
    trace::clear();
    trace::enable();
    Some(Recording {
        wanted,
        sampler,
        started: Instant::now(),
    })
}

impl Recording {
    /// `future` as the run's traced main task, with the thread list read as it starts
    /// and as it ends.
    pub(crate) fn main<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        let sampler = self.sampler;
        async move {
            sampler.sample();
            let output = trace::traced("main", future).await;
            sampler.sample();
            output
        }
    }

    /// Ends the recording once `block_on` on `rt` has returned, and gives the report the
    /// variables asked for.
    pub(crate) fn finish<R: Executor>(self, rt: &R) {
        let Recording {
            wanted,
            sampler,
            started,
        } = self;
        let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
        trace::disable();
        let census = sampler.census();
        let (threads, tasks) =
            Report::threads_from(&census, &trace::tasks(), R::THREAD_NAMES, started, wall_ms);
        let program = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "a book program".into());
        let report = Report {
            runtime: R::NAME.to_string(),
            flavor: rt.configuration().flavor.to_string(),
            experiment: program,
            lines: Vec::new(),
            ok: true,
            errors: Vec::new(),
            wall_ms,
            threads,
            tasks,
            futures: Report::futures_from(&trace::futures(), started),
            notes: rt.notes(),
            unsupported: Vec::new(),
            remarks: Vec::new(),
            parts: Vec::new(),
            measurements: Default::default(),
            spread: Default::default(),
            samples: Default::default(),
        };
        if wanted.report {
            // Not eprint!, which panics when stderr is closed.
            let _ = write!(std::io::stderr(), "\n{}", render::text::report(&report));
        }
        if let Some(path) = &wanted.timeline {
            let svg = render::timeline::svg(&report, render::timeline::axis_ms(&report));
            write("ASYNC_LAB_TIMELINE", path, &svg);
        }
        if let Some(path) = &wanted.trace {
            let pid = u64::from(std::process::id());
            write(
                "ASYNC_LAB_TRACE",
                path,
                &chrome_trace::document(&[(pid, &report)]),
            );
        }
    }
}

/// Writes `text` to `path` whole; a failure is one line on stderr (the program's own
/// output is done by now, and is not to be spoiled for a picture).
fn write(variable: &str, path: &std::path::Path, text: &str) {
    if let Err(e) = crate::file::write_whole(path, text.as_bytes()) {
        let _ = writeln!(
            std::io::stderr(),
            "{variable}: cannot write {}: {e}",
            path.display().to_string().escape_debug()
        );
    }
}
