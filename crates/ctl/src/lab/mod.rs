//! `tortie lab run SCENARIO`: builds a cluster of network namespaces on this machine, applies
//! the scenario's manifests to a fresh datastore, starts one `tortie agent` per node, sends
//! real packets for every expected flow, asks `tortie trace` the same question, and prints
//! the matrix. Any probe that disagrees with the expectation or with trace fails the run.

mod run;
mod scenario;

pub use run::{LabReport, run_scenario};
pub use scenario::Scenario;
