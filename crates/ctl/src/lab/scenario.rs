//! A lab scenario file (`examples/<name>/scenario.yaml`): the machines, the manifests to
//! apply, the servers to run, and the expected matrix.
//!
//! ```yaml
//! name: access-nginx
//! networks: [fabric]
//! nodes:
//!   - name: node1
//!     interfaces: [{name: eth0, network: fabric, addresses: [10.0.0.11/24]}]
//! externals:
//!   - {name: outside, interface: {name: eth0, network: fabric, addresses: [10.0.0.200/24]}}
//! manifests: [policy.yaml, pods.yaml]
//! listen: {default/nginx: [tcp/80]}
//! expect:
//!   - {from: default/access, to: default/nginx, traffic: tcp/80, result: allow}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it shows, as a name.
    pub name: String,
    /// One line on what it shows.
    #[serde(default)]
    pub description: String,
    /// L2 networks (default: one, `fabric`).
    #[serde(default)]
    pub networks: Vec<String>,
    /// Cluster nodes.
    pub nodes: Vec<Machine>,
    /// Clients outside the cluster.
    #[serde(default)]
    pub externals: Vec<External>,
    /// Manifest files, relative to the scenario file, applied in order in one write.
    pub manifests: Vec<String>,
    /// Servers per endpoint (`NAMESPACE/POD`, an external's name or `node/NAME`): `tcp/80`,
    /// `udp/53`, `sctp/9`, `proto/112`.
    #[serde(default)]
    pub listen: BTreeMap<String, Vec<String>>,
    /// Extra routes on external clients (a load balancer's address via a node).
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The expected matrix.
    pub expect: Vec<Expectation>,
}

/// A node.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Its Node name (pods' `nodeName`).
    pub name: String,
    /// Its interfaces.
    pub interfaces: Vec<Interface>,
}

/// An external client.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct External {
    /// Its name in `expect`.
    pub name: String,
    /// Its one interface.
    pub interface: Interface,
}

/// An interface on a network.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Name (`eth0`).
    pub name: String,
    /// Network.
    pub network: String,
    /// Addresses with prefix length.
    pub addresses: Vec<String>,
}

/// One expected flow.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// `NAMESPACE/POD`, an external's name, or `node/NAME`.
    pub from: String,
    /// The same forms.
    pub to: String,
    /// `tcp/80`, `udp/53`, `sctp/9`, `icmp`, `proto/112`.
    pub traffic: String,
    /// `allow` or `deny`.
    pub result: String,
    /// 4 or 6 (default 4): which address of the destination.
    #[serde(default)]
    pub family: Option<u8>,
    /// How many lines Log rules must write for this probe on the destination's node (UDP,
    /// ICMP and raw probes send one packet; a dropped TCP connect retransmits its SYN).
    #[serde(default)]
    pub logged: Option<usize>,
}

/// A route on an external client: `to` (a CIDR or address) via the node `via`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The external's name.
    pub from: String,
    /// Destination network.
    pub to: String,
    /// The node to send it to.
    pub via: String,
}
