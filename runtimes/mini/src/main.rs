//! The `runtime-mini` binary: chapter 17's programs on an executor written to be read.
//!
//! Run with `cargo run -p runtime-mini -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_mini::Mini>(std::env::args_os())
}
