//! The environment variables async-lab and its runtimes read, each listed once with the
//! values it may take and why: the lab's own in [`VARIABLES`], each runtime's in its
//! crate (`Executor::VARIABLES`); all checked by [`check`] before any runtime starts.
//!
//! The runtimes trust their variables blindly: a thread count of 0 can start no executor
//! thread, so no task ever runs and the run waits for good (`--timeout` bounds requests,
//! not tasks that never start); a count that is not a number can panic; a count in the
//! hundreds of thousands spends a minute starting threads, then aborts; reqwest skips a
//! proxy URL it cannot read without a word. Checked first, each of these is one line and
//! exit status 2, as a bad option is.

use std::ffi::OsString;
use std::fmt;
use std::io;

use crate::executor::Executor;
use crate::registry::{self, Configuration, Flavor};

/// The most threads a pool may be asked for, by `--workers` or by a runtime's variable.
pub const MAX_POOL_THREADS: u64 = 1024;

/// Why [`MAX_POOL_THREADS`] is the most.
pub const POOL_THREADS_WHY: &str =
    "a pool wants about one thread per core; more threads only cost memory and start-up time";

/// One environment variable: who reads it, what it may hold, and why.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    /// Its name, then its other spellings that the same reader accepts (`http_proxy`).
    pub names: &'static [&'static str],
    /// Who reads it.
    pub read_by: &'static str,
    /// The values it may hold.
    pub takes: Takes,
    /// Why those values and no others.
    pub why: &'static str,
}

/// The values a variable may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A whole number from `min` to `max`.
    Count {
        /// The least.
        min: u64,
        /// The most.
        max: u64,
    },
    /// A flavor of the runtime crate in use (only a program on the trpl API reads it).
    Flavor,
    /// A proxy's URL, `http://` or `https://` (`HOST:PORT` alone means `http://`), or
    /// nothing (empty: no proxy).
    ProxyUrl,
    /// `1` (on) or `0` (off): only a program on the trpl API reads it.
    Switch,
    /// The path of a file to write, ending in this extension, in a folder that exists:
    /// only a program on the trpl API reads it.
    OutputFile(&'static str),
    /// Nothing: the variable must not be set.
    Unset,
    /// Any text.
    Anything,
}

impl fmt::Display for Takes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Takes::Count { min, max } => write!(f, "a whole number from {min} to {max}"),
            Takes::Flavor => f.write_str("a flavor of the runtime crate"),
            Takes::ProxyUrl => f.write_str("an http:// or https:// URL with a host, or nothing"),
            Takes::Switch => f.write_str("1 (on) or 0 (off)"),
            Takes::OutputFile(extension) => write!(
                f,
                "the path of a .{extension} file, in a folder that exists"
            ),
            Takes::Unset => f.write_str("nothing: it must not be set"),
            Takes::Anything => f.write_str("any text"),
        }
    }
}

/// What a variable that sizes a pool of threads may hold: 1 to [`MAX_POOL_THREADS`].
pub const POOL: Takes = Takes::Count {
    min: 1,
    max: MAX_POOL_THREADS,
};

const PROXY_WHY: &str = "reqwest skips a proxy it cannot read, or a socks one (a feature this build leaves out), and connects directly without a word; the embedded site, on loopback, is always reached directly";

/// Every variable the lab reads whatever the runtime, each once (each runtime crate lists
/// its own: `Executor::VARIABLES`).
pub const VARIABLES: &[Variable] = &[
    Variable {
        names: &["ASYNC_LAB_FLAVOR"],
        read_by: "the trpl API of every runtime crate (the runtime-<rt> binaries take --flavor)",
        takes: Takes::Flavor,
        why: "a run on another configuration than the one asked for would make every comparison wrong",
    },
    Variable {
        names: &["ASYNC_LAB_REPORT"],
        read_by: "the trpl API of every runtime crate: 1 prints the thread report and the timeline to stderr at the end of each block_on (the runtime-<rt> binaries always report)",
        takes: Takes::Switch,
        why: "any other value would leave it unclear whether the report was asked for",
    },
    Variable {
        names: &["ASYNC_LAB_TIMELINE"],
        read_by: "the trpl API of every runtime crate: the timeline of each block_on, drawn as SVG into this file (the binaries take --timeline)",
        takes: Takes::OutputFile("svg"),
        why: "a path that cannot be written would lose the picture at the end of the run",
    },
    Variable {
        names: &["ASYNC_LAB_TRACE"],
        read_by: "the trpl API of every runtime crate: every poll of each block_on, in the Chrome trace event format, into this file (the binaries take --trace)",
        takes: Takes::OutputFile("json"),
        why: "a path that cannot be written would lose the trace at the end of the run",
    },
    Variable {
        names: &["RUST_MIN_STACK"],
        read_by: "the standard library: the stack of every thread started without a size of its own, in bytes",
        takes: Takes::Count {
            min: 256 * 1024,
            max: 64 * 1024 * 1024,
        },
        why: "a smaller stack overflows (the process dies without a message); a larger one is reserved by every thread, 10,000 of them with a thread per task",
    },
    Variable {
        names: &["HTTP_PROXY", "http_proxy"],
        read_by: "reqwest, for http:// URLs",
        takes: Takes::ProxyUrl,
        why: PROXY_WHY,
    },
    Variable {
        names: &["HTTPS_PROXY", "https_proxy"],
        read_by: "reqwest, for https:// URLs",
        takes: Takes::ProxyUrl,
        why: PROXY_WHY,
    },
    Variable {
        names: &["ALL_PROXY", "all_proxy"],
        read_by: "reqwest, for URLs the two above leave out",
        takes: Takes::ProxyUrl,
        why: PROXY_WHY,
    },
    Variable {
        names: &["NO_PROXY", "no_proxy"],
        read_by: "reqwest: hosts reached without a proxy",
        takes: Takes::Anything,
        why: "any text is a list of hosts (loopback, where the embedded site is, needs no entry)",
    },
    Variable {
        names: &["REQUEST_METHOD"],
        read_by: "reqwest: set, it means a CGI request, and HTTP_PROXY is ignored",
        takes: Takes::Anything,
        why: "only whether it is set counts",
    },
];

/// The blocking crate's one variable: smol and async-std run their blocking work on its
/// pool, and both list it.
pub const BLOCKING_MAX_THREADS: Variable = Variable {
    names: &["BLOCKING_MAX_THREADS"],
    read_by: "the blocking crate's pool (smol's and async-std's blocking work, their files)",
    takes: Takes::Count {
        min: 1,
        max: 10_000,
    },
    why: "the blocking crate clamps other numbers to 1..10000 and reads anything else as 500, without a word",
};

/// A variable whose value the lab refuses: one line, which says what it may hold and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The variable, as it was spelled.
    pub name: &'static str,
    /// Its value (lossily, when it was not UTF-8).
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
    /// Why the lab refuses it.
    pub why: &'static str,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is quoted and escaped: it is the user's text, and may hold anything.
        write!(
            f,
            "environment variable {}={:?}: {}: {}",
            self.name, self.value, self.problem, self.why
        )
    }
}

impl std::error::Error for EnvError {}

/// Checks every variable that is set of [`VARIABLES`] and of `runtime`'s (the variables
/// the runtimes in use read). `flavors` are the configurations of the runtime crate whose
/// trpl API reads `ASYNC_LAB_FLAVOR`; `None` where nothing reads it (the binaries take
/// `--flavor`).
pub fn check(
    runtime: &[Variable],
    flavors: Option<&'static [Configuration]>,
) -> Result<(), EnvError> {
    check_in(runtime, flavors, |name| std::env::var_os(name))
}

/// [`check`], reading variables through `lookup` (tests pass their own environment).
pub fn check_in(
    runtime: &[Variable],
    flavors: Option<&'static [Configuration]>,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<(), EnvError> {
    for variable in VARIABLES.iter().chain(runtime) {
        if variable.takes.book_only() && flavors.is_none() {
            continue;
        }
        for &name in variable.names {
            let Some(raw) = lookup(name) else { continue };
            let refuse = |problem: String| EnvError {
                name,
                value: raw.to_string_lossy().into_owned(),
                problem,
                why: variable.why,
            };
            let Some(value) = raw.to_str() else {
                if variable.takes != Takes::Anything {
                    return Err(refuse("not UTF-8".into()));
                }
                continue;
            };
            let problem = match variable.takes {
                Takes::Flavor => flavors.and_then(|flavors| registry::find(flavors, value).err()),
                takes => problem(takes, value),
            };
            if let Some(problem) = problem {
                return Err(refuse(problem));
            }
        }
    }
    Ok(())
}

impl Takes {
    /// True for the variables only a program on the trpl API reads (the binaries take
    /// options instead), which the binaries leave unchecked.
    pub fn book_only(self) -> bool {
        matches!(self, Takes::Flavor | Takes::Switch | Takes::OutputFile(_))
    }
}

/// What is wrong with `value` for a variable that takes `takes`, if anything.
fn problem(takes: Takes, value: &str) -> Option<String> {
    match takes {
        Takes::Switch => (!matches!(value, "0" | "1")).then(|| format!("takes {takes}")),
        Takes::OutputFile(extension) => output_file_problem(value, extension),
        Takes::Count { min, max } => match value.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => None,
            _ => Some(format!("takes {takes}")),
        },
        Takes::ProxyUrl => proxy_problem(value),
        Takes::Unset => Some("must not be set".into()),
        Takes::Flavor | Takes::Anything => None,
    }
}

/// What is wrong with the path of an output file, if anything: it must end in
/// `.extension` and name a file (not a folder) in a folder that exists.
fn output_file_problem(value: &str, extension: &str) -> Option<String> {
    let path = std::path::Path::new(value);
    let ends_right = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !ends_right {
        return Some(format!("takes the path of a .{extension} file"));
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        return Some(format!("no folder {}", folder.display()));
    }
    // A folder, a FIFO or a device is refused: the file is renamed into place at the end,
    // which would replace it.
    std::fs::metadata(path)
        .ok()
        .and_then(|m| crate::file::not_a_file(&m))
        .map(|kind| format!("{kind}, not a file"))
}

/// A switch variable ([`Takes::Switch`]) is on: set to `1`.
pub fn is_on(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

/// An output file variable ([`Takes::OutputFile`]), when set and not empty.
pub fn output_file(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

/// What is wrong with a proxy variable's value, if anything.
fn proxy_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    // As reqwest reads it: without a scheme, HOST:PORT is an http proxy.
    let url = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    match reqwest::Url::parse(&url) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Some(format!(
            "{}:// is not a proxy this build can use (http:// and https:// only)",
            url.scheme()
        )),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => {
            Some("a proxy URL with no host".into())
        }
        Ok(_) => None,
        Err(e) => Some(format!("not a proxy URL ({e})")),
    }
}

/// The flavor a program on the trpl API runs: the one `ASYNC_LAB_FLAVOR` names, else the
/// crate's default, once every variable is checked. The error is of kind
/// [`io::ErrorKind::InvalidInput`], with [`EnvError`]'s line.
pub fn flavor<R: Executor>() -> io::Result<R::Flavor> {
    check(R::VARIABLES, Some(R::CONFIGURATIONS))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    match std::env::var("ASYNC_LAB_FLAVOR") {
        Ok(name) => {
            R::Flavor::named(&name).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
        }
        Err(_) => Ok(R::Flavor::default_flavor()),
    }
}

/// Ends a program on the trpl API whose runtime cannot be built: trpl's `block_on` has
/// no way to return the error, so it is one line on stderr and exit status 2 for a
/// variable the lab refuses (as a bad option is for the binaries), 1 for a runtime that
/// cannot start.
pub fn exit_with(error: &io::Error) -> ! {
    use std::io::Write as _;
    let _ = writeln!(io::stderr(), "{error}");
    let code = if error.kind() == io::ErrorKind::InvalidInput {
        2
    } else {
        1
    };
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables of a runtime, as a runtime crate lists its own.
    const RUNTIME: &[Variable] = &[
        Variable {
            names: &["RT_THREADS"],
            read_by: "this test's runtime",
            takes: POOL,
            why: "a pool wants about one thread per core",
        },
        BLOCKING_MAX_THREADS,
    ];

    fn with(vars: &[(&str, &str)]) -> Result<(), EnvError> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        check_in(RUNTIME, None, |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn thread_counts_are_bounded_and_say_why() {
        assert_eq!(with(&[("RT_THREADS", "4")]), Ok(()));
        let zero = with(&[("RT_THREADS", "0")]).unwrap_err();
        assert_eq!(
            zero.to_string(),
            "environment variable RT_THREADS=\"0\": takes a whole number from 1 to 1024: a pool wants about one thread per core"
        );
        for bad in ["x", "-1", "1025", " 2", "300000", ""] {
            assert!(with(&[("RT_THREADS", bad)]).is_err(), "{bad:?}");
        }
        assert!(with(&[("BLOCKING_MAX_THREADS", "10001")]).is_err());
        assert_eq!(with(&[("BLOCKING_MAX_THREADS", "10000")]), Ok(()));
        // A variable no runtime in use reads is not checked.
        assert_eq!(with(&[("OTHER_THREADS", "0")]), Ok(()));
    }

    #[test]
    fn proxies_must_be_http_urls_with_a_host() {
        for good in [
            "",
            "http://127.0.0.1:3128",
            "proxy.example:8080",
            "https://p:1/",
        ] {
            assert_eq!(with(&[("HTTP_PROXY", good)]), Ok(()), "{good}");
        }
        for bad in ["socks5://127.0.0.1:1080", "http://", "::", "http://[::1"] {
            assert!(with(&[("https_proxy", bad)]).is_err(), "{bad}");
        }
        assert_eq!(with(&[("NO_PROXY", "*, ::1 ,\n")]), Ok(()));
    }

    #[test]
    fn a_value_is_quoted_so_it_cannot_forge_a_line() {
        let error = with(&[("RT_THREADS", "1\nok")]).unwrap_err();
        assert_eq!(error.to_string().lines().count(), 1, "{error}");
    }

    #[test]
    fn a_book_program_s_report_variables_are_checked() {
        let book = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            check_in(RUNTIME, Some(&[]), |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
        };
        assert_eq!(book(&[("ASYNC_LAB_REPORT", "1")]), Ok(()));
        assert_eq!(book(&[("ASYNC_LAB_REPORT", "0")]), Ok(()));
        assert!(book(&[("ASYNC_LAB_REPORT", "yes")]).is_err());
        assert_eq!(book(&[("ASYNC_LAB_TIMELINE", "out.svg")]), Ok(()));
        assert!(book(&[("ASYNC_LAB_TIMELINE", "out.png")]).is_err());
        assert!(book(&[("ASYNC_LAB_TIMELINE", "/no/such/folder/out.svg")]).is_err());
        assert!(book(&[("ASYNC_LAB_TRACE", "")]).is_err());
        assert_eq!(book(&[("ASYNC_LAB_TRACE", "trace.JSON")]), Ok(()));
        // The binaries take options instead, and leave these alone.
        assert_eq!(with(&[("ASYNC_LAB_REPORT", "yes")]), Ok(()));
    }

    #[test]
    fn every_variable_has_a_reason() {
        for variable in VARIABLES.iter().chain(RUNTIME) {
            assert!(!variable.why.is_empty() && !variable.read_by.is_empty());
        }
    }
}
