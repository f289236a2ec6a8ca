//! Throw-away clusters built from Linux network namespaces, and real probe packets sent
//! through them, so policy enforcement is tested on the kernel rather than on a model.
//!
//! # Topology
//!
//! ```text
//!                     <prefix>-fab   (one Linux bridge per network)
//!         +-----------------------------------------------------+
//!         |                     br-cluster                      |
//!         |        n0e0             n1e0               x0       |
//!         +---------|-----------------|-----------------|-------+
//!               eth0|             eth0|             eth0|
//!         +---------+------+  +-------+--------+  +-----+----------+
//!         | <prefix>-node-a|  | <prefix>-node-b|  | <prefix>-client|
//!         |  node netns    |  |  node netns    |  |  external      |
//!         |  cali...a      |  |  cali...b      |  +----------------+
//!         +----|-----------+  +----|-----------+
//!              | veth              | veth
//!         +----+-----------+  +----+-----------+
//!         | eth0           |  | eth0           |
//!         | <prefix>-p0-.. |  | <prefix>-p1-.. |
//!         |  pod netns     |  |  pod netns     |
//!         +----------------+  +----------------+
//! ```
//!
//! * One **fabric** netns holds a bridge per network; every node uplink and every
//!   external's interface is a veth whose other end sits on that bridge.
//! * A **node** netns stands in for a host's root namespace: forwarding on, reverse-path
//!   filtering off, and it is where the agent under test and `nft` run.
//! * A **pod** netns is wired as Calico does it: a veth whose host end has the exact
//!   name from the spec and MAC `ee:ee:ee:ee:ee:ee`; the pod has /32 and /128 addresses,
//!   a default route via `169.254.1.1` / `fe80::1` resolved by static neighbour entries,
//!   and the node routes each pod address to its veth (with proxy ARP as a fallback).
//! * Routes between nodes: each node and external gets a host route for every pod on
//!   another node, via that node's address on the first network they share.
//!
//! All traffic stays inside namespaces the lab created; the host's own interfaces are
//! never touched. Netns names start with a caller-chosen prefix so parallel labs never
//! collide and [`sweep`] can clear leftovers of a crashed run.
//!
//! # Probes
//!
//! [`Lab::probe`] opens a socket inside the sender's netns and classifies what comes back
//! into an [`Outcome`]. Servers for TCP, UDP and raw protocols run in the destination
//! namespaces, all served by one poll thread of this process; receipt of raw-protocol
//! packets is learned through a store shared in-process with the probes.
//!
//! [`install_service_nat`] adds a minimal kube-proxy stand-in (DNAT for VIPs and node
//! ports) to a node netns.

mod cmd;
mod error;
mod lab;
mod names;
mod nat;
mod netns;
mod packet;
mod plan;
mod probe;
mod receipts;
mod server;
mod topology;
mod validate;
mod wire;

pub use error::LabError;
pub use lab::Lab;
pub use nat::{NAT_TABLE, ServiceNat, install_service_nat};
pub use netns::{NETNS_DIR, in_netns, list_netns, sweep};
pub use plan::EndpointKind;
pub use probe::{Outcome, Probe};
pub use receipts::Receipt;
pub use topology::{
    HostSpec, IfaceSpec, LabSpec, Listen, NetworkSpec, NodeSpec, PROTO_SCTP, PodSpec, Proto,
};
