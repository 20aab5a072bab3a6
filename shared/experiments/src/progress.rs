//! Progress for long experiments (`downloads`, `export`): one indicatif bar on stderr, drawn
//! only on a terminal and never in `--json` mode, so it cannot drown the output; and the
//! process's peak memory.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing when there is no one to show it to. Clones share the bar.
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` steps named `what`, visible when `visible` and stderr is a terminal.
    pub fn new(total: u64, what: &str, visible: bool) -> Progress {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress { bar }
    }

    /// One step done.
    pub fn advance(&self) {
        self.bar.inc(1);
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The process's peak resident memory (`VmHWM`), read from `/proc/self/status` through a
/// handle opened before the run: a run that used up every descriptor can still read it.
#[derive(Debug)]
pub struct PeakMemory {
    status: Option<File>,
}

impl PeakMemory {
    /// Opens `/proc/self/status` (Linux; elsewhere the peak is unknown).
    pub fn open() -> PeakMemory {
        PeakMemory {
            status: File::open("/proc/self/status").ok(),
        }
    }

    /// The peak so far, in KiB, where the OS tells it.
    pub fn peak_kib(&self) -> Option<u64> {
        // Read from the start each time: the kernel writes the file afresh for each read.
        let mut file = self.status.as_ref()?;
        file.seek(SeekFrom::Start(0)).ok()?;
        let mut status = String::new();
        file.read_to_string(&mut status).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}
