//! Errors of the pipeline.

/// Bytes that are not the netlink message they claim to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed netlink data: {0}")]
pub struct DecodeError(String);

impl DecodeError {
    pub(crate) fn new(what: impl Into<String>) -> DecodeError {
        DecodeError(what.into())
    }
}

/// Why the pipeline (or one of its parts) could not start or do its job.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A system call failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The kernel refused a request.
    #[error("{context}: {source}")]
    Kernel {
        /// What was asked.
        context: String,
        /// The errno it answered.
        #[source]
        source: nix::Error,
    },
    /// A configuration value that cannot be used.
    #[error("{0}")]
    Config(String),
    /// A kernel message that could not be read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl LogError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> LogError {
        LogError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn kernel(context: impl Into<String>, source: nix::Error) -> LogError {
        LogError::Kernel {
            context: context.into(),
            source,
        }
    }
}
