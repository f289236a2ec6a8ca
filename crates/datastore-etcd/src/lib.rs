//! The etcd v3 backend of Tortie's datastore: the same [`Backend`](tortie_datastore::Backend)
//! as the embedded store, over an etcd cluster, storing what Calico stores where Calico stores
//! it, so Calico's own tools and Tortie read and write the same keys.
//!
//! ```text
//!   tortie-ctl / agent ──► Client (Calico rules) ──► Backend trait (sync)
//!                                                      ├── Embedded (SQLite)   tortie-datastore
//!                                                      └── EtcdBackend          this crate
//!                                                            │ private tokio runtime
//!                                                            ▼
//!                                            etcd-client (gRPC) ──► etcd v3 members
//! ```
//!
//! - [`settings`]: endpoints, credentials, TLS files and time limits (calicoctl's settings).
//! - `conn`: the runtime, one client per endpoint, failover.
//! - `errors`: which failures allow another endpoint, a later retry, or nothing.
//! - `txn`: preconditions as etcd compares, and naming the one that failed.
//! - `watch`: an etcd watch per [`Watch`](tortie_datastore::Watch), resumed across endpoints.
//! - `tls_probe`: the server's reason when it drops a TLS connection.
//! - [`codec`]: Calico's policy-name annotation on values.

#![forbid(unsafe_code)]

mod backend;
pub mod codec;
mod conn;
mod errors;
pub mod settings;
mod tls_probe;
mod txn;
mod watch;

pub use backend::EtcdBackend;
pub use settings::EtcdSettings;
