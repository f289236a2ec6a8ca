//! Exit statuses.

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked.
    Ok,
    /// A resource problem: invalid input, not found, conflict.
    Resource,
    /// Bad usage, or input that could not be read.
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Resource => 1,
            Exit::Usage => 2,
        })
    }
}
