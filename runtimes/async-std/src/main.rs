//! The `runtime-async-std` binary: chapter 17's programs on async-std's global executor.
//!
//! Run with `cargo run -p runtime-async-std -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_async_std::AsyncStd>(std::env::args_os())
}
