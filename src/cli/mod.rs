//! The native command line: `train`, `translate`, `bench` and `dataset`, on the same core as the page.

mod args;
mod bench;
mod dataset;
mod device;
mod launches;
mod plots;
mod table;
mod train;
mod translate;

pub use args::{Cli, Command};
pub use device::{DeviceArg, PAGE_STORAGE_BUFFERS};
pub use table::attention_table;

use clap::Parser;
use std::process::ExitCode;

/// Parses the command line and runs the command; errors are printed, never panicked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(*args),
        Command::Translate(args) => translate::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Dataset(args) => dataset::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
