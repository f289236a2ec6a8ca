//! Rendering: the resolved model of one node into the ruleset that enforces it.
//!
//! The layout follows Felix's nftables mode (see `docs/rendering.md`): base chains per hook
//! with conntrack fast paths first, dispatch chains that send a packet to its endpoint's chain
//! through a verdict map keyed by interface, endpoint chains that walk tiers and policies,
//! policy and profile chains, and sets for selectors and named ports.

mod base;
pub mod endpoint;
pub mod rules;
pub mod sets;

use std::collections::BTreeMap;
use std::sync::Arc;

use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::resolve::policy::{Policy, Stage as PolicyStage};
use tortie_calc::{ChainKind, Direction, EntityId, Model};
use tortie_model::kinds::felix::{EndpointToHostAction, ProtoPort};

use crate::ir::{Chain, Ruleset, VMap};
use crate::names::{self, EndpointChain, Stage};
use endpoint::{EndpointRender, endpoint_chain, runs};
use rules::{Owner, render_rule};
use sets::SetBook;
pub use sets::SetCache;

/// The per-node settings rendering reads (from FelixConfiguration `default` and `node.<name>`).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeConfig {
    /// The node.
    pub node: String,
    /// Workload interface prefixes (`cali`).
    pub interface_prefixes: Vec<String>,
    /// Failsafe inbound host ports.
    pub failsafe_inbound: Vec<ProtoPort>,
    /// Failsafe outbound host ports.
    pub failsafe_outbound: Vec<ProtoPort>,
    /// What happens to workload traffic to its own host after egress policy.
    pub endpoint_to_host: EndpointToHostAction,
    /// The Log action's prefix, before `%` specifiers are filled in.
    pub log_prefix: String,
}

impl NodeConfig {
    /// The settings of a node.
    #[must_use]
    pub fn of(model: &Model, node: &str) -> NodeConfig {
        let felix = model.felix_for(node);
        let prefixes: Vec<String> = felix
            .interface_prefix
            .as_deref()
            .unwrap_or("cali")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect();
        NodeConfig {
            node: node.to_string(),
            interface_prefixes: if prefixes.is_empty() {
                vec!["cali".into()]
            } else {
                prefixes
            },
            failsafe_inbound: felix.failsafe_inbound_host_ports(),
            failsafe_outbound: felix.failsafe_outbound_host_ports(),
            endpoint_to_host: felix.default_endpoint_to_host_action(),
            log_prefix: felix.log_prefix().to_string(),
        }
    }
}

/// Fills in Calico's log prefix specifiers: `%t` tier, `%k` kind, `%n` name, `%p`
/// namespace/name.
#[must_use]
pub fn log_prefix(template: &str, tier: &str, kind: &str, name: &str, full: &str) -> String {
    let text = template
        .replace("%t", tier)
        .replace("%k", kind)
        .replace("%n", name)
        .replace("%p", full);
    format!("{text}: ")
}

/// The log prefix of a policy's Log rules.
fn policy_log_prefix(template: &str, p: &Policy) -> String {
    let full = if p.id.namespace.is_empty() {
        p.id.name.clone()
    } else {
        format!("{}/{}", p.id.namespace, p.id.name)
    };
    log_prefix(template, &p.tier, p.id.kind.short(), &p.id.name, &full)
}

/// A workload or host endpoint of this node with the interface it is dispatched by.
struct Local<'m> {
    id: &'m EntityId,
    iface: &'m str,
}

fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// One host-endpoint chain to consider: the policies of this kind, this direction, in this
/// table, named as this endpoint chain, dispatched from this dispatch chain, with failsafe
/// ports from this table (if any).
type HostStage = (
    ChainKind,
    Direction,
    Stage,
    EndpointChain,
    &'static str,
    Option<Stage>,
);

struct Builder<'m> {
    model: &'m Model,
    cfg: NodeConfig,
    book: SetBook<'m>,
    chains: BTreeMap<String, Chain>,
    maps: BTreeMap<String, VMap>,
    /// The all-interfaces host endpoint's chain, by (stage, dispatch).
    stars: BTreeMap<(Stage, &'static str), String>,
}

impl Builder<'_> {
    fn add_endpoint(&mut self, name: String, r: EndpointRender, d: Direction) {
        for p in r.policies {
            self.add_policy(&p, d);
        }
        for profile in r.profiles {
            self.add_profile(&profile, d);
        }
        self.chains.insert(name, r.chain);
    }

    fn add_policy(&mut self, p: &Arc<Policy>, d: Direction) {
        let stage = match p.stage {
            PolicyStage::Untracked => Stage::Raw,
            PolicyStage::PreDnat => Stage::Mangle,
            PolicyStage::Normal => Stage::Filter,
        };
        let name = names::policy_chain(stage, &p.id, d);
        if self.chains.contains_key(&name) {
            return;
        }
        let prefix = policy_log_prefix(&self.cfg.log_prefix, p);
        let dir = match d {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let rules = p
            .rules(d)
            .unwrap_or_default()
            .iter()
            .flat_map(|r| {
                let label = format!("{} {dir} rule {}", p.id, r.index);
                render_rule(&mut self.book, r, Owner::Policy, &label, &prefix)
            })
            .collect();
        self.chains.insert(name, Chain { base: None, rules });
    }

    fn add_profile(&mut self, profile: &str, d: Direction) {
        let name = names::profile_chain(profile, d);
        if self.chains.contains_key(&name) {
            return;
        }
        let Some(p) = self.model.profile(profile) else {
            return;
        };
        let (rules, dir) = match d {
            Direction::Ingress => (&p.ingress, "ingress"),
            Direction::Egress => (&p.egress, "egress"),
        };
        let prefix = log_prefix(&self.cfg.log_prefix, "", "pro", profile, profile);
        let rules = rules
            .iter()
            .flat_map(|r| {
                let label = format!("Profile {profile} {dir} rule {}", r.index);
                render_rule(&mut self.book, r, Owner::Profile, &label, &prefix)
            })
            .collect();
        self.chains.insert(name, Chain { base: None, rules });
    }

    fn map_entry(&mut self, map: String, iface: &str, chain: &str) {
        self.maps
            .entry(map)
            .or_default()
            .elements
            .insert(iface.to_string(), chain.to_string());
    }

    fn workload(&mut self, w: &Local<'_>) {
        let model = self.model;
        for (d, which, what) in [
            (Direction::Ingress, EndpointChain::ToWorkload, "to-wl"),
            (Direction::Egress, EndpointChain::FromWorkload, "from-wl"),
        ] {
            let name = names::endpoint_chain(Stage::Filter, which, w.iface);
            let r = endpoint_chain(model, w.id, d, ChainKind::Workload, None);
            self.add_endpoint(name.clone(), r, d);
            self.map_entry(names::dispatch_map(Stage::Filter, what), w.iface, &name);
        }
    }

    /// Host endpoint chains. Normal policy always (a host endpoint with none denies all but
    /// failsafe); forward, pre-DNAT and untracked chains only where such policy applies (none
    /// means: not policed at that stage).
    fn host(&mut self, h: &Local<'_>) {
        let model = self.model;
        let star = h.iface == "*";
        let stages: [HostStage; 7] = [
            (
                ChainKind::HostNormal,
                Direction::Ingress,
                Stage::Filter,
                EndpointChain::FromHost,
                "from-hep",
                Some(Stage::Filter),
            ),
            (
                ChainKind::HostNormal,
                Direction::Egress,
                Stage::Filter,
                EndpointChain::ToHost,
                "to-hep",
                Some(Stage::Filter),
            ),
            (
                ChainKind::HostForward,
                Direction::Ingress,
                Stage::Filter,
                EndpointChain::FromHostForward,
                "from-hep-fwd",
                None,
            ),
            (
                ChainKind::HostForward,
                Direction::Egress,
                Stage::Filter,
                EndpointChain::ToHostForward,
                "to-hep-fwd",
                None,
            ),
            (
                ChainKind::HostPreDnat,
                Direction::Ingress,
                Stage::Mangle,
                EndpointChain::FromHost,
                "from-hep",
                Some(Stage::Mangle),
            ),
            (
                ChainKind::HostUntracked,
                Direction::Ingress,
                Stage::Raw,
                EndpointChain::FromHost,
                "from-hep",
                Some(Stage::Raw),
            ),
            (
                ChainKind::HostUntracked,
                Direction::Egress,
                Stage::Raw,
                EndpointChain::ToHost,
                "to-hep",
                Some(Stage::Raw),
            ),
        ];
        for (kind, d, stage, which, what, failsafe) in stages {
            if kind != ChainKind::HostNormal && runs(model, h.id, d, kind).is_empty() {
                continue;
            }
            // doNotTrack policy does not apply to the all-interfaces host endpoint.
            if star && kind == ChainKind::HostUntracked {
                continue;
            }
            let name = names::endpoint_chain(stage, which, h.iface);
            let r = endpoint_chain(
                model,
                h.id,
                d,
                kind,
                failsafe.map(|s| names::failsafe_chain(s, d)),
            );
            self.add_endpoint(name.clone(), r, d);
            if star {
                self.stars.insert((stage, what), name);
            } else {
                self.map_entry(names::dispatch_map(stage, what), h.iface, &name);
            }
        }
    }
}

/// The host's interfaces and their addresses, as the agent reads them; a host endpoint
/// without `interfaceName` applies to every interface holding one of its `expectedIPs`.
pub type HostInterfaces = BTreeMap<String, Vec<std::net::IpAddr>>;

/// The endpoints of a node: workloads by interface, then host endpoints; ids sorted, and one
/// endpoint per interface (the first by id).
fn locals<'m>(
    model: &'m Model,
    node: &str,
    ifaces: &'m HostInterfaces,
) -> (Vec<Local<'m>>, Vec<Local<'m>>) {
    let mut seen = std::collections::BTreeSet::new();
    let mut workloads = Vec::new();
    for e in model.entities() {
        if e.entity.kind != EntityKind::Workload || e.entity.node.as_deref() != Some(node) {
            continue;
        }
        if let Some(iface) = e.entity.interface.as_deref().filter(|i| valid_ifname(i))
            && seen.insert(iface)
        {
            workloads.push(Local {
                id: &e.entity.id,
                iface,
            });
        }
    }
    let mut hosts = Vec::new();
    for e in model.host_endpoints_on(node) {
        let named = e.entity.interface.as_deref();
        let claimed: Vec<&'m str> = match named {
            Some(i) if i == "*" || valid_ifname(i) => vec![i],
            Some(_) => Vec::new(),
            // As Felix: the interfaces that carry one of the expected addresses.
            None => ifaces
                .iter()
                .filter(|(name, addrs)| {
                    valid_ifname(name) && addrs.iter().any(|a| e.entity.contains(*a))
                })
                .map(|(name, _)| name.as_str())
                .collect(),
        };
        for iface in claimed {
            if seen.insert(iface) {
                hosts.push(Local {
                    id: &e.entity.id,
                    iface,
                });
            }
        }
    }
    (workloads, hosts)
}

/// Renders the ruleset for one node, knowing none of its interfaces (host endpoints without
/// `interfaceName` then apply nowhere).
#[must_use]
pub fn render(model: &Model, node: &str) -> Ruleset {
    render_with(model, node, &HostInterfaces::new())
}

/// Renders the ruleset for one node whose interfaces are `ifaces`.
#[must_use]
pub fn render_with(model: &Model, node: &str, ifaces: &HostInterfaces) -> Ruleset {
    render_cached(model, node, ifaces, &mut SetCache::default())
}

/// [`render_with`], reusing the set elements of the previous render where the model says they
/// cannot have changed, and leaving in `cache` what the next render can reuse. The ruleset is
/// the same as `render_with`'s.
#[must_use]
pub fn render_cached(
    model: &Model,
    node: &str,
    ifaces: &HostInterfaces,
    cache: &mut SetCache,
) -> Ruleset {
    let mut b = Builder {
        model,
        cfg: NodeConfig::of(model, node),
        book: SetBook::with_cache(model, std::mem::take(cache)),
        chains: BTreeMap::new(),
        maps: BTreeMap::new(),
        stars: BTreeMap::new(),
    };
    let (workloads, hosts) = locals(model, node, ifaces);
    for w in &workloads {
        b.workload(w);
    }
    for h in &hosts {
        b.host(h);
    }
    base::add_base_chains(&mut b.chains, &mut b.maps, &b.stars, &b.cfg);
    let (sets, kept) = b.book.into_cache();
    *cache = kept;
    Ruleset {
        sets,
        maps: b.maps,
        chains: b.chains,
    }
}
