//! The storage interface every backend implements, modelled on etcd v3: one global revision,
//! every key remembers the revision that created it and the one that last changed it,
//! transactions check preconditions and commit all-or-nothing, and a watch replays changes
//! after a revision until history is compacted.

use std::time::Duration;

/// A datastore revision. Every committed change gets the next one.
pub type Revision = u64;

/// A stored value with its revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The key.
    pub key: String,
    /// The value (JSON text).
    pub value: String,
    /// Revision of the change that created the key.
    pub create_revision: Revision,
    /// Revision of the last change to the key (Calico's `resourceVersion`).
    pub mod_revision: Revision,
}

/// What must hold for an operation to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing.
    None,
    /// The key must not exist (create).
    MustNotExist,
    /// The key must exist (replace without a version).
    MustExist,
    /// The key's mod revision must be this (compare-and-swap).
    ModRevision(Revision),
}

/// One operation of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Write a value.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The check.
        precondition: Precondition,
    },
    /// Remove a key.
    Delete {
        /// The key.
        key: String,
        /// The check.
        precondition: Precondition,
    },
}

impl Op {
    /// The key the operation touches.
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key, .. } => key,
        }
    }
}

/// What a committed transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResult {
    /// The revision of the transaction (every key it wrote has this mod revision).
    pub revision: Revision,
    /// Per operation: the record written, or the record deleted.
    pub records: Vec<Record>,
}

/// A change seen by a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Revision of the change.
    pub revision: Revision,
    /// The key.
    pub key: String,
    /// The new value; `None` for a delete.
    pub value: Option<String>,
    /// The value before the change, if there was one.
    pub prev_value: Option<String>,
}

/// Why a datastore call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The key does not exist.
    #[error("`{key}` does not exist")]
    NotFound {
        /// The key.
        key: String,
    },
    /// The key exists already.
    #[error("`{key}` already exists")]
    AlreadyExists {
        /// The key.
        key: String,
    },
    /// The key changed since it was read.
    #[error("`{key}` was changed by someone else (expected revision {expected}, now {actual})")]
    Conflict {
        /// The key.
        key: String,
        /// The revision the caller had.
        expected: Revision,
        /// The current revision.
        actual: Revision,
    },
    /// The requested history is gone; list again and watch from the list's revision.
    #[error(
        "revision {requested} has been compacted (history starts after {compacted}); list again"
    )]
    Compacted {
        /// The revision asked for.
        requested: Revision,
        /// The compaction revision.
        compacted: Revision,
    },
    /// The datastore cannot be reached now.
    #[error("datastore unavailable: {0}")]
    Unavailable(String),
    /// Any other backend failure.
    #[error("datastore error: {0}")]
    Backend(String),
}

/// A stream of changes under a prefix, in revision order.
pub trait Watch: Send {
    /// The next change, waiting up to `timeout`; `Ok(None)` when nothing arrived in time.
    ///
    /// # Errors
    /// [`StoreError::Compacted`] if the watch fell behind compaction (list again), or a backend
    /// failure.
    fn next(&mut self, timeout: Duration) -> Result<Option<Event>, StoreError>;
}

/// The storage interface.
pub trait Backend: Send + Sync {
    /// Applies every operation atomically at one new revision, or none if a precondition fails.
    ///
    /// # Errors
    /// The first failed precondition (`NotFound`, `AlreadyExists`, `Conflict`) or a backend
    /// failure. Nothing is written then.
    fn txn(&self, ops: &[Op]) -> Result<TxnResult, StoreError>;

    /// The record under `key`, if any.
    ///
    /// # Errors
    /// A backend failure.
    fn get(&self, key: &str) -> Result<Option<Record>, StoreError>;

    /// Every record whose key starts with `prefix`, sorted by key, and the store's revision at
    /// the time of the read (watch from it to see later changes).
    ///
    /// # Errors
    /// A backend failure.
    fn list(&self, prefix: &str) -> Result<(Vec<Record>, Revision), StoreError>;

    /// Changes to keys under `prefix` with revision greater than `after`.
    ///
    /// # Errors
    /// [`StoreError::Compacted`] if `after` is older than the retained history.
    fn watch(&self, prefix: &str, after: Revision) -> Result<Box<dyn Watch>, StoreError>;

    /// The current revision.
    ///
    /// # Errors
    /// A backend failure.
    fn revision(&self) -> Result<Revision, StoreError>;

    /// A short name for the backend (`embedded`, `etcdv3`).
    fn kind(&self) -> &'static str;

    /// Discards history at and before `revision`.
    ///
    /// # Errors
    /// A backend failure.
    fn compact(&self, revision: Revision) -> Result<(), StoreError>;
}
