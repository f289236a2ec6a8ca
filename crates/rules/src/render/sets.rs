//! The named sets rules refer to: the addresses a selector matches, the (address, protocol,
//! port) triples of a named port, a Service's backends. Each set is computed once per render
//! and named by a hash of what it stands for, so equal sets are shared and a membership
//! change shows up as element deltas on an unchanged name.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;
use tortie_calc::Model;
use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::resolve::policy::ServiceRef;
use tortie_selector::Selector;

use crate::ir::{Family, Set, SetType};
use crate::names;
use crate::nft::{net_text, protocol_text};

/// The sets one render needs.
pub struct SetBook<'m> {
    model: &'m Model,
    /// The sets made so far, by name.
    pub sets: BTreeMap<String, Set>,
}

fn family_nets(nets: impl IntoIterator<Item = IpNet>, family: Family) -> BTreeSet<String> {
    let nets: Vec<IpNet> = nets
        .into_iter()
        .filter(|n| Family::of(n) == family)
        .map(|n| n.trunc())
        .collect();
    // Interval sets refuse overlapping elements: merge first.
    IpNet::aggregate(&nets).iter().map(net_text).collect()
}

impl<'m> SetBook<'m> {
    /// An empty book over a model.
    #[must_use]
    pub fn new(model: &'m Model) -> SetBook<'m> {
        SetBook {
            model,
            sets: BTreeMap::new(),
        }
    }

    fn put(&mut self, name: &str, kind: SetType, elements: impl FnOnce() -> BTreeSet<String>) {
        if !self.sets.contains_key(name) {
            let elements = elements();
            self.sets.insert(name.to_string(), Set { kind, elements });
        }
    }

    /// The addresses of everything a selector matches (network sets by their networks).
    pub fn selector(&mut self, sel: &Selector, family: Family) -> String {
        let name = names::selector_set(family, sel.canonical());
        let model = self.model;
        self.put(&name, SetType::Nets(family), || {
            family_nets(
                model
                    .members(sel)
                    .into_iter()
                    .flat_map(|e| e.entity.addresses.iter().copied()),
                family,
            )
        });
        name
    }

    /// `(address . protocol . port)` of the endpoints (matching `sel`, or all) that expose a
    /// named port (of the rule's protocol, when it has one).
    pub fn named_port(
        &mut self,
        sel: Option<&Selector>,
        port_name: &str,
        protocol: Option<u8>,
        family: Family,
    ) -> String {
        let key = format!(
            "named:{}:{port_name}:{}",
            sel.map_or("", |s| s.canonical()),
            protocol.map_or(String::new(), |p| p.to_string())
        );
        let name = names::port_set(family, &key);
        let model = self.model;
        self.put(&name, SetType::AddrProtoPort(family), || {
            let endpoints: Vec<_> = match sel {
                Some(s) => model.members(s),
                None => model.entities().collect(),
            };
            let mut out = BTreeSet::new();
            for e in endpoints {
                if e.entity.kind == EntityKind::NetworkSet {
                    continue;
                }
                for p in
                    e.entity.ports.iter().filter(|p| {
                        p.name == port_name && protocol.is_none_or(|rp| rp == p.protocol)
                    })
                {
                    for a in
                        e.entity.addresses.iter().filter(|a| {
                            Family::of(a) == family && a.prefix_len() == a.max_prefix_len()
                        })
                    {
                        out.insert(format!(
                            "{} . {} . {}",
                            a.addr(),
                            protocol_text(p.protocol),
                            p.port
                        ));
                    }
                }
            }
            out
        });
        name
    }

    /// The addresses of a Service's backends (a `services:` source).
    pub fn service_sources(&mut self, svc: &ServiceRef, family: Family) -> String {
        let name = names::selector_set(family, &format!("svc-src:{}/{}", svc.namespace, svc.name));
        let model = self.model;
        self.put(&name, SetType::Nets(family), || match model.service(svc) {
            Some(s) => family_nets(
                model
                    .service_backends(s)
                    .into_iter()
                    .flat_map(|b| b.entity.addresses.iter().copied()),
                family,
            ),
            None => BTreeSet::new(),
        });
        name
    }

    /// `(backend address . protocol . backend port)` of a Service (a `services:` destination).
    pub fn service_destinations(&mut self, svc: &ServiceRef, family: Family) -> String {
        let name = names::port_set(family, &format!("svc-dst:{}/{}", svc.namespace, svc.name));
        let model = self.model;
        self.put(&name, SetType::AddrProtoPort(family), || {
            let mut out = BTreeSet::new();
            let Some(s) = model.service(svc) else {
                return out;
            };
            for b in model.service_backends(s) {
                for sp in &s.ports {
                    let Some(port) = Model::backend_port(b, &sp.target, sp.protocol) else {
                        continue;
                    };
                    for a in b
                        .entity
                        .addresses
                        .iter()
                        .filter(|a| Family::of(a) == family)
                    {
                        out.insert(format!(
                            "{} . {} . {port}",
                            a.addr(),
                            protocol_text(sp.protocol)
                        ));
                    }
                }
            }
            out
        });
        name
    }
}
