//! Tortie's datastore: an interface with etcd v3 semantics, the embedded backend (SQLite in a
//! directory, usable by several processes at once), the keys Calico uses, and the client that
//! applies Calico's write rules (defaulting, tiers, read-only converted objects, derived objects
//! for Kubernetes kinds).
//!
//! ```text
//!   Client (typed resources, Calico rules) ──► Backend (keys, revisions, txn, watch)
//!                                                 ├── embedded: SQLite WAL   (this crate)
//!                                                 └── etcd v3                (tortie-datastore-etcd)
//! ```
//!
//! `testing` holds the conformance suite every backend must pass.

#![forbid(unsafe_code)]

pub mod backend;
pub mod client;
pub mod clock;
pub mod embedded;
pub mod keys;
pub mod testing;

pub use backend::{
    Backend, Event, Op, Precondition, Record, Revision, StoreError, TxnResult, Watch,
};
pub use client::{Client, ClientError, ObjectRef, Outcome, Write, Written};
pub use embedded::Embedded;
