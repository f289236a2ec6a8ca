//! The named sets rules refer to: the addresses a selector matches, the (address, protocol,
//! port) triples of a named port, a Service's backends. Each set is computed once per render
//! and named by a hash of what it stands for, so equal sets are shared and a membership
//! change shows up as element deltas on an unchanged name.
//!
//! An address set holding only single addresses is a plain set (`cali40s-`); one holding a
//! network too is an interval set (`cali40c-`). nft reads every element of every interval set
//! in the table before it adds or deletes any element, so keeping interval sets to those that
//! need them keeps an update's cost independent of how many pods the node's selectors match.
//!
//! Building a selector's set means walking its members and printing their addresses, which for
//! a node's thousands of selected pods is most of a render. A [`SetCache`] carried from one
//! render to the next keeps each set's elements with the model's stamp for what they were built
//! from, so only the sets whose members (or members' contents) changed are built again. The
//! result is the same with or without it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ipnet::IpNet;
use tortie_calc::Model;
use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::resolve::policy::ServiceRef;
use tortie_selector::Selector;

use crate::ir::{Family, Set, SetType};
use crate::names;
use crate::nft::{net_text, protocol_text};

/// Set elements kept between renders: by set name, with the stamp of what they were built
/// from ([`Model::selector_stamp`], [`Model::entities_stamp`]).
#[derive(Clone, Debug, Default)]
pub struct SetCache {
    /// By what the set stands for (selector and family, named port, ...): stamp, name, set.
    sets: HashMap<String, (u64, String, Set)>,
}

impl SetCache {
    /// How many sets are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether nothing is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

/// The sets one render needs.
pub struct SetBook<'m> {
    model: &'m Model,
    /// The sets made so far, by name.
    pub sets: BTreeMap<String, Set>,
    /// The name of each set made so far, by what it stands for.
    names: HashMap<String, String>,
    /// What the previous render left.
    earlier: SetCache,
    /// What this render used, to hand to the next one (sets no longer used are dropped).
    kept: SetCache,
}

/// The set of a family's addresses among `nets`: plain when all are single addresses, else
/// an interval set with overlaps merged (interval sets refuse them).
fn address_set(nets: impl IntoIterator<Item = IpNet>, family: Family) -> Set {
    let nets: Vec<IpNet> = nets
        .into_iter()
        .filter(|n| Family::of(n) == family)
        .map(|n| n.trunc())
        .collect();
    if nets.iter().all(|n| n.prefix_len() == n.max_prefix_len()) {
        Set {
            kind: SetType::Hosts(family),
            elements: Arc::new(nets.iter().map(net_text).collect()),
        }
    } else {
        Set {
            kind: SetType::Nets(family),
            elements: Arc::new(IpNet::aggregate(&nets).iter().map(net_text).collect()),
        }
    }
}

/// The name of an address set for `key`, by its type.
fn address_set_name(family: Family, key: &str, set: &Set) -> String {
    match set.kind {
        SetType::Nets(_) => names::selector_net_set(family, key),
        _ => names::selector_set(family, key),
    }
}

impl<'m> SetBook<'m> {
    /// An empty book over a model.
    #[must_use]
    pub fn new(model: &'m Model) -> SetBook<'m> {
        SetBook::with_cache(model, SetCache::default())
    }

    /// A book that reuses the elements of sets whose stamp has not moved since `earlier`.
    #[must_use]
    pub fn with_cache(model: &'m Model, earlier: SetCache) -> SetBook<'m> {
        SetBook {
            model,
            sets: BTreeMap::new(),
            names: HashMap::new(),
            earlier,
            kept: SetCache::default(),
        }
    }

    /// The sets of this render, and the cache for the next one (the sets this one used;
    /// those it no longer uses are dropped, so the cache never outgrows the ruleset).
    #[must_use]
    pub fn into_cache(self) -> (BTreeMap<String, Set>, SetCache) {
        (self.sets, self.kept)
    }

    /// The set standing for `key`, made unless this render made it already, and named by
    /// `name_of` once its type is known. `stamp`, when there is one, stands for everything
    /// `build` reads: the set of an earlier render with the same stamp is reused.
    fn put(
        &mut self,
        key: String,
        stamp: Option<u64>,
        name_of: impl FnOnce(&Set) -> String,
        build: impl FnOnce() -> Set,
    ) -> String {
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let (name, set) = match (stamp, self.earlier.sets.remove(&key)) {
            (Some(now), Some((then, name, set))) if now == then => (name, set),
            _ => {
                let set = build();
                (name_of(&set), set)
            }
        };
        if let Some(stamp) = stamp {
            self.kept
                .sets
                .insert(key.clone(), (stamp, name.clone(), set.clone()));
        }
        self.names.insert(key, name.clone());
        self.sets.insert(name.clone(), set);
        name
    }

    /// The addresses of everything a selector matches (network sets by their networks).
    pub fn selector(&mut self, sel: &Selector, family: Family) -> String {
        let model = self.model;
        let key = format!("sel:{}:{}", family.digit(), sel.canonical());
        self.put(
            key,
            model.selector_stamp(sel),
            |set| address_set_name(family, sel.canonical(), set),
            || {
                address_set(
                    model
                        .members(sel)
                        .into_iter()
                        .flat_map(|e| e.entity.addresses.iter().copied()),
                    family,
                )
            },
        )
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
        let model = self.model;
        let stamp = match sel {
            Some(s) => model.selector_stamp(s),
            None => Some(model.entities_stamp()),
        };
        let name = names::port_set(family, &key);
        self.put(
            format!("{}:{key}", family.digit()),
            stamp,
            |_| name,
            || {
                let endpoints: Vec<_> = match sel {
                    Some(s) => model.members(s),
                    None => model.entities().collect(),
                };
                let mut out = BTreeSet::new();
                for e in endpoints {
                    if e.entity.kind == EntityKind::NetworkSet {
                        continue;
                    }
                    for p in e.entity.ports.iter().filter(|p| {
                        p.name == port_name && protocol.is_none_or(|rp| rp == p.protocol)
                    }) {
                        for a in e.entity.addresses.iter().filter(|a| {
                            Family::of(a) == family && a.prefix_len() == a.max_prefix_len()
                        }) {
                            out.insert(format!(
                                "{} . {} . {}",
                                a.addr(),
                                protocol_text(p.protocol),
                                p.port
                            ));
                        }
                    }
                }
                Set {
                    kind: SetType::AddrProtoPort(family),
                    elements: Arc::new(out),
                }
            },
        )
    }

    /// The addresses of a Service's backends (a `services:` source).
    pub fn service_sources(&mut self, svc: &ServiceRef, family: Family) -> String {
        let model = self.model;
        let key = format!("svc-src:{}/{}", svc.namespace, svc.name);
        self.put(
            format!("{}:{key}", family.digit()),
            None,
            |set| address_set_name(family, &key, set),
            || {
                let backends = model
                    .service(svc)
                    .map(|s| model.service_backends(s))
                    .unwrap_or_default();
                address_set(
                    backends
                        .into_iter()
                        .flat_map(|b| b.entity.addresses.iter().copied()),
                    family,
                )
            },
        )
    }

    /// `(backend address . protocol . backend port)` of a Service (a `services:` destination).
    pub fn service_destinations(&mut self, svc: &ServiceRef, family: Family) -> String {
        let model = self.model;
        let key = format!("svc-dst:{}/{}", svc.namespace, svc.name);
        let name = names::port_set(family, &key);
        self.put(
            format!("{}:{key}", family.digit()),
            None,
            |_| name,
            || {
                let mut out = BTreeSet::new();
                if let Some(s) = model.service(svc) {
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
                }
                Set {
                    kind: SetType::AddrProtoPort(family),
                    elements: Arc::new(out),
                }
            },
        )
    }
}
