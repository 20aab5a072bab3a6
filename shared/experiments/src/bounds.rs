//! Every number the command line takes, each listed once with the values it may have and
//! why, and checked when the command line is read, before anything starts.
//!
//! Unchecked, absurd numbers abort, panic or hang: a worker count in the hundreds of
//! thousands spends a minute starting threads, then aborts; a duration too large for
//! `Duration` panics; a time scale of a billion sleeps for years. Out of bounds, each is
//! one line and exit status 2 (clap's "invalid value" line, with the reason), and
//! `--help` shows every bound.

use async_lab_runtime::env::{MAX_POOL_THREADS, POOL_THREADS_WHY};

/// A whole number from `min` to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    /// The argument's id (its field's name), and its subcommand's name, if any.
    pub arg: (&'static str, Option<&'static str>),
    /// The least.
    pub min: u64,
    /// The most.
    pub max: u64,
    /// Why these bounds.
    pub why: &'static str,
}

/// A number (with a fraction) from `min` to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Amount {
    /// The argument's id (its field's name), and its subcommand's name, if any.
    pub arg: (&'static str, Option<&'static str>),
    /// The least.
    pub min: f64,
    /// The most.
    pub max: f64,
    /// Why these bounds.
    pub why: &'static str,
}

/// `--workers N`.
pub const WORKERS: Count = Count {
    arg: ("workers", None),
    min: 1,
    max: MAX_POOL_THREADS,
    why: POOL_THREADS_WHY,
};

/// `--time-scale X`.
pub const TIME_SCALE: Amount = Amount {
    arg: ("time_scale", None),
    min: 0.001,
    max: 10.0,
    why: "the book's millisecond sleeps round to nothing below 0.001, and the slowest experiment (channel, 11 s at 1) would run for minutes above 10",
};

/// `--timeout SECS`.
pub const TIMEOUT: Amount = Amount {
    arg: ("timeout", None),
    min: 0.001,
    max: 3600.0,
    why: "a page that has not answered in an hour will not, and a longer wait is a hang",
};

/// `downloads N`.
pub const DOWNLOADS: Count = Count {
    arg: ("n", Some("downloads")),
    min: 1,
    max: 100_000,
    why: "each download holds a task and a connection (two descriptors with the embedded site in the same process); 100,000 is ten times the load CI runs",
};

/// `downloads N DELAY_MS`.
pub const DELAY_MS: Count = Count {
    arg: ("delay_ms", Some("downloads")),
    min: 0,
    max: 60_000,
    why: "the embedded site's slowest page waits a minute at most, six times the default --timeout",
};

/// `export FRAMES`.
pub const FRAMES: Count = Count {
    arg: ("frames", Some("export")),
    min: 1,
    max: 10_000,
    why: "every frame is a task, a blocking job and a loop step",
};

/// `export FRAMES FRAME_MS`.
pub const FRAME_MS: Count = Count {
    arg: ("frame_ms", Some("export")),
    min: 1,
    max: 10_000,
    why: "a frame is a slice of CPU time; ten seconds is already a long one",
};

/// `blocking-pool N`.
pub const BLOCKING_JOBS: Count = Count {
    arg: ("n", Some("blocking-pool")),
    min: 1,
    max: 2_000,
    why: "each job may hold a thread of its own (tokio's pool grows to 512, the blocking crate's to 500, a thread per task has no cap)",
};

/// `blocking-pool N JOB_MS`.
pub const BLOCKING_JOB_MS: Count = Count {
    arg: ("job_ms", Some("blocking-pool")),
    min: 1,
    max: 10_000,
    why: "a job is a blocked thread; ten seconds is already a long one",
};

/// `blocking-pool --cap C`.
pub const BLOCKING_CAP: Count = Count {
    arg: ("cap", Some("blocking-pool")),
    min: 1,
    max: 512,
    why: "a cap above tokio's default of 512 caps nothing",
};

/// `blocking-pool --after SECS,...`: each of them.
pub const LINGER_SECS: Amount = Amount {
    arg: ("after", Some("blocking-pool")),
    min: 0.0,
    max: 60.0,
    why: "tokio's idle threads wait 10 s, the blocking crate's forever: a minute tells both apart",
};

/// The most time, in seconds, that `blocking-pool`'s capped part may take (its jobs in
/// rounds of the cap, at the time scale), and why.
pub const BLOCKING_SECONDS: (f64, &str) = (
    600.0,
    "ten minutes of blocked threads is a hang, not an experiment",
);

/// The driver's `--deadline SECS`: how long one configuration's process may run.
pub const DEADLINE: Amount = Amount {
    arg: ("deadline", None),
    min: 1.0,
    max: 86_400.0,
    why: "a process needs a second to start, and one that has not ended in a day will not",
};

/// The driver's `--runs N`: how many times each configuration runs the experiment.
pub const RUNS: Count = Count {
    arg: ("runs", None),
    min: 1,
    max: 20,
    why: "a run is the least, and twenty already show a timing's range",
};

/// `bench --scale X`.
pub const BENCH_SCALE: Amount = Amount {
    arg: ("scale", Some("bench")),
    min: 0.0001,
    max: 10.0,
    why: "a smaller workload measures nothing, and a larger one runs for minutes",
};

/// `bench --rounds N`.
pub const BENCH_ROUNDS: Count = Count {
    arg: ("rounds", Some("bench")),
    min: 1,
    max: 100,
    why: "a median needs a round at least, and a hundred already give a steady one",
};

/// The most CPU time, in seconds, that `export` may ask for in all (three ways of
/// FRAMES × FRAME_MS, times the time scale), and why.
pub const EXPORT_CPU_SECONDS: (f64, &str) = (
    600.0,
    "ten minutes of computation is a hang, not an experiment",
);

/// The most work `bench` may ask for in all, in units of one round at `--scale 1`:
/// `--scale` times twice its rounds, as the driver runs them (each round in a process of
/// its own, after a warm-up round of its own), and why. The default is 16 units (8 rounds),
/// some 15 s per configuration in a release build.
pub const BENCH_WORK: (f64, &str) = (
    60.0,
    "nearly four times the default already runs for a minute per configuration; more is a hang, not a benchmark",
);

/// Every count, for `--help`.
pub const COUNTS: &[Count] = &[
    WORKERS,
    DOWNLOADS,
    DELAY_MS,
    FRAMES,
    FRAME_MS,
    BENCH_ROUNDS,
    RUNS,
    BLOCKING_JOBS,
    BLOCKING_JOB_MS,
    BLOCKING_CAP,
];

/// Every amount, for `--help`.
pub const AMOUNTS: &[Amount] = &[TIME_SCALE, TIMEOUT, DEADLINE, BENCH_SCALE, LINGER_SECS];

impl Count {
    /// Reads `text` as this count: the number, or why it is refused.
    pub fn parse(&self, text: &str) -> Result<u64, String> {
        let n: u64 = text
            .parse()
            .map_err(|_| format!("not a whole number from {} to {}", self.min, self.max))?;
        if n < self.min {
            Err(format!("less than {}: {}", self.min, self.why))
        } else if n > self.max {
            Err(format!("more than {}: {}", self.max, self.why))
        } else {
            Ok(n)
        }
    }

    fn range(&self) -> String {
        format!("{} to {}", self.min, self.max)
    }
}

impl Amount {
    /// Reads `text` as this amount: the number, or why it is refused.
    pub fn parse(&self, text: &str) -> Result<f64, String> {
        let x: f64 = text
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| format!("not a number from {} to {}", self.min, self.max))?;
        if x < self.min {
            Err(format!("less than {}: {}", self.min, self.why))
        } else if x > self.max {
            Err(format!("more than {}: {}", self.max, self.why))
        } else {
            Ok(x)
        }
    }

    fn range(&self) -> String {
        format!("{} to {}", self.min, self.max)
    }
}

/// Adds each bound to its argument's `--help`: "(1 to 1024)".
pub fn document(mut command: clap::Command) -> clap::Command {
    let bounds = COUNTS
        .iter()
        .map(|c| (c.arg, c.range()))
        .chain(AMOUNTS.iter().map(|a| (a.arg, a.range())));
    let has = |command: &clap::Command, id: &str| command.get_arguments().any(|a| a.get_id() == id);
    for ((id, subcommand), range) in bounds {
        let add = |arg: clap::Arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help} ({range})"))
        };
        command = match subcommand {
            None if !has(&command, id) => command,
            None => command.mut_arg(id, add),
            Some(name) => command.mut_subcommand(name, |s| s.mut_arg(id, add)),
        };
    }
    command
}

/// The values clap reads each numeric option with: the bound's own parser.
pub mod parse {
    use std::num::{NonZeroU64, NonZeroUsize};

    use super::*;

    fn non_zero(n: u64) -> Result<NonZeroU64, String> {
        NonZeroU64::new(n).ok_or_else(|| "must not be 0".to_string())
    }

    /// `--workers`.
    pub fn workers(text: &str) -> Result<NonZeroUsize, String> {
        let n = WORKERS.parse(text)?;
        usize::try_from(n)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| "must not be 0".to_string())
    }

    /// The driver's `--deadline`.
    pub fn deadline(text: &str) -> Result<f64, String> {
        DEADLINE.parse(text)
    }

    /// `--time-scale`.
    pub fn time_scale(text: &str) -> Result<f64, String> {
        TIME_SCALE.parse(text)
    }

    /// `--timeout`.
    pub fn timeout(text: &str) -> Result<f64, String> {
        TIMEOUT.parse(text)
    }

    /// `downloads N`.
    pub fn downloads(text: &str) -> Result<NonZeroU64, String> {
        non_zero(DOWNLOADS.parse(text)?)
    }

    /// `downloads N DELAY_MS`.
    pub fn delay_ms(text: &str) -> Result<u64, String> {
        DELAY_MS.parse(text)
    }

    /// `export FRAMES`.
    pub fn frames(text: &str) -> Result<NonZeroU64, String> {
        non_zero(FRAMES.parse(text)?)
    }

    /// `export FRAMES FRAME_MS`.
    pub fn frame_ms(text: &str) -> Result<NonZeroU64, String> {
        non_zero(FRAME_MS.parse(text)?)
    }

    /// `blocking-pool N`.
    pub fn blocking_jobs(text: &str) -> Result<NonZeroU64, String> {
        non_zero(BLOCKING_JOBS.parse(text)?)
    }

    /// `blocking-pool N JOB_MS`.
    pub fn blocking_job_ms(text: &str) -> Result<NonZeroU64, String> {
        non_zero(BLOCKING_JOB_MS.parse(text)?)
    }

    /// `blocking-pool --cap`.
    pub fn blocking_cap(text: &str) -> Result<NonZeroUsize, String> {
        let n = BLOCKING_CAP.parse(text)?;
        usize::try_from(n)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| "must not be 0".to_string())
    }

    /// `blocking-pool --after`: one of its values.
    pub fn linger_secs(text: &str) -> Result<f64, String> {
        LINGER_SECS.parse(text)
    }

    /// `bench --scale`.
    pub fn bench_scale(text: &str) -> Result<f64, String> {
        BENCH_SCALE.parse(text)
    }

    /// The driver's `--runs`.
    pub fn runs(text: &str) -> Result<u32, String> {
        let n = RUNS.parse(text)?;
        u32::try_from(n).map_err(|_| format!("more than {}", RUNS.max))
    }

    /// `bench --rounds`.
    pub fn bench_rounds(text: &str) -> Result<u32, String> {
        let n = BENCH_ROUNDS.parse(text)?;
        u32::try_from(n).map_err(|_| format!("more than {}", BENCH_ROUNDS.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_bounds_say_why() {
        assert_eq!(WORKERS.parse("4"), Ok(4));
        assert_eq!(
            WORKERS.parse("300000"),
            Err(format!("more than 1024: {POOL_THREADS_WHY}"))
        );
        assert!(WORKERS.parse("0").unwrap_err().starts_with("less than 1: "));
        assert!(
            WORKERS
                .parse("-3")
                .unwrap_err()
                .starts_with("not a whole number")
        );
        for huge in ["1e300", "inf", "NaN", "-1", "0", "11"] {
            assert!(TIME_SCALE.parse(huge).is_err(), "{huge}");
        }
        assert_eq!(TIMEOUT.parse("0.5"), Ok(0.5));
        assert!(TIMEOUT.parse("1e20").is_err());
    }
}
