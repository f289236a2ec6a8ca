//! The one error type of the lab. Every variant carries enough context to act on
//! without a debugger: the spec field at fault, or the exact command and its stderr.

use std::io;

/// Why building, driving or tearing down a lab failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The [`LabSpec`](crate::LabSpec) (or a service list) is inconsistent; nothing was created.
    #[error("invalid lab spec: {0}")]
    Spec(String),
    /// An external command (`ip`, `nft`) exited unsuccessfully.
    #[error("command `{command}` failed ({status}): {stderr}{input}")]
    Command {
        /// The command line as it would be typed.
        command: String,
        /// The exit status, or how it could not be started.
        status: String,
        /// What the command wrote to stderr, trimmed.
        stderr: String,
        /// The script fed on stdin, if any, prefixed for display.
        input: String,
    },
    /// A system call made by the lab itself failed.
    #[error("{what}: {source}")]
    Io {
        /// What the lab was doing.
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Several teardown steps failed; each is listed.
    #[error("teardown failed: {}", .0.join("; "))]
    Teardown(Vec<String>),
}

impl LabError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}
