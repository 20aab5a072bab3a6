//! The chapter's programs, written once and generic over [`Runtime`].
//!
//! Each experiment is a variant of [`Experiment`], a clap subcommand whose arguments are
//! typed and checked before any runtime starts; [`Experiment::run`] runs it inside
//! trpl-style `block_on` (tasks it spawned stop when it ends, as in the book).
//!
//! Each experiment prints the book's lines to stdout exactly as the book prints them
//! ([`Output::line`]); what the lab adds (which part is which, what was measured) goes to
//! stderr as remarks ([`Output::remark`]) and into the report's `measurements`: each a
//! [`Measure`] its module declares at its top ([`Experiment::measures`] lists them).

mod bench;
mod block_in_place;
mod blocking;
mod blocking_pool;
mod busy_loop;
mod cancel;
mod channel;
mod downloads;
mod export;
mod fairness;
mod forgot_await;
mod lab;
mod lazy;
mod measure;
mod mutex;
mod nested;
mod no_reactor;
mod not_send;
mod page_title;
mod pinning;
mod poll_after_ready;
mod race;
mod raw;
mod scoped;
mod shutdown;
mod spawn;
mod streams;
mod thread_local;
mod waker;

use std::num::{NonZeroU64, NonZeroUsize};

use std::sync::OnceLock;

use clap::{Args, Subcommand};

use crate::bounds;
use crate::runtime::Runtime;
use crate::site::PAGES;

pub use bench::{Bench, Figure, Measurement};
pub use lab::{Lab, Outcome, Output, millis, ms};
pub use measure::{Measure, Unit};
pub use page_title::page_titles;
pub use race::race;

/// Every experiment, with its own arguments: the one definition that the command line,
/// `--help`, `list`, the driver and the notes generator all read. A variant's doc
/// comment is what `list` prints for it; its name, in kebab case, is what to type.
#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum Experiment {
    /// 17-1..17-4: fetch pages concurrently, one task each, and print each title (default: the embedded site's pages)
    PageTitle(PageTitle),
    /// 17-5: race two pages and print the one that answered first (default: a slow and a fast embedded page)
    Race(Race),
    /// 17-6: a spawned counting task beside the main one; it stops when main ends
    Spawn,
    /// 17-7: the same, awaiting the task's handle, so it counts to 9
    SpawnAwait,
    /// 17-8: two futures joined in one task; the futures crate's join polls them in a fixed order
    Join,
    /// 17-9..17-13: message passing; the loop that never ends (stopped by a deadline) and the async move one that does; two producers
    Channel,
    /// 17-14/17-15: work that blocks the thread starves the other future; and how long a timer waits beside a blocked task
    Blocking,
    /// 17-16/17-17: handing control back with a 1 ms sleep or yield_now; then (from the earlier edition) 1,000 of each, timed
    Yield,
    /// 17-18..17-20: a timeout built from select and sleep, beside the runtime's own timeout
    Timeout,
    /// 17-21/17-22: a stream from an iterator; then the earlier edition's filter, per-item timeout, interval, merge, throttle and take
    Streams,
    /// 17-23/17-24: a dynamic collection of futures with join_all; join! over different types
    JoinAll,
    /// 17-25: a plain OS thread feeding an async receiver, one message a second
    ThreadToAsync,
    /// the download manager: N slow pages fetched concurrently, one task each; wall time, threads, peak memory
    Downloads(Downloads),
    /// the video export: CPU-bound frames on the executor, on spawn_blocking and on a dedicated thread, beside a 10 ms ticker
    Export(Export),
    /// each runtime's own spawn when the task's handle is dropped: detached or cancelled
    DropHandle,
    /// each runtime's own spawn when the task panics: an error on await, the panic carried to the awaiting task, or the panic out of block_on
    Panic,
    /// what the runtime costs through its own API (spawn, yield, ping-pong, timer, fetch, memory a task), beside physical floors; use a release build
    Bench(Bench),
    /// pitfall: a task calls block_on (the runtime's own and the drop-in's): a panic, a blocked thread or it works; then .await and spawn_blocking
    NestedBlockOn,
    /// pitfall: a tokio timer and a reqwest request polled off tokio with no bridge (the panic), then inside async_compat (the thread it adds)
    NoReactor,
    /// pitfall: a task computes without awaiting beside a 10 ms ticker: where the ticker starves, and yield_now every N steps
    BusyLoop(BusyLoop),
    /// pitfall: an async call whose future is never awaited: nothing runs (the compiler warns); awaited, or spawned, it does
    ForgotAwait,
    /// pitfall: a std::sync::Mutex guard held across an .await while a task locks it: deadlock or stall; then tokio's, async-lock's and futures' mutexes
    MutexAcrossAwait,
    /// pitfall: a task holding an Rc across an .await is not Send: which local spawns take it (the compiler's refusal is in the notes)
    NotSend,
    /// 17.1: a future does nothing until polled (an async block left alone, awaited, dropped); spawn_task and thread::spawn start without being awaited
    Lazy,
    /// 17.5: a hand-written Future, a timer woken from its own thread: every poll with its result, every wake, and their threads
    Waker,
    /// 17-23/17-24: pin! against Box::pin, running, with each future's size; a pinned self-referential future does not move
    Pinning,
    /// 17.5: a future polled again after Ready: an async block panics, combinators and each runtime's handle do their own thing; Fuse returns Pending
    PollAfterReady,
    /// who wins when both sides are ready at once, over 1,000 races: trpl::select, futures::select!, tokio::select! and their biased forms; who a join polls first
    Fairness,
    /// cancellation safety: a batch read inside select loses the messages it held when dropped; one recv per select loses none
    Cancel,
    /// threads: N blocking jobs at once on the runtime's pool: the threads it starts, how jobs queue, which threads are left 1 s and 15 s later; then the pool capped
    BlockingPool(BlockingPool),
    /// threads: tokio's block_in_place against spawn_blocking beside a future joined in the same task: which stalls it; the panic on a current-thread runtime
    BlockInPlace,
    /// threads: a task nobody joined, a detached task, a blocking job and a timer when block_on returns and when the runtime is dropped; the drop inside async code
    Shutdown,
    /// threads: a spawned task that borrows a local needs 'static (the compiler's error is in the notes); join_all, a scoped executor or thread::scope, and Arc instead
    Scoped,
    /// threads: a thread_local! written before an .await and read after it: another task's value wherever tasks share a thread or move between threads; a task-local stays right
    ThreadLocal,
}

/// `page-title`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct PageTitle {
    /// The pages (default: every page of the embedded site); one that starts with `/` is a
    /// page of the embedded site (`/` lists them)
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
}

/// `race`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Race {
    /// The first page (default: an embedded page that answers after 500 ms, scaled)
    #[arg(value_name = "URL", requires = "url_b")]
    pub url_a: Option<String>,
    /// The second page (default: an embedded page that answers at once)
    #[arg(value_name = "URL")]
    pub url_b: Option<String>,
}

/// `downloads`' arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Downloads {
    /// How many pages to download, each by a task of its own
    #[arg(value_name = "N", default_value = "50", value_parser = bounds::parse::downloads)]
    pub n: NonZeroU64,
    /// How long each page takes to answer, in milliseconds (scaled by --time-scale)
    #[arg(value_name = "DELAY_MS", default_value_t = 200, value_parser = bounds::parse::delay_ms)]
    pub delay_ms: u64,
}

/// `export`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Export {
    /// How many frames to export, each way
    #[arg(value_name = "FRAMES", default_value = "8", value_parser = bounds::parse::frames)]
    pub frames: NonZeroU64,
    /// The CPU time each frame takes, in milliseconds (scaled by --time-scale)
    #[arg(value_name = "FRAME_MS", default_value = "50", value_parser = bounds::parse::frame_ms)]
    pub frame_ms: NonZeroU64,
}

/// `busy-loop`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct BusyLoop {
    /// How long the task computes without awaiting, in milliseconds of CPU time (not
    /// scaled: it is no sleep)
    #[arg(value_name = "BUSY_MS", default_value = "300")]
    pub busy_ms: NonZeroU64,
    /// In the second part, how many steps of the loop between two `yield_now`s
    #[arg(value_name = "YIELD_EVERY", default_value = "100")]
    pub yield_every: NonZeroU64,
}

/// `blocking-pool`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct BlockingPool {
    /// How many blocking jobs to start at once
    #[arg(value_name = "N", default_value = "64", value_parser = bounds::parse::blocking_jobs)]
    pub n: NonZeroU64,
    /// How long each job blocks its thread, in milliseconds (scaled by --time-scale)
    #[arg(value_name = "JOB_MS", default_value = "100", value_parser = bounds::parse::blocking_job_ms)]
    pub job_ms: NonZeroU64,
    /// The cap for the second part, set through the runtime's own setting
    #[arg(long, value_name = "C", default_value = "4", value_parser = bounds::parse::blocking_cap)]
    pub cap: NonZeroUsize,
    /// When to count the pool's threads after the last job ended, in seconds (not scaled:
    /// the pools' own waits are not)
    #[arg(long, value_name = "SECS,...", value_delimiter = ',', default_value = "1,15", value_parser = bounds::parse::linger_secs)]
    pub after: Vec<f64>,
}

impl Default for Experiment {
    /// `page-title` on the embedded site: what runs with no experiment named.
    fn default() -> Self {
        Experiment::PageTitle(PageTitle { urls: Vec::new() })
    }
}

impl Experiment {
    /// The experiment's name, as typed on the command line: clap names each subcommand
    /// after its variant, in kebab case (`NestedBlockOn` is `nested-block-on`), and so does
    /// this, from the same one definition, the variant.
    pub fn name(&self) -> &'static str {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        let names = NAMES.get_or_init(|| {
            list()
                .into_iter()
                .map(|(name, _)| &*Box::leak(name.into_boxed_str()))
                .collect()
        });
        let debug = format!("{self:?}");
        let variant = debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default();
        let mut kebab = String::new();
        for (i, c) in variant.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        }
        names
            .iter()
            .copied()
            .find(|name| *name == kebab)
            .unwrap_or("an experiment")
    }

    /// Whether the run needs the embedded site: no URL given, or a URL of the site's.
    pub fn needs_site(&self) -> bool {
        let on_site = |urls: &[&String]| urls.is_empty() || urls.iter().any(|u| u.starts_with('/'));
        match self {
            Experiment::PageTitle(PageTitle { urls }) => on_site(&urls.iter().collect::<Vec<_>>()),
            Experiment::Race(Race { url_a, url_b }) => {
                on_site(&url_a.iter().chain(url_b).collect::<Vec<_>>())
            }
            Experiment::Downloads(_) | Experiment::NoReactor => true,
            Experiment::Bench(bench) => bench.needs_site(),
            _ => false,
        }
    }

    /// Whether the experiment may run inside another program's process, beside other runs
    /// ([`cli::run_in_process`]). Not where what it prints depends on the process's thread
    /// census (`no-reactor`, `shutdown`, `blocking-pool`) or on a limit it sets or reads for
    /// the whole process (`blocking-pool`'s cap, `downloads`' descriptor limit, `bench`'s
    /// tracing); where it panics on purpose (`panic`, `nested-block-on`, `block-in-place`,
    /// `poll-after-ready`), since a panic goes through the process's hook; nor where it
    /// spawns with the runtime's own API (`drop-handle`, `panic`, `shutdown`,
    /// `poll-after-ready`): such a task is none of the run's scope, and may outlive the
    /// run (in a process of its own, the process ends first).
    ///
    /// [`cli::run_in_process`]: crate::cli::run_in_process
    pub fn runs_in_process(&self) -> bool {
        match self {
            Experiment::PageTitle(_)
            | Experiment::Race(_)
            | Experiment::Spawn
            | Experiment::SpawnAwait
            | Experiment::Join
            | Experiment::Channel
            | Experiment::Blocking
            | Experiment::Yield
            | Experiment::Timeout
            | Experiment::Streams
            | Experiment::JoinAll
            | Experiment::ThreadToAsync
            | Experiment::Export(_)
            | Experiment::BusyLoop(_)
            | Experiment::ForgotAwait
            | Experiment::MutexAcrossAwait
            | Experiment::NotSend
            | Experiment::Lazy
            | Experiment::Waker
            | Experiment::Pinning
            | Experiment::Fairness
            | Experiment::Cancel
            | Experiment::Scoped
            | Experiment::ThreadLocal => true,
            Experiment::Downloads(_)
            | Experiment::Bench(_)
            | Experiment::NoReactor
            | Experiment::BlockingPool(_)
            | Experiment::Shutdown
            | Experiment::DropHandle
            | Experiment::Panic
            | Experiment::NestedBlockOn
            | Experiment::PollAfterReady
            | Experiment::BlockInPlace => false,
        }
    }

    /// Checks what the experiment's arguments ask for in all, at `time_scale`, where each
    /// argument alone is in bounds but together they are not: `export 10000 10000` would
    /// compute for days. A one-line reason for a usage error.
    pub fn check(&self, time_scale: f64) -> Result<(), String> {
        if let Experiment::BlockingPool(args) = self {
            let (most, why) = bounds::BLOCKING_SECONDS;
            let rounds = args.n.get().div_ceil(args.cap.get() as u64);
            let seconds = rounds as f64 * args.job_ms.get() as f64 * time_scale / 1e3;
            if seconds > most {
                return Err(format!(
                    "blocking-pool {} {} --cap {} at --time-scale {time_scale} blocks for {seconds:.0} s ({rounds} rounds of jobs on the capped pool); the most is {most:.0} s: {why}",
                    args.n, args.job_ms, args.cap
                ));
            }
        }
        if let Experiment::Bench(args) = self {
            let (most, why) = bounds::BENCH_WORK;
            let work = args.scale * f64::from(2 * args.rounds);
            if work > most {
                return Err(format!(
                    "bench --scale {} --rounds {} asks for {work:.0} rounds of the default workload (--scale times {} rounds, each after a warm-up); the most is {most:.0}: {why}",
                    args.scale, args.rounds, args.rounds
                ));
            }
        }
        if let Experiment::Export(Export { frames, frame_ms }) = self {
            let (most, why) = bounds::EXPORT_CPU_SECONDS;
            let seconds = 3.0 * frames.get() as f64 * frame_ms.get() as f64 * time_scale / 1e3;
            if seconds > most {
                return Err(format!(
                    "export {frames} {frame_ms} at --time-scale {time_scale} asks for {seconds:.0} s of computation (three ways of {frames} frames of {frame_ms} ms); the most is {most:.0} s: {why}"
                ));
            }
        }
        Ok(())
    }

    /// What the experiment measures: every [`Measure`] it may record, each declared at the
    /// top of its module (a run records those its configuration can take).
    pub fn measures(&self) -> &'static [Measure] {
        match self {
            Experiment::Blocking => blocking::BLOCKING_MEASURES,
            Experiment::Yield => blocking::YIELD_MEASURES,
            Experiment::Timeout => blocking::TIMEOUT_MEASURES,
            Experiment::Downloads(_) => downloads::MEASURES,
            Experiment::Export(_) => export::MEASURES,
            Experiment::DropHandle => raw::DROP_HANDLE_MEASURES,
            Experiment::Bench(_) => bench::MEASURES,
            Experiment::BusyLoop(_) => busy_loop::MEASURES,
            Experiment::Waker => waker::MEASURES,
            Experiment::Pinning => pinning::MEASURES,
            Experiment::Fairness => fairness::MEASURES,
            Experiment::Cancel => cancel::MEASURES,
            Experiment::BlockingPool(_) => blocking_pool::MEASURES,
            Experiment::BlockInPlace => block_in_place::MEASURES,
            Experiment::Shutdown => shutdown::MEASURES,
            Experiment::ThreadLocal => thread_local::MEASURES,
            Experiment::PageTitle(_)
            | Experiment::Race(_)
            | Experiment::Spawn
            | Experiment::SpawnAwait
            | Experiment::Join
            | Experiment::Channel
            | Experiment::Streams
            | Experiment::JoinAll
            | Experiment::ThreadToAsync
            | Experiment::Panic
            | Experiment::NestedBlockOn
            | Experiment::NoReactor
            | Experiment::ForgotAwait
            | Experiment::MutexAcrossAwait
            | Experiment::NotSend
            | Experiment::Lazy
            | Experiment::PollAfterReady
            | Experiment::Scoped => &[],
        }
    }

    /// Runs the experiment on `lab`'s runtime. Call it inside `block_on`.
    pub async fn run<R: Runtime>(&self, lab: &Lab<R>) -> Outcome {
        match self {
            Experiment::PageTitle(PageTitle { urls }) => {
                let urls = if urls.is_empty() {
                    PAGES.iter().map(|p| lab.site().url(p.path)).collect()
                } else {
                    urls.iter().map(|u| lab.resolve(u)).collect::<Vec<_>>()
                };
                page_titles(lab, &urls).await
            }
            Experiment::Race(Race { url_a, url_b }) => {
                let (a, b) = match (url_a, url_b) {
                    (Some(a), Some(b)) => (lab.resolve(a), lab.resolve(b)),
                    // The slow page comes first, so a fair race cannot be won by position.
                    _ => (
                        lab.site().url(&format!("/slow/{}", lab.scaled_ms(500))),
                        lab.site().url("/plain"),
                    ),
                };
                race(lab, &a, &b).await
            }
            Experiment::Spawn => spawn::spawn(lab, false).await,
            Experiment::SpawnAwait => spawn::spawn(lab, true).await,
            Experiment::Join => spawn::join(lab).await,
            Experiment::Channel => channel::channel(lab).await,
            Experiment::Blocking => blocking::blocking(lab).await,
            Experiment::Yield => blocking::yielding(lab).await,
            Experiment::Timeout => blocking::timeout(lab).await,
            Experiment::Streams => streams::streams(lab).await,
            Experiment::JoinAll => channel::join_all(lab).await,
            Experiment::ThreadToAsync => channel::thread_to_async(lab).await,
            Experiment::Downloads(Downloads { n, delay_ms }) => {
                let url = lab
                    .site()
                    .url(&format!("/slow/{}", lab.scaled_ms(*delay_ms)));
                let urls = vec![url; n.get() as usize];
                downloads::downloads(lab, &urls).await
            }
            Experiment::Export(Export { frames, frame_ms }) => {
                export::export(lab, frames.get() as usize, frame_ms.get()).await
            }
            Experiment::DropHandle => raw::drop_handle(lab).await,
            Experiment::Panic => raw::panic(lab).await,
            Experiment::Bench(args) => bench::bench(lab, args).await,
            Experiment::NestedBlockOn => nested::nested_block_on(lab).await,
            Experiment::NoReactor => no_reactor::no_reactor(lab).await,
            Experiment::BusyLoop(args) => busy_loop::busy_loop(lab, args).await,
            Experiment::ForgotAwait => forgot_await::forgot_await(lab).await,
            Experiment::MutexAcrossAwait => mutex::mutex_across_await(lab).await,
            Experiment::NotSend => not_send::not_send(lab).await,
            Experiment::Lazy => lazy::lazy(lab).await,
            Experiment::Waker => waker::waker(lab).await,
            Experiment::Pinning => pinning::pinning(lab).await,
            Experiment::PollAfterReady => poll_after_ready::poll_after_ready(lab).await,
            Experiment::Fairness => fairness::fairness(lab).await,
            Experiment::Cancel => cancel::cancel(lab).await,
            Experiment::BlockingPool(args) => blocking_pool::blocking_pool(lab, args).await,
            Experiment::BlockInPlace => block_in_place::block_in_place(lab).await,
            Experiment::Shutdown => shutdown::shutdown(lab).await,
            Experiment::Scoped => scoped::scoped(lab).await,
            Experiment::ThreadLocal => thread_local::thread_local(lab).await,
        }
    }
}

/// Every experiment's name and what it shows, in the order `list` prints them, read from
/// [`Experiment`]'s definitions.
pub fn list() -> Vec<(String, String)> {
    Experiment::augment_subcommands(clap::Command::new("experiments"))
        .get_subcommands()
        .map(|c| {
            let about = c.get_about().map(ToString::to_string).unwrap_or_default();
            (c.get_name().to_string(), about)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::FromArgMatches as _;

    use super::*;

    /// Every experiment `list` names, parsed from the command line with its defaults, with
    /// the name it was typed with.
    fn every_experiment() -> Vec<(String, Experiment)> {
        list()
            .into_iter()
            .map(|(name, _)| {
                let command = Experiment::augment_subcommands(clap::Command::new("lab"));
                let matches = command
                    .try_get_matches_from(["lab", name.as_str()])
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let experiment = Experiment::from_arg_matches(&matches)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                (name, experiment)
            })
            .collect()
    }

    /// Every experiment `list` names, parsed from the command line with its defaults, gives
    /// back the name it was typed with.
    #[test]
    fn every_experiment_is_called_by_the_name_it_is_typed_with() {
        let experiments = every_experiment();
        assert_eq!(experiments.len(), 34);
        for (name, experiment) in experiments {
            assert_eq!(experiment.name(), name);
        }
        assert_eq!(Experiment::default().name(), "page-title");
    }

    /// Each experiment's measures (run nothing): their keys differ, and each key's last
    /// word names its unit as the report's readers will read it (the constructors check
    /// it at compile time; this checks the lists hold only what they made).
    #[test]
    fn every_experiment_s_measures_have_distinct_keys_that_name_their_units() {
        let mut measured = 0;
        for (name, experiment) in every_experiment() {
            let measures = experiment.measures();
            let mut keys = std::collections::BTreeSet::new();
            for measure in measures {
                assert!(keys.insert(measure.key), "{name}: {} twice", measure.key);
                assert_eq!(
                    Measure::check(measure.key, measure.unit),
                    Ok(()),
                    "{name}: {measure:?}"
                );
                if let Some(named) = Unit::named_by(measure.key) {
                    assert_eq!(named, measure.unit, "{name}: {}", measure.key);
                }
                assert!(
                    !measure.what.is_empty(),
                    "{name}: {} says nothing",
                    measure.key
                );
            }
            measured += usize::from(!measures.is_empty());
        }
        assert_eq!(measured, 16, "experiments that measure something");
    }

    /// `bench`'s measures are its figures', in the same order.
    #[test]
    fn bench_measures_its_figures() {
        let figures: Vec<Measure> = Figure::ALL.iter().map(|f| f.measure()).collect();
        assert_eq!(bench::MEASURES, figures.as_slice());
    }
}
