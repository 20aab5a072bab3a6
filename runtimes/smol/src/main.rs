//! The `runtime-smol` binary: chapter 17's programs on smol (its global executor, or an explicit Executor on N threads).
//!
//! Run with `cargo run -p runtime-smol -- [--flavor F] [EXPERIMENT [ARGS...]]`; `list` names
//! the experiments. All the logic is in `async_lab_experiments::cli`; this binary only picks
//! the runtime.

fn main() -> std::process::ExitCode {
    async_lab_experiments::cli::main::<runtime_smol::Smol>(std::env::args_os())
}
