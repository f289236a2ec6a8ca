//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tortie: Calico-compatible network policy for Linux and Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "tortie", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline against Calico's validation rules (no datastore).
    Validate(ValidateArgs),
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// File, directory, or `-` for stdin.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub filename: PathBuf,
    /// Process a directory recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not print warnings.
    #[arg(long)]
    pub quiet: bool,
}
