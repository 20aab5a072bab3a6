//! What every experiment gets ([`Lab`]): the runtime, where its lines go, the run's
//! settings, and a place for what it measured.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Measure;
use crate::book_api;
use crate::escape;
use crate::fetch::Fetcher;
use crate::runtime::Runtime;
use crate::site::Site;
use async_lab_runtime::registry::{Capabilities, Configuration};
use async_lab_runtime::report::Part;

/// The run's runtime and settings, cloned into every task that needs them.
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
    /// The embedded site, when the experiment needs it ([`Experiment::needs_site`]).
    ///
    /// [`Experiment::needs_site`]: super::Experiment::needs_site
    pub site: Option<Site>,
}

impl<R: Runtime> Lab<R> {
    /// What the run's configuration can do, as its runtime crate declares it.
    pub fn capabilities(&self) -> &'static Capabilities {
        &self.rt.configuration().capabilities
    }

    /// The embedded site.
    ///
    /// # Panics
    ///
    /// When the run started none: the command line starts it for every experiment whose
    /// `needs_site` is true, and only those call this.
    pub fn site(&self) -> &Site {
        self.site
            .as_ref()
            .expect("the command line starts the site for experiments that need it")
    }

    /// A command-line URL: one that starts with `/` is a page of the embedded site.
    pub fn resolve(&self, url: &str) -> String {
        if url.starts_with('/') {
            self.site().url(url)
        } else {
            url.to_string()
        }
    }

    /// `millis` milliseconds times the run's time scale, rounded.
    pub fn scaled_ms(&self, millis: u64) -> u64 {
        (millis as f64 * self.time_scale).round() as u64
    }

    /// `duration` times the run's time scale.
    pub fn scaled(&self, duration: Duration) -> Duration {
        duration.mul_f64(self.time_scale)
    }

    /// Sleeps on the runtime's own timer for `duration` times the run's time scale.
    pub async fn sleep(&self, duration: Duration) {
        self.rt.sleep(self.scaled(duration)).await;
    }

    /// Blocks the calling thread for `duration` times the time scale: listing 17-14's
    /// `slow`, the stand-in for work that never awaits.
    pub fn block_thread(&self, duration: Duration) {
        std::thread::sleep(self.scaled(duration));
    }

    /// Spawns `future` as a task named `name` (the thread report shows it). Like trpl's
    /// `spawn_task`, the task stops when the experiment's main future ends.
    pub fn spawn<F>(&self, name: impl Into<String>, future: F) -> book_api::JoinHandle<F::Output, R>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        book_api::spawn_named(&self.rt, name, future)
    }

    /// Runs a ticker every `period` (scaled) until `stop` resolves, and returns how late
    /// its latest tick came: how well the runtime kept a timer's rhythm meanwhile. A tick
    /// still due when `stop` resolves counts with its lateness so far.
    pub async fn ticker_lateness(
        &self,
        period: Duration,
        stop: impl Future<Output = ()>,
    ) -> Duration {
        let period = self.scaled(period);
        let state = Arc::new(Mutex::new(Ticks {
            worst: Duration::ZERO,
            waiting_since: None,
        }));
        let (rt, ticks) = (self.rt.clone(), state.clone());
        let (ticker, abort) = futures::future::abortable(async move {
            loop {
                let asked = Instant::now();
                ticks
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .waiting_since = Some(asked);
                rt.sleep(period).await;
                let mut t = ticks.lock().unwrap_or_else(PoisonError::into_inner);
                t.worst = t.worst.max(asked.elapsed().saturating_sub(period));
                t.waiting_since = None;
            }
        });
        drop(self.spawn("ticker", ticker));
        stop.await;
        abort.abort();
        let t = state.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = t.waiting_since.map_or(Duration::ZERO, |since| {
            since.elapsed().saturating_sub(period)
        });
        t.worst.max(pending)
    }
}

struct Ticks {
    worst: Duration,
    waiting_since: Option<Instant>,
}

/// The lines an experiment prints, collected for the report, and echoed to stdout as they
/// come unless the report is wanted as JSON; its remarks (stderr) and measurements.
#[derive(Clone, Debug)]
pub struct Output {
    inner: Arc<Mutex<Recorded>>,
    echo: bool,
    /// The measures the experiment declares: a debug build refuses any other.
    declared: &'static [Measure],
}

#[derive(Debug, Default)]
struct Recorded {
    lines: Vec<String>,
    remarks: Vec<String>,
    parts: Vec<Part>,
    measures: BTreeMap<String, f64>,
    spreads: BTreeMap<String, [f64; 2]>,
    samples: BTreeMap<String, Vec<f64>>,
}

impl Output {
    /// Collects lines; prints them too when `echo` is set. `declared` are the measures
    /// the experiment may record ([`Experiment::measures`]): in a debug build, recording
    /// another panics.
    ///
    /// [`Experiment::measures`]: super::Experiment::measures
    pub fn new(echo: bool, declared: &'static [Measure]) -> Output {
        Output {
            inner: Arc::default(),
            echo,
            declared,
        }
    }

    fn recorded(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Prints one line of the experiment's output, as the book prints it (stdout). Hidden
    /// characters (a line break, a terminal escape: see [`escape::inline`]) are escaped,
    /// so a line is always one line.
    pub fn line(&self, line: impl Into<String>) {
        let line = one_line(line.into());
        let mut recorded = self.recorded();
        // Printed under the lock, so that the order on stdout is the order in `lines`.
        if self.echo {
            crate::stdio::println(&line);
        }
        recorded.lines.push(line);
    }

    /// Prints a remark of the lab's own: what a part shows, or what it measured. Remarks
    /// go to stderr, so stdout stays exactly the book's output.
    pub fn remark(&self, remark: impl Into<String>) {
        let remark = one_line(remark.into());
        let mut recorded = self.recorded();
        if self.echo {
            crate::stdio::eprintln(format_args!("## {remark}"));
        }
        recorded.remarks.push(remark);
    }

    /// A remark that belongs among the lines: the title of a part of the experiment
    /// (`listing 17-9: one message`), or what happened at that point (`the loop was still
    /// waiting`). Printed as a remark, and marked in the report where it stands among the
    /// lines, so that every output of the run (the driver's table, the notes) says which
    /// listing each block of lines is.
    pub fn part(&self, title: impl Into<String>) {
        let title = one_line(title.into());
        let mut recorded = self.recorded();
        if self.echo {
            crate::stdio::eprintln(format_args!("## {title}"));
        }
        let line = recorded.lines.len();
        recorded.remarks.push(title.clone());
        recorded.parts.push(Part { line, title });
    }

    /// Every part so far.
    pub fn parts(&self) -> Vec<Part> {
        self.recorded().parts.clone()
    }

    /// The key of `measure`, one the experiment declared and no family (in a debug build,
    /// a panic otherwise).
    fn key(&self, measure: Measure) -> &'static str {
        self.check_declared(measure);
        debug_assert!(
            !measure.is_family(),
            "{} is a family: set_measure_at",
            measure.key
        );
        measure.key
    }

    fn check_declared(&self, measure: Measure) {
        debug_assert!(
            self.declared.contains(&measure),
            "{} is not among the experiment's measures (Experiment::measures)",
            measure.key
        );
    }

    /// Records a measurement for the report, under its key.
    pub fn set_measure(&self, measure: Measure, value: f64) {
        let key = self.key(measure).to_string();
        self.recorded().measures.insert(key, value);
    }

    /// Records the member for `at` of a family of measurements (a key with `{}`:
    /// `alive_after_{}s` at 15 is `alive_after_15s`).
    pub fn set_measure_at(&self, measure: Measure, at: impl Display, value: f64) {
        self.check_declared(measure);
        debug_assert!(measure.is_family(), "{} has no {{}}", measure.key);
        self.recorded().measures.insert(measure.key_at(at), value);
    }

    /// Records the smallest and largest value of a measurement taken several times (its
    /// median is the measurement itself).
    pub fn set_spread(&self, measure: Measure, min: f64, max: f64) {
        let key = self.key(measure).to_string();
        self.recorded().spreads.insert(key, [min, max]);
    }

    /// Records every value of a measurement taken several times, in the order taken.
    pub fn set_samples(&self, measure: Measure, values: Vec<f64>) {
        let key = self.key(measure).to_string();
        self.recorded().samples.insert(key, values);
    }

    /// A measurement recorded so far.
    pub fn measure(&self, measure: Measure) -> Option<f64> {
        self.recorded().measures.get(self.key(measure)).copied()
    }

    /// True when lines are printed as they come (not in `--json` mode).
    pub fn is_echoing(&self) -> bool {
        self.echo
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.recorded().lines.clone()
    }

    /// Every remark so far.
    pub fn remarks(&self) -> Vec<String> {
        self.recorded().remarks.clone()
    }

    /// Every measurement.
    pub fn measures(&self) -> BTreeMap<String, f64> {
        self.recorded().measures.clone()
    }

    /// Every measurement's spread, `[min, max]`, where it was taken several times.
    pub fn spreads(&self) -> BTreeMap<String, [f64; 2]> {
        self.recorded().spreads.clone()
    }

    /// Every value of each measurement taken several times.
    pub fn samples(&self) -> BTreeMap<String, Vec<f64>> {
        self.recorded().samples.clone()
    }
}

/// How an experiment went: the failures it met (a URL that failed, a task that panicked),
/// and the parts the runtime lacks. One that behaved as designed and met no failure is `ok`.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// One line per failure.
    pub errors: Vec<String>,
    /// The parts of the experiment this runtime cannot do, each named.
    pub unsupported: Vec<String>,
}

impl Outcome {
    /// Records a failure (on one line: see [`Output::line`]).
    pub fn fail(&mut self, line: impl Into<String>) {
        self.errors.push(one_line(line.into()));
    }

    /// Records that `configuration` has no `part` (`spawn_blocking`, say), and gives the
    /// line that says so: "spawn_blocking: not available on smol (local)".
    pub fn not_available(&mut self, part: &str, configuration: &Configuration) -> String {
        if !self.unsupported.iter().any(|p| p == part) {
            self.unsupported.push(part.to_string());
        }
        format!(
            "{part}: not available on {} ({})",
            configuration.runtime, configuration.flavor
        )
    }
}

/// `text`, its hidden characters escaped, without a copy when it has none.
fn one_line(text: String) -> String {
    match escape::inline(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// Milliseconds, for the book's durations.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A duration in milliseconds, with one decimal, as remarks print it.
pub fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECLARED: Measure = Measure::ms("declared_ms", "a declared measure");
    const FAMILY: Measure = Measure::count("after_{}s", "a declared family");
    const OTHER: Measure = Measure::count("other", "a measure nobody declared");

    #[test]
    fn a_measure_is_recorded_under_its_key_and_a_family_s_member_under_its_own() {
        let out = Output::new(false, &[DECLARED, FAMILY]);
        out.set_measure(DECLARED, 1.5);
        out.set_measure_at(FAMILY, 15.0, 3.0);
        out.set_spread(DECLARED, 1.0, 2.0);
        out.set_samples(DECLARED, vec![1.0, 1.5, 2.0]);
        assert_eq!(out.measure(DECLARED), Some(1.5));
        assert_eq!(
            out.measures(),
            BTreeMap::from([
                ("after_15s".to_string(), 3.0),
                ("declared_ms".to_string(), 1.5)
            ])
        );
        assert_eq!(out.spreads()["declared_ms"], [1.0, 2.0]);
        assert_eq!(out.samples()["declared_ms"], [1.0, 1.5, 2.0]);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "not among the experiment's measures")]
    fn a_debug_build_refuses_a_measure_the_experiment_did_not_declare() {
        Output::new(false, &[DECLARED]).set_measure(OTHER, 1.0);
    }
}
