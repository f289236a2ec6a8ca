//! Does a rule match a packet? With the dataplane's semantics: a selector matches the addresses
//! of the entities it selects (a network set by containment, so an address inside a set's CIDR
//! matches); a `notSelector` alone matches any address outside that set (non-Calico addresses
//! too); a named port matches the (address, protocol, port) of the endpoints that expose it.

use std::net::IpAddr;

use ipnet::IpNet;
use tortie_calc::Model;
use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::resolve::policy::{EntityMatch, PortMatch, Rule};
use tortie_selector::Selector;

use crate::flow::{Packet, has_ports};

/// Which end of the packet an entity match looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The source.
    Source,
    /// The destination.
    Destination,
}

/// Whether the address (or, for an address-less endpoint, the endpoint itself) is in the set
/// of a selector: some entity owning or containing the address matches the selector. Looked up
/// by address, so the cost does not grow with the cluster.
pub fn in_selector(
    model: &Model,
    sel: &Selector,
    ip: Option<IpAddr>,
    entity: Option<&tortie_calc::EntityId>,
) -> bool {
    match ip {
        Some(ip) => model
            .entities_containing(ip)
            .iter()
            .any(|e| sel.matches(&*e.labels)),
        None => entity
            .and_then(|id| model.entity(id))
            .is_some_and(|e| sel.matches(&*e.labels)),
    }
}

fn net_match(nets: &[IpNet], ip: Option<IpAddr>) -> bool {
    ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
}

/// The (address, protocol, port) members of a named port: endpoints that match the entity's
/// positive selector (or all endpoints without one) and expose the name.
fn named_port_match(
    model: &Model,
    em: &EntityMatch,
    name: &str,
    rule_protocol: Option<u8>,
    pkt: &Packet,
    end: End,
) -> bool {
    let (ip, port, entity) = match end {
        End::Source => (pkt.src_ip, pkt.src_port, pkt.src_entity.as_ref()),
        End::Destination => (pkt.dst_ip, pkt.dst_port, pkt.dst_entity.as_ref()),
    };
    let Some(port) = port else { return false };
    // The endpoints that own the address (or the address-less endpoint itself), matching the
    // entity's positive selector if it has one, and exposing the name on that port.
    let owners: Vec<_> = match ip {
        Some(ip) => model
            .entities_containing(ip)
            .into_iter()
            .filter(|e| {
                e.entity.kind != EntityKind::NetworkSet
                    && e.entity
                        .addresses
                        .iter()
                        .any(|a| a.addr() == ip && a.prefix_len() == a.max_prefix_len())
            })
            .collect(),
        None => entity.and_then(|id| model.entity(id)).into_iter().collect(),
    };
    owners.iter().any(|e| {
        em.selector
            .as_ref()
            .is_none_or(|sel| sel.matches(&*e.labels))
            && e.entity.ports.iter().any(|p| {
                p.name == name
                    && p.port == port
                    && p.protocol == pkt.protocol
                    && rule_protocol.is_none_or(|rp| rp == p.protocol)
            })
    })
}

fn port_list_match(
    model: &Model,
    em: &EntityMatch,
    ports: &[PortMatch],
    rule_protocol: Option<u8>,
    pkt: &Packet,
    end: End,
) -> bool {
    let port = match end {
        End::Source => pkt.src_port,
        End::Destination => pkt.dst_port,
    };
    ports.iter().any(|p| match p {
        PortMatch::Range(a, b) => port.is_some_and(|p| (*a..=*b).contains(&p)),
        PortMatch::Named(n) => named_port_match(model, em, n, rule_protocol, pkt, end),
    })
}

fn service_match(model: &Model, em: &EntityMatch, pkt: &Packet, end: End) -> bool {
    let Some(sref) = &em.service else { return true };
    let Some(svc) = model.service(sref) else {
        return false;
    };
    let (ip, port, entity) = match end {
        End::Source => (pkt.src_ip, None, pkt.src_entity.as_ref()),
        End::Destination => (pkt.dst_ip, pkt.dst_port, pkt.dst_entity.as_ref()),
    };
    model.service_backends(svc).iter().any(|b| {
        let is_backend = match ip {
            Some(ip) => b.entity.contains(ip),
            None => entity == Some(&b.entity.id),
        };
        // As a destination, the packet must also go to one of the service's backend ports.
        is_backend
            && (end == End::Source
                || svc.ports.iter().any(|sp| {
                    sp.protocol == pkt.protocol
                        && Model::backend_port(b, &sp.target, sp.protocol) == port
                }))
    })
}

/// Whether one end of the packet satisfies an entity match.
pub fn entity_matches(
    model: &Model,
    em: &EntityMatch,
    rule_protocol: Option<u8>,
    pkt: &Packet,
    end: End,
) -> bool {
    let (ip, entity) = match end {
        End::Source => (pkt.src_ip, pkt.src_entity.as_ref()),
        End::Destination => (pkt.dst_ip, pkt.dst_entity.as_ref()),
    };
    if !em.nets.is_empty() && !net_match(&em.nets, ip) {
        return false;
    }
    if !em.not_nets.is_empty() && net_match(&em.not_nets, ip) {
        return false;
    }
    if let Some(sel) = &em.selector
        && !in_selector(model, sel, ip, entity)
    {
        return false;
    }
    if let Some(sel) = &em.not_selector
        && in_selector(model, sel, ip, entity)
    {
        return false;
    }
    if (!em.ports.is_empty() || !em.not_ports.is_empty()) && !has_ports(pkt.protocol) {
        return false;
    }
    if !em.ports.is_empty() && !port_list_match(model, em, &em.ports, rule_protocol, pkt, end) {
        return false;
    }
    if !em.not_ports.is_empty()
        && port_list_match(model, em, &em.not_ports, rule_protocol, pkt, end)
    {
        return false;
    }
    service_match(model, em, pkt, end)
}

fn icmp_match(want: (Option<u8>, Option<u8>), pkt: &Packet) -> bool {
    if !matches!(pkt.protocol, 1 | 58) {
        return false;
    }
    let Some((t, c)) = pkt.icmp else {
        return want.0.is_none();
    };
    want.0.is_none_or(|wt| wt == t) && want.1.is_none_or(|wc| Some(wc) == c)
}

/// Whether a rule's match criteria all hold for the packet.
pub fn rule_matches(model: &Model, rule: &Rule, pkt: &Packet) -> bool {
    if rule.ip_version.is_some_and(|v| v != pkt.ip_version()) {
        return false;
    }
    // A rule whose networks are all of the other family never matches this packet (Felix drops
    // them when rendering per family).
    for nets in [&rule.source.nets, &rule.destination.nets] {
        if !nets.is_empty()
            && !nets
                .iter()
                .any(|n| matches!((n, pkt.ip_version()), (IpNet::V4(_), 4) | (IpNet::V6(_), 6)))
        {
            return false;
        }
    }
    if rule.protocol.is_some_and(|p| p != pkt.protocol) {
        return false;
    }
    if rule.not_protocol.is_some_and(|p| p == pkt.protocol) {
        return false;
    }
    if let Some(want) = rule.icmp
        && !icmp_match(want, pkt)
    {
        return false;
    }
    if let Some(want) = rule.not_icmp
        && icmp_match(want, pkt)
    {
        return false;
    }
    entity_matches(model, &rule.source, rule.protocol, pkt, End::Source)
        && entity_matches(
            model,
            &rule.destination,
            rule.protocol,
            pkt,
            End::Destination,
        )
}
