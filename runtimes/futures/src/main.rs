//! The `runtime-futures` binary: chapter 17's programs on the futures crate's LocalPool or ThreadPool.
//!
//! Run with `cargo run -p runtime-futures -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_futures::Futures>(std::env::args_os())
}
