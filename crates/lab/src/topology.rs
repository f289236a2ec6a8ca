//! The declarative description of a lab: networks, nodes with pods, and external hosts.
//! Plain data with public fields so callers can build it literally or from a scenario file.

use std::net::IpAddr;

use ipnet::IpNet;

/// Everything a lab consists of. Validated by [`Lab::up`](crate::Lab::up) before anything is created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabSpec {
    /// Starts every netns name (`<prefix>-...`), so concurrent labs never collide and
    /// [`sweep`](crate::sweep) can find leftovers. Letters, digits and `_`, at most 16 characters;
    /// include the pid and a counter.
    pub prefix: String,
    /// L2 segments; each becomes a Linux bridge in the fabric netns.
    pub networks: Vec<NetworkSpec>,
    /// Cluster nodes; each gets its own netns acting as the host network namespace.
    pub nodes: Vec<NodeSpec>,
    /// Clients outside the cluster: a netns with one interface on one network.
    pub externals: Vec<HostSpec>,
}

/// One L2 segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Unique; letters, digits, `_`, `.` and `-`. The bridge is `br-<name>` cut to 15 bytes.
    pub name: String,
}

/// A cluster node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// Unique among nodes, externals and pods.
    pub name: String,
    /// Uplinks, at most one per network (e.g. `eth0` on "public", `eth1` on "private").
    pub interfaces: Vec<IfaceSpec>,
    /// Workloads on this node, wired Calico-style.
    pub pods: Vec<PodSpec>,
}

/// An interface attached to a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceSpec {
    /// The interface name inside the node or external netns (at most 15 bytes).
    pub name: String,
    /// The [`NetworkSpec::name`] it is plugged into.
    pub network: String,
    /// Addresses with the segment's prefix length, IPv4 and/or IPv6.
    pub addrs: Vec<IpNet>,
}

/// A pod: its own netns behind a veth pair, routed (not bridged) by its node like Calico does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpec {
    /// Unique in the lab; any text (e.g. `default/nginx-1`), the netns name is derived safely.
    pub name: String,
    /// The host-side veth in the node netns, used verbatim (e.g. `cali1a2b3c4d5e6`).
    pub host_iface: String,
    /// The pod's addresses; installed as /32 and /128.
    pub addrs: Vec<IpAddr>,
    /// Servers to run inside the pod.
    pub listen: Vec<Listen>,
}

/// An external client or server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSpec {
    /// Unique among nodes, externals and pods.
    pub name: String,
    /// Its only interface.
    pub iface: IfaceSpec,
    /// Servers to run on it.
    pub listen: Vec<Listen>,
}

/// A server to run in a pod or external host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Listen {
    /// What to serve.
    pub proto: Proto,
    /// Ignored for [`Proto::Icmp`] and [`Proto::Raw`].
    pub port: u16,
}

/// The protocols probes and servers speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    /// TCP: a handshake, then a short reply from the server.
    Tcp,
    /// UDP: an echo.
    Udp,
    /// ICMP or ICMPv6 echo, chosen by the destination's family; the kernel answers.
    Icmp,
    /// Any other IP protocol number, e.g. 132 (SCTP, sent as a valid INIT) or 112 (VRRP).
    Raw(u8),
}

impl Proto {
    /// The IP protocol number (ICMP is 1; ICMPv6 58 is chosen when sending over IPv6).
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::Tcp => 6,
            Self::Udp => 17,
            Self::Icmp => 1,
            Self::Raw(n) => n,
        }
    }
}

/// SCTP's protocol number, which gets a real INIT chunk rather than an opaque payload.
pub const PROTO_SCTP: u8 = 132;
