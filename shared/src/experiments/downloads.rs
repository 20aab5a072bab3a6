//! `downloads`: the chapter's download manager. N pages, each slow to answer, fetched
//! concurrently, one task each: on an executor a handful of threads wait for all of them;
//! on runtime-threads every download holds an OS thread of its own.

use std::time::Instant;

use super::{Lab, Outcome, millis};
use crate::progress::Progress;
use crate::runtime::Runtime;

/// Fetches every URL concurrently, one task each, with a progress bar on stderr.
pub async fn downloads<R: Runtime>(lab: &Lab<R>, urls: &[String]) -> Outcome {
    let progress = Progress::new(urls.len() as u64, "downloads", lab.out.is_echoing());
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
    let mut outcome = Outcome::default();
    let (mut pages, mut bytes) = (0, 0);
    for (url, handle) in urls.iter().zip(handles) {
        match handle.await {
            Ok(Ok(size)) => {
                pages += 1;
                bytes += size;
            }
            Ok(Err(reason)) => outcome.fail(format!("{url} failed: {reason}")),
            Err(task_error) => outcome.fail(format!("{url} failed: {task_error}")),
        }
    }
    progress.finish();
    let took = started.elapsed();
    lab.out
        .line(format!("downloaded {pages} of {} pages", urls.len()));
    lab.out.set_measure("pages", pages as f64);
    lab.out.set_measure("bytes", bytes as f64);
    lab.out
        .set_measure("downloads_ms", took.as_secs_f64() * 1000.0);
    if let Some(kib) = crate::progress::peak_rss_kib() {
        lab.out.set_measure("peak_rss_kib", kib as f64);
        lab.out.remark(format!(
            "{pages} pages in {}, peak memory (VmHWM) {kib} KiB",
            millis(took)
        ));
    } else {
        lab.out.remark(format!("{pages} pages in {}", millis(took)));
    }
    outcome
}
