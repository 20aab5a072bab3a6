//! The `runtime-trpl` binary: chapter 17's programs on the book's trpl crate.
//!
//! Run with `cargo run -p runtime-trpl -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_trpl::Trpl>(std::env::args_os())
}
