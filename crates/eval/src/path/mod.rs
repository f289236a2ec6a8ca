//! The path of a flow through the checkpoints Calico puts on it, and the decision.

mod host;
pub mod peers;
mod service;
mod steps;

use std::net::IpAddr;

use tortie_calc::Model;

use crate::decision::{Decision, Step, StepVerdict, Verdict};
use crate::flow::{DEFAULT_SRC_PORT, Flow, Packet, Peer, protocol_name};
use crate::topology::Topology;
use peers::{PeerKind, Resolved, resolve};
use steps::Walk;

/// Decides a flow: allowed only if every checkpoint on its path allows it.
///
/// # Errors
/// An endpoint or node the model does not know.
pub fn decide(model: &Model, flow: &Flow, topology: &dyn Topology) -> Result<Decision, String> {
    let dst_hint = match &flow.dst {
        Peer::Ip(ip) => Some(ip.is_ipv6()),
        _ => None,
    };
    let mut src = resolve(model, &flow.src, dst_hint)?;
    let dst = resolve(model, &flow.dst, src.ip.map(|i| i.is_ipv6()).or(dst_hint))?;
    // A node sends from its address on the destination's subnet (the kernel's source address
    // for a connected route), not from its first address.
    if let (PeerKind::Host { node, hep: None }, Some(d)) = (&src.kind, dst.ip)
        && let Some(a) = peers::node_address_toward(model, node, d)
    {
        src.ip = Some(a);
    }
    let pkt = Packet {
        src_ip: src.ip,
        dst_ip: dst.ip,
        src_entity: src.workload().cloned().or_else(|| host_entity(&src)),
        dst_entity: dst.workload().cloned().or_else(|| host_entity(&dst)),
        protocol: flow.protocol,
        src_port: flow
            .src_port
            .or(Some(DEFAULT_SRC_PORT))
            .filter(|_| crate::flow::has_ports(flow.protocol)),
        dst_port: flow.dst_port,
        icmp: flow.icmp,
    };
    if matches!(
        (&src.kind, &dst.kind),
        (PeerKind::External, PeerKind::External)
    ) && let Some(ip) = dst.ip
        && topology.node_for(model, ip).is_none()
        && let Some(svc) = peers::service_at(model, ip)
    {
        return Err(format!(
            "{ip} is an address of {svc}: traffic from outside reaches it through a node, so say which host endpoint receives it (--via hep/NAME)"
        ));
    }
    let mut walk = Walk::new(model, topology, flow.backend.clone());
    if src.ip.is_none() || dst.ip.is_none() {
        walk.note("an endpoint known only from a pod template has no address: rules on nets and notNets never match it, and selectors match it by its labels".into());
    }
    walk.note("connection tracking: only the first packet of a connection is evaluated; established and related packets are allowed before any policy, and packets conntrack finds INVALID are dropped".into());
    if same_end(&src, &dst) {
        walk.push(Step::info(
            "local",
            pkt.to_string(),
            StepVerdict::Allow,
            "source and destination are the same endpoint: the packet never leaves it".into(),
        ));
    } else {
        match &src.kind {
            PeerKind::Workload(_) => walk.walk_from_workload(&src, &dst, pkt),
            PeerKind::Host { .. } => walk.walk_from_host(&src, &dst, pkt),
            PeerKind::External => walk.walk_from_external(&dst, pkt),
        }
    }
    let traffic = traffic(flow);
    Ok(walk.finish(src.summary(), dst.summary(), traffic))
}

fn host_entity(r: &Resolved) -> Option<tortie_calc::EntityId> {
    match &r.kind {
        PeerKind::Host { hep, .. } => hep.clone(),
        _ => None,
    }
}

fn same_end(a: &Resolved, b: &Resolved) -> bool {
    match (&a.kind, &b.kind) {
        (PeerKind::Workload(x), PeerKind::Workload(y)) => x == y,
        (PeerKind::Host { node: x, .. }, PeerKind::Host { node: y, .. }) => x == y,
        _ => false,
    }
}

fn traffic(flow: &Flow) -> String {
    let mut t = protocol_name(flow.protocol);
    if let Some(p) = flow.dst_port {
        t.push_str(&format!(" port {p}"));
    }
    if let Some(p) = flow.src_port {
        t.push_str(&format!(" from port {p}"));
    }
    if let Some((ty, code)) = flow.icmp {
        t.push_str(&format!(" type {ty}"));
        if let Some(c) = code {
            t.push_str(&format!(" code {c}"));
        }
    }
    t
}

/// The verdict of a sequence of steps: denied if any step denied.
#[must_use]
pub fn verdict_of(steps: &[Step]) -> Verdict {
    if steps.iter().any(|s| s.verdict == StepVerdict::Deny) {
        Verdict::Deny
    } else {
        Verdict::Allow
    }
}

/// Whether an address belongs to the node (for node ports).
fn is_node_address(model: &Model, node: &str, ip: Option<IpAddr>) -> bool {
    let Some(ip) = ip else { return false };
    model.node(node).is_some_and(|n| n.addresses.contains(&ip))
        || model
            .host_endpoints_on(node)
            .iter()
            .any(|e| e.entity.contains(ip))
}
