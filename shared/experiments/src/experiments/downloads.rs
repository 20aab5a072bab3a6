//! `downloads`: the chapter's download manager. N pages, each slow to answer, fetched
//! concurrently, one task each: on an executor a handful of threads wait for all of them;
//! on runtime-threads every download holds an OS thread of its own.
//!
//! Thousands of downloads meet the OS's limits (a descriptor per connection, two with
//! the embedded site in the same process; a thread per task on runtime-threads). What
//! they need is known before they start: the limits are raised to it where the process
//! may, and a limit that still binds stops the run before its first download, with the
//! numbers. Failures that come anyway are counted by reason on the result's line, so a
//! load that fails always says why.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_lab_runtime::registry::PollsOn;

use super::{Lab, Measure, Outcome, millis};
use crate::fetch::with_tokio_reactor;
use crate::progress::{PeakMemory, Progress};
use crate::resources::{self, thousands};
use crate::runtime::Runtime;

const DESCRIPTOR_LIMIT: Measure = Measure::count(
    "descriptor_limit",
    "the soft limit on open descriptors the downloads ran under",
);
const PAGES: Measure = Measure::count("pages", "pages downloaded");
const BYTES: Measure = Measure::bytes("bytes", "the downloaded pages' bodies, in all");
const DOWNLOADS: Measure = Measure::ms(
    "downloads_ms",
    "from the first download's spawn to the last one's end",
);
const PEAK_RSS: Measure =
    Measure::kib("peak_rss_kib", "the process's peak resident memory (VmHWM)");

/// `downloads`' measurements.
pub(super) const MEASURES: &[Measure] = &[DESCRIPTOR_LIMIT, PAGES, BYTES, DOWNLOADS, PEAK_RSS];

/// Fetches every URL concurrently, one task each, with a progress bar on stderr.
pub async fn downloads<R: Runtime>(lab: &Lab<R>, urls: &[String]) -> Outcome {
    let n = urls.len() as u64;
    // Opened now: with every descriptor taken later, /proc could not be read any more.
    let memory = PeakMemory::open();
    let per_download = if lab.site.as_ref().is_some_and(|s| s.in_this_process()) {
        2
    } else {
        1
    };
    let thread_per_task = lab.capabilities().polls_on == PollsOn::ThreadPerTask;
    if let Err(limit) = resources::make_room_for_downloads(n, per_download, thread_per_task) {
        // Said before anything starts: run, the downloads past the limit would fail.
        let mut outcome = Outcome::default();
        outcome.fail(&limit);
        lab.out.line(format!(
            "downloaded none of {} pages: {limit}",
            thousands(n)
        ));
        return outcome;
    }
    if let Some(limit) = resources::descriptor_limit() {
        lab.out.set_measure(DESCRIPTOR_LIMIT, limit as f64);
    }
    // The parts that start on first use and hold descriptors of their own (async-io's
    // reactor, the compat bridge's tokio runtime) start now: started by a download, with
    // every descriptor taken, they would abort the process.
    lab.rt.sleep(Duration::from_millis(1)).await;
    with_tokio_reactor(async {}).await;
    let progress = Progress::new(n, "downloads", lab.out.is_echoing());
    let started = Instant::now();
    let handles: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let (fetcher, url, progress) = (lab.fetcher.clone(), url.clone(), progress.clone());
            lab.spawn(format!("download {}", i + 1), async move {
                let result = fetcher.fetch_html(&url).await;
                progress.advance();
                result.map(|(body, _)| body.len())
            })
        })
        .collect();
    let (mut pages, mut bytes) = (0, 0);
    let mut failed = Reasons::default();
    for handle in handles {
        match handle.await {
            Ok(Ok(size)) => {
                pages += 1;
                bytes += size;
            }
            Ok(Err(reason)) => failed.add(reason.to_string()),
            Err(task_error) => failed.add(task_error.to_string()),
        }
    }
    progress.finish();
    let took = started.elapsed();
    lab.out.line(format!(
        "downloaded {} of {} pages{}",
        thousands(pages),
        thousands(n),
        failed.summary()
    ));
    lab.out.set_measure(PAGES, pages as f64);
    lab.out.set_measure(BYTES, bytes as f64);
    lab.out.set_measure(DOWNLOADS, took.as_secs_f64() * 1000.0);
    match memory.peak_kib() {
        Some(kib) => {
            lab.out.set_measure(PEAK_RSS, kib as f64);
            lab.out.remark(format!(
                "{} pages in {} (one run), peak memory (VmHWM) {kib} KiB",
                thousands(pages),
                millis(took)
            ));
        }
        None => lab.out.remark(format!(
            "{} pages in {} (one run)",
            thousands(pages),
            millis(took)
        )),
    }
    let mut outcome = Outcome::default();
    for (reason, count) in failed.by_count() {
        outcome.fail(format!(
            "{} of {} downloads failed: {reason}",
            thousands(count),
            thousands(n)
        ));
    }
    outcome
}

/// Failures counted by reason: thousands of downloads that fail the same way are one
/// reason with a count, not thousands of lines.
#[derive(Debug, Default)]
struct Reasons {
    counts: BTreeMap<String, u64>,
}

impl Reasons {
    fn add(&mut self, reason: String) {
        *self.counts.entry(reason).or_default() += 1;
    }

    /// The reasons, the most frequent first (alphabetical among equals).
    fn by_count(&self) -> Vec<(&str, u64)> {
        let mut reasons: Vec<(&str, u64)> =
            self.counts.iter().map(|(r, n)| (r.as_str(), *n)).collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        reasons
    }

    /// `; 7 failed: too many open files (6), timed out after 10 s (1)`, or nothing.
    fn summary(&self) -> String {
        let total: u64 = self.counts.values().sum();
        if total == 0 {
            return String::new();
        }
        let reasons: Vec<String> = self
            .by_count()
            .iter()
            .map(|(reason, n)| format!("{reason} ({})", thousands(*n)))
            .collect();
        format!("; {} failed: {}", thousands(total), reasons.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_grouped_by_reason_most_frequent_first() {
        let mut reasons = Reasons::default();
        assert_eq!(reasons.summary(), "");
        reasons.add("timed out after 10 s".into());
        for _ in 0..6 {
            reasons.add("too many open files".into());
        }
        assert_eq!(
            reasons.summary(),
            "; 7 failed: too many open files (6), timed out after 10 s (1)"
        );
    }
}
