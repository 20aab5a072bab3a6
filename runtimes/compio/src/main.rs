//! The `runtime-compio` binary: chapter 17's programs on compio (thread-per-core, io_uring).
//!
//! Run with `cargo run -p runtime-compio -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_compio::Compio>(std::env::args_os())
}
