//! Writing to stdout and stderr without a panic when nobody reads them any more.
//!
//! Rust ignores `SIGPIPE`, so a write to a pipe whose reader has gone (`| head -1`,
//! `| true`) fails with `BrokenPipe`, and `println!` turns that failure into a panic
//! (exit status 101). Here a closed stdout ends the program at once, quietly and with
//! status 0, as ripgrep does: whoever stopped reading has what they wanted. Any other
//! failure to write stdout (`> /dev/full`) is one line on stderr and status 1.
//!
//! stderr is written on a best-effort basis: a message nobody can read is dropped.

use std::fmt::Display;
use std::io::{self, Write};

/// Writes `text` to stdout as it is (the caller ends it with a newline where one is due).
pub fn print(text: impl Display) {
    let written = {
        let mut stdout = io::stdout().lock();
        write!(stdout, "{text}").and_then(|()| stdout.flush())
    };
    if let Err(error) = written {
        stdout_failed(&error);
    }
}

/// Writes `line` and a newline to stdout.
pub fn println(line: impl Display) {
    print(format_args!("{line}\n"));
}

/// Writes `line` and a newline to stderr; dropped when stderr cannot be written.
pub fn eprintln(line: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Writes `text` to stderr as it is; dropped when stderr cannot be written.
pub fn eprint(text: impl Display) {
    let _ = write!(io::stderr().lock(), "{text}");
}

/// Ends the program after stdout failed: quietly when its reader has gone.
fn stdout_failed(error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln(format_args!("cannot write to stdout: {error}"));
    std::process::exit(1);
}
