//! Calico kinds about the cluster's infrastructure. Tortie acts on `Node` and
//! `WorkloadEndpoint`; the rest (IP pools and reservations, IPAM, BGP, kube-controllers
//! configuration, cluster information, node status requests) are accepted, validated and
//! stored.
//!
//! Every field of every Calico 3.29 to 3.32 version of these specs is known, so manifests of
//! any of those versions load and unknown fields are rejected. Validation follows Calico's
//! validator (`libcalico-go/lib/validator/v3`) and the rules its clients apply on create.

mod bgp;
mod bgp_filter;
mod cluster;
mod common;
mod ipam;
mod node;
mod workload_endpoint;

#[cfg(test)]
mod tests;

pub use bgp::*;
pub use bgp_filter::*;
pub use cluster::*;
pub use common::{
    BgpPassword, DSCP_NAMES, Dscp, SecretKeySelector, is_container_id, is_go_duration,
    is_interface_name, is_mac, parse_as_number,
};
pub use ipam::*;
pub use node::*;
pub use workload_endpoint::*;
