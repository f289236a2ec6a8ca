//! `tortie`: the command line. Every capability is a subcommand of one binary.
//!
//! Exit status: 0 success, 1 a resource problem (invalid, not found, conflict), 2 usage or I/O.

#![forbid(unsafe_code)]

mod cli;
mod commands;
pub mod config;
mod exit;
pub mod input;
pub mod lab;
mod output;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use exit::Exit;

/// Parses `args` (including the program name) and runs the command.
pub fn main_with_args<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    // Not locked for the whole run: `tortie agent` runs for ever, and its other threads (the
    // Log pipeline's stdout destination, logging) must be able to write too.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    commands::run(cli, &mut out, &mut err).into()
}
