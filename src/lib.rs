//! The runtimes the lab knows, in one list: each runtime crate's configurations (its
//! registry entries) and its command line. The driver, the tests and the notes read
//! every configuration from here, so a configuration added to a runtime crate shows up
//! everywhere with no other edit; a new runtime crate is one line in [`runtimes!`] (and
//! one in the root `Cargo.toml`'s dependencies).

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::process::ExitCode;

use async_lab_experiments::cli;
use async_lab_experiments::runtime::Runtime;

pub use async_lab_experiments::cli::InProcess;
pub use async_lab_runtime::env::Variable;
pub use async_lab_runtime::registry::{self, Configuration};

/// How a runtime binary refuses a command line: see [`RuntimeCrate::refusal`].
pub type Refusal = fn(Vec<OsString>, &dyn Fn(&str) -> Option<OsString>) -> Option<(u8, String)>;

/// One runtime crate: its configurations, and its binary's command line.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeCrate {
    /// The runtime's name, as `--child` and the report name it.
    pub name: &'static str,
    /// Its configurations, as its crate declares them; the first is the default.
    pub configurations: &'static [Configuration],
    /// The environment variables it reads, besides the lab's.
    pub variables: &'static [Variable],
    /// Its binary's `main`: runs a command line (program name first) on it.
    pub main: fn(Vec<OsString>) -> ExitCode,
    /// How its binary refuses a command line before it starts anything (environment
    /// variables read through the function given): the exit status and the line, in-process
    /// (`cli::refusal`).
    pub refusal: Refusal,
    /// Runs its binary's command line (program name first) in this process, on this
    /// process's environment, and gives the exit status and the report, or the refusal
    /// (`cli::run_in_process`): no census and no tracing, so for what an experiment prints,
    /// not for its threads.
    pub run_in_process: fn(Vec<OsString>) -> InProcess,
}

const fn runtime<R: Runtime>() -> RuntimeCrate {
    RuntimeCrate {
        name: R::NAME,
        configurations: R::CONFIGURATIONS,
        variables: R::VARIABLES,
        main: main_of::<R>,
        refusal: cli::refusal::<R>,
        run_in_process: cli::run_in_process::<R>,
    }
}

fn main_of<R: Runtime>(args: Vec<OsString>) -> ExitCode {
    cli::main::<R>(args)
}

/// Calls `$then!` with every runtime crate and its runtime's type, in table order: the one
/// list of runtime crates. [`RUNTIMES`] is made from it, and so are the tests that run
/// the book's programs on each crate's `trpl` API.
#[macro_export]
macro_rules! runtimes {
    ($then:ident) => {
        $then!(
            runtime_tokio::Tokio,
            runtime_async_std::AsyncStd,
            runtime_smol::Smol,
            runtime_futures::Futures,
            runtime_trpl::Trpl,
            runtime_threads::Threads,
            runtime_mini::Mini,
            runtime_compio::Compio,
            runtime_monoio::Monoio,
        );
    };
}

macro_rules! runtime_crates {
    ($($krate:ident::$runtime:ident),* $(,)?) => {
        /// Every runtime crate, in table order.
        pub const RUNTIMES: &[RuntimeCrate] = &[$(runtime::<$krate::$runtime>()),*];
    };
}

runtimes!(runtime_crates);

/// Every configuration of every runtime, in table order.
pub fn configurations() -> impl Iterator<Item = &'static Configuration> {
    RUNTIMES.iter().flat_map(|r| r.configurations)
}

/// The environment variables every runtime reads, besides the lab's, each once.
pub fn variables() -> Vec<Variable> {
    let mut all: Vec<Variable> = Vec::new();
    for variable in RUNTIMES.iter().flat_map(|r| r.variables) {
        if !all.iter().any(|v| v.names == variable.names) {
            all.push(*variable);
        }
    }
    all
}

/// The runtime crate called `name`.
pub fn runtime_named(name: &str) -> Option<&'static RuntimeCrate> {
    RUNTIMES.iter().find(|r| r.name == name)
}

/// The configurations `id` names, in table order: `runtime:flavor` names one, a bare
/// `runtime` every one of its runtime's; none for a name the registry lacks. The one
/// place `runtime:flavor` is read (`--only`, the tests' `ASYNC_LAB_ONLY`).
pub fn named(id: &str) -> Vec<&'static Configuration> {
    let (name, flavor) = id.split_once(':').map_or((id, None), |(r, f)| (r, Some(f)));
    configurations()
        .filter(|c| c.runtime == name && flavor.is_none_or(|f| f == c.flavor))
        .collect()
}

/// The configuration of `runtime` called `flavor`.
pub fn configuration(runtime: &str, flavor: &str) -> Option<&'static Configuration> {
    configurations().find(|c| c.runtime == runtime && c.flavor == flavor)
}
