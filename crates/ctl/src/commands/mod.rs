//! One module per verb.

mod agent;
mod common;
mod delete;
mod edit;
mod get;
mod lab;
mod logs;
mod query;
mod reach;
mod snapshot;
mod trace;
mod validate;
mod version;
mod write;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let result = match cli.command {
        Command::Validate(args) => return validate::run(&args, out, err),
        Command::Create(args) => write::create(&args, out, err),
        Command::Apply(args) => write::apply_or_replace(write::Verb::Apply, &args, out, err),
        Command::Replace(args) => write::apply_or_replace(write::Verb::Replace, &args, out, err),
        Command::Delete(args) => delete::run(&args, out, err),
        Command::Get(args) => get::run(&args, out, err),
        Command::Patch(args) => edit::patch(&args, out),
        Command::Label(args) => edit::label(&args, out),
        Command::Version(args) => version::run(&args, out),
        Command::Trace(args) => trace::run(&args, out, err),
        Command::Query(args) => query::run(&args, out, err),
        Command::Reach(args) => reach::run(&args, out, err),
        Command::Agent(args) => agent::run(&args, err),
        Command::Lab(args) => lab::run(&args, out, err),
        Command::Logs(args) => logs::run(&args, out),
    };
    match result {
        Ok(()) => Exit::Ok,
        Err(f) => {
            if !f.message.is_empty() {
                let _ = writeln!(err, "error: {}", f.message);
            }
            f.exit
        }
    }
}
