//! Resolving the two ends of a flow to endpoints, hosts or external addresses.

use std::net::IpAddr;

use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::{EntityId, Model};

use crate::decision::PeerSummary;
use crate::flow::Peer;

/// What a peer turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerKind {
    /// A workload (with or without an address).
    Workload(EntityId),
    /// A node's host network namespace; `hep` when a host endpoint was named.
    Host {
        /// The node.
        node: String,
        /// The host endpoint named, if any.
        hep: Option<EntityId>,
    },
    /// Not a Calico endpoint or node.
    External,
}

/// A resolved peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// What it is.
    pub kind: PeerKind,
    /// Its address, if it has one.
    pub ip: Option<IpAddr>,
    /// Its node.
    pub node: Option<String>,
    /// For people.
    pub description: String,
}

impl Resolved {
    /// The summary shown in decisions.
    #[must_use]
    pub fn summary(&self) -> PeerSummary {
        PeerSummary {
            description: self.description.clone(),
            address: self.ip.map(|i| i.to_string()),
            node: self.node.clone(),
        }
    }

    /// The workload entity, if a workload.
    #[must_use]
    pub fn workload(&self) -> Option<&EntityId> {
        match &self.kind {
            PeerKind::Workload(id) => Some(id),
            _ => None,
        }
    }
}

fn node_addresses(model: &Model, node: &str) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = model
        .node(node)
        .map(|n| n.addresses.clone())
        .unwrap_or_default();
    for e in model.host_endpoints_on(node) {
        out.extend(
            e.entity
                .addresses
                .iter()
                .filter(|a| a.prefix_len() == a.max_prefix_len())
                .map(ipnet::IpNet::addr),
        );
    }
    out
}

/// The node's address on the same subnet (/24, /64) as `to`, if it has one.
pub(crate) fn node_address_toward(model: &Model, node: &str, to: IpAddr) -> Option<IpAddr> {
    node_addresses(model, node)
        .into_iter()
        .find(|a| crate::topology::near(*a, to))
}

fn prefer(addrs: &[IpAddr], v6: Option<bool>) -> Option<IpAddr> {
    match v6 {
        Some(v6) => addrs
            .iter()
            .find(|a| a.is_ipv6() == v6)
            .or(addrs.first())
            .copied(),
        None => addrs.first().copied(),
    }
}

/// Resolves a peer; `v6` prefers an address family (from the other end).
///
/// # Errors
/// An endpoint or node the model does not know.
pub fn resolve(model: &Model, peer: &Peer, v6: Option<bool>) -> Result<Resolved, String> {
    match peer {
        Peer::Entity(id) => {
            let e = model
                .entity(id)
                .ok_or_else(|| format!("{id} is not in the model"))?;
            let addrs: Vec<IpAddr> = e.entity.addresses.iter().map(ipnet::IpNet::addr).collect();
            let ip = prefer(&addrs, v6);
            match e.entity.kind {
                EntityKind::Workload => Ok(Resolved {
                    kind: PeerKind::Workload(id.clone()),
                    ip,
                    node: e.entity.node.clone(),
                    description: e.entity.source.clone(),
                }),
                EntityKind::Host => {
                    let node = e.entity.node.clone().unwrap_or_default();
                    Ok(Resolved {
                        kind: PeerKind::Host {
                            node: node.clone(),
                            hep: Some(id.clone()),
                        },
                        ip,
                        node: Some(node.clone()),
                        description: e.entity.source.clone(),
                    })
                }
                EntityKind::NetworkSet => Err(format!(
                    "{id} is a set of networks, not an endpoint: give one of its addresses"
                )),
            }
        }
        Peer::Node(name) => {
            let addrs = node_addresses(model, name);
            if addrs.is_empty() && model.node(name).is_none() {
                return Err(format!(
                    "node `{name}` is not known (no Node resource and no host endpoint names it)"
                ));
            }
            Ok(Resolved {
                kind: PeerKind::Host {
                    node: name.clone(),
                    hep: None,
                },
                ip: prefer(&addrs, v6),
                node: Some(name.clone()),
                description: format!("node {name}"),
            })
        }
        Peer::Ip(ip) => {
            let owners = model.entities_containing(*ip);
            let exact = owners.iter().find(|e| {
                e.entity.kind != EntityKind::NetworkSet
                    && e.entity
                        .addresses
                        .iter()
                        .any(|a| a.addr() == *ip && a.prefix_len() == a.max_prefix_len())
            });
            if let Some(e) = exact {
                let mut r = resolve(model, &Peer::Entity(e.entity.id.clone()), None)?;
                r.ip = Some(*ip);
                return Ok(r);
            }
            if let Some(node) = model.nodes().values().find(|n| n.addresses.contains(ip)) {
                return Ok(Resolved {
                    kind: PeerKind::Host {
                        node: node.name.clone(),
                        hep: None,
                    },
                    ip: Some(*ip),
                    node: Some(node.name.clone()),
                    description: format!("node {}", node.name),
                });
            }
            let sets: Vec<String> = owners.iter().map(|e| e.entity.source.clone()).collect();
            let description = if let Some(svc) = service_at(model, *ip) {
                svc
            } else if sets.is_empty() {
                format!("external {ip}")
            } else {
                format!("external {ip} (in {})", sets.join(", "))
            };
            Ok(Resolved {
                kind: PeerKind::External,
                ip: Some(*ip),
                node: None,
                description,
            })
        }
    }
}

/// Names the Service an address belongs to (kube-proxy answers for it on every node).
pub(crate) fn service_at(model: &Model, ip: IpAddr) -> Option<String> {
    model.services().find_map(|svc| {
        let what = if svc.cluster_ips.contains(&ip) {
            "cluster address"
        } else if svc.external_ips.contains(&ip) {
            "external or load-balancer address"
        } else {
            return None;
        };
        Some(format!("Service {}/{} ({what})", svc.namespace, svc.name))
    })
}
