//! The `runtime-monoio` binary: chapter 17's programs on monoio (thread-per-core, io_uring).
//!
//! Run with `cargo run -p runtime-monoio -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_monoio::Monoio>(std::env::args_os())
}
