//! Test harnesses shared by Tortie's crates (a dev-dependency, never shipped): real etcd
//! servers and clusters on loopback with temporary data directories and free ports
//! ([`etcd`]), and throwaway certificate authorities for TLS tests ([`certs`]).
//!
//! ```text
//!   tests of tortie-datastore-etcd, tortie-ctl, (later) the lab
//!        └── tortie-testkit ── etcd: spawn /usr/bin/etcd, wait until it serves, kill on drop
//!                          └── certs: CA, server and client certificates as PEM files
//! ```

#![forbid(unsafe_code)]

pub mod certs;
pub mod etcd;

/// Why a harness could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);
