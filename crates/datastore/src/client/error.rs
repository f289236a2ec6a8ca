//! Client errors: one clear sentence naming the object.

use std::fmt;

use tortie_model::{Kind, Resource, Violation};

use crate::backend::{Revision, StoreError};
use crate::keys;

/// Which object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// Its kind.
    pub kind: Kind,
    /// Its namespace (empty for cluster-wide kinds).
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl ObjectRef {
    /// The reference to a resource.
    #[must_use]
    pub fn of(r: &Resource) -> ObjectRef {
        let m = r.metadata();
        let namespace = if r.kind().is_namespaced() {
            m.namespace.clone()
        } else {
            String::new()
        };
        ObjectRef {
            kind: r.kind(),
            namespace,
            name: m.name.clone(),
        }
    }

    /// Its datastore key.
    #[must_use]
    pub fn key(&self) -> String {
        keys::key(self.kind, &self.namespace, &self.name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let api = if self.kind.is_calico() {
            String::new()
        } else {
            format!(" ({})", self.kind.api_version())
        };
        if self.namespace.is_empty() {
            write!(f, "{}{api} `{}`", self.kind.name(), self.name)
        } else {
            write!(
                f,
                "{}{api} `{}/{}`",
                self.kind.name(),
                self.namespace,
                self.name
            )
        }
    }
}

/// Why a client call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// No such object.
    #[error("{0} does not exist")]
    NotFound(ObjectRef),
    /// The object exists already.
    #[error("{0} already exists")]
    AlreadyExists(ObjectRef),
    /// The object changed since the given version was read.
    #[error(
        "{object} was changed by someone else: you have resourceVersion {expected}, the datastore has {actual}; get it again and retry"
    )]
    Conflict {
        /// The object.
        object: ObjectRef,
        /// The version supplied.
        expected: Revision,
        /// The current version.
        actual: Revision,
    },
    /// The object breaks Calico's rules.
    #[error("{object} is invalid: {}", .violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The object.
        object: ObjectRef,
        /// What is wrong.
        violations: Vec<Violation>,
    },
    /// The object may not be written this way.
    #[error("{0}")]
    Refused(String),
    /// A stored object could not be decoded.
    #[error("stored object {object} cannot be read: {reason}")]
    Corrupt {
        /// The object.
        object: ObjectRef,
        /// Why.
        reason: String,
    },
    /// The datastore failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
