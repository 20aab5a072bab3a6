//! The `runtime-threads` binary: chapter 17's programs on one OS thread per task.
//!
//! Run with `cargo run -p runtime-threads -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_threads::Threads>(std::env::args_os())
}
