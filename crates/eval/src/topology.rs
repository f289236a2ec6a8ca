//! Which host endpoint a packet crosses on a node. The lab knows its interfaces and routes and
//! says exactly; otherwise the model's addresses decide (see [`ModelTopology`]).

use std::net::IpAddr;
use std::sync::Arc;

use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::{EntityId, EntityState, Model};

/// Where packets enter and leave nodes.
pub trait Topology {
    /// The host endpoint governing a packet that arrives at `node` from `from`, addressed to `to`.
    fn ingress_hep(
        &self,
        model: &Model,
        node: &str,
        from: Option<IpAddr>,
        to: Option<IpAddr>,
    ) -> Option<EntityId>;
    /// The host endpoint governing a packet that leaves `node` from `from` towards `to`.
    fn egress_hep(
        &self,
        model: &Model,
        node: &str,
        from: Option<IpAddr>,
        to: Option<IpAddr>,
    ) -> Option<EntityId>;
    /// The node that receives packets for an address no endpoint or node owns (a load
    /// balancer's virtual address), if known.
    fn node_for(&self, model: &Model, ip: IpAddr) -> Option<String>;
}

/// Decides from the model alone: the named host endpoint that owns the address on the node's
/// side of the packet, else one whose address shares a subnet (/24, /64) with the other side,
/// else (for an address outside the cluster) the node's only named host endpoint, else the
/// node's `*` host endpoint, else none (an interface without a host endpoint is not policed).
/// `--via` on `tortie trace` overrides it.
#[derive(Clone, Debug, Default)]
pub struct ModelTopology {
    /// Force this host endpoint for traffic arriving from outside.
    pub via: Option<EntityId>,
}

/// Same subnet, by the /24 and /64 convention the model uses where prefixes are unknown.
pub(crate) fn near(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..3] == b.octets()[..3],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..4] == b.segments()[..4],
        _ => false,
    }
}

fn pick(
    model: &Model,
    node: &str,
    local: Option<IpAddr>,
    remote: Option<IpAddr>,
) -> Option<EntityId> {
    let heps = model.host_endpoints_on(node);
    let named = || {
        heps.iter()
            .filter(|e| e.entity.interface.as_deref() != Some("*"))
    };
    if let Some(ip) = local
        && let Some(h) = named().find(|e| e.entity.contains(ip))
    {
        return Some(h.entity.id.clone());
    }
    if let Some(ip) = remote
        && let Some(h) = named().find(|e| e.entity.addresses.iter().any(|a| near(a.addr(), ip)))
    {
        return Some(h.entity.id.clone());
    }
    // The other side is on the subnet of one of the node's own addresses that no named host
    // endpoint claims: the packet crosses that interface, which has no host endpoint of its
    // own (only the all-interfaces one, if any).
    if let Some(ip) = remote
        && model.node(node).is_some_and(|n| {
            n.addresses
                .iter()
                .any(|a| near(*a, ip) && !named().any(|h| h.entity.contains(*a)))
        })
    {
        return heps
            .iter()
            .find(|e| e.entity.interface.as_deref() == Some("*"))
            .map(|e| e.entity.id.clone());
    }
    // A workload on another node is reached over the network that joins the two nodes: the
    // packet crosses the named host endpoint on this node's interface on that network
    // (without overlay encapsulation, as the lab routes pods; Felix then applies that host
    // endpoint's applyOnForward policy to it).
    if let Some(ip) = remote
        && let Some(h) = via_peer_node(model, node, ip, named())
    {
        return Some(h);
    }
    // An address outside the cluster comes and goes through the node's external interface:
    // when the node has exactly one named host endpoint, that one.
    if let Some(ip) = remote
        && !is_cluster_address(model, ip)
        && let [only] = named().collect::<Vec<_>>().as_slice()
    {
        return Some(only.entity.id.clone());
    }
    heps.iter()
        .find(|e| e.entity.interface.as_deref() == Some("*"))
        .map(|e| e.entity.id.clone())
}

/// For `ip`, a workload's address on another node: the named host endpoint of `node` whose
/// address shares a subnet with that node (its Node addresses, else its host endpoints'
/// expected IPs).
fn via_peer_node<'a>(
    model: &Model,
    node: &str,
    ip: IpAddr,
    mut named: impl Iterator<Item = &'a &'a Arc<EntityState>>,
) -> Option<EntityId> {
    let peer = model
        .entities_containing(ip)
        .into_iter()
        .find(|e| e.entity.kind == EntityKind::Workload)?
        .entity
        .node
        .clone()?;
    if peer == node {
        return None;
    }
    let mut peer_addrs: Vec<IpAddr> = model
        .node(&peer)
        .map(|n| n.addresses.clone())
        .unwrap_or_default();
    for h in model.host_endpoints_on(&peer) {
        peer_addrs.extend(h.entity.addresses.iter().map(|a| a.addr()));
    }
    named
        .find(|h| {
            h.entity
                .addresses
                .iter()
                .any(|a| peer_addrs.iter().any(|p| near(a.addr(), *p)))
        })
        .map(|h| h.entity.id.clone())
}

/// An address a node, a workload or a host endpoint of the cluster owns.
fn is_cluster_address(model: &Model, ip: IpAddr) -> bool {
    model.nodes().values().any(|n| n.addresses.contains(&ip))
        || model
            .entities_containing(ip)
            .iter()
            .any(|e| e.entity.kind != EntityKind::NetworkSet)
}

impl Topology for ModelTopology {
    fn ingress_hep(
        &self,
        model: &Model,
        node: &str,
        from: Option<IpAddr>,
        to: Option<IpAddr>,
    ) -> Option<EntityId> {
        if let Some(v) = &self.via
            && model
                .entity(v)
                .is_some_and(|e| e.entity.node.as_deref() == Some(node))
        {
            return Some(v.clone());
        }
        pick(model, node, to, from)
    }

    fn egress_hep(
        &self,
        model: &Model,
        node: &str,
        from: Option<IpAddr>,
        to: Option<IpAddr>,
    ) -> Option<EntityId> {
        pick(model, node, from, to)
    }

    fn node_for(&self, model: &Model, _ip: IpAddr) -> Option<String> {
        self.via
            .as_ref()
            .and_then(|v| model.entity(v))
            .and_then(|e| e.entity.node.clone())
    }
}
