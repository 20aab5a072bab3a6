//! The `runtime-tokio` binary: chapter 17's programs on tokio (multi-thread or current-thread).
//!
//! Run with `cargo run -p runtime-tokio -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_tokio::Tokio>(std::env::args_os())
}
