//! `tortie lab`: builds a cluster of network namespaces on this machine, applies manifests to
//! a fresh datastore, starts one `tortie agent` per node, sends real packets, asks `tortie
//! trace` the same question, and prints the matrix. Any probe that disagrees with the
//! expectation or with trace fails the run.
//!
//! * [`session`]: a running lab (datastore, namespaces, agents, Services' NAT).
//! * [`check`]: probes and trace verdicts side by side.
//! * `run`: `tortie lab run SCENARIO`.
//! * [`control`]: `tortie lab up` serving `tortie lab probe` and `tortie lab down`.

pub mod check;
pub mod control;
pub mod datastore;
mod run;
mod scenario;
mod services;
pub mod session;

pub use run::{
    LabReport, PROBE_TIMEOUT, expected_flows, manifests, read_scenario, run_scenario, topology,
};
pub use scenario::{Expectation, External, Interface, Machine, Route, Scenario};
