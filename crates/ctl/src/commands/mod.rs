//! One module per verb.

mod validate;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match cli.command {
        Command::Validate(args) => validate::run(&args, out, err),
    }
}
