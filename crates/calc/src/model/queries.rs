//! Reading the model: entities, the ordered tiers and policies that apply to an endpoint,
//! selector members, services and their backends, nodes, Felix settings.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use tortie_model::kinds::Object;
use tortie_model::kinds::felix::FelixConfigurationSpec;
use tortie_model::kinds::infra::NodeSpec;
use tortie_selector::Selector;

use super::{EntityState, Model};
use crate::ids::{Direction, EntityId, PolicyId};
use crate::label_index::LabelIndex;
use crate::resolve::entity::EntityKind;
use crate::resolve::policy::{OrderKey, Policy, ServiceRef};
use crate::resolve::service::{Service, Target};
use crate::resolve::{Profile, Tier, missing_tier};

/// A node: its name and the addresses it is known by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeInfo {
    /// Name.
    pub name: String,
    /// Addresses from the Node resource (BGP addresses and `spec.addresses`).
    pub addresses: Vec<IpAddr>,
}

fn strip_len(s: &str) -> Option<IpAddr> {
    s.split('/').next().and_then(|a| a.trim().parse().ok())
}

pub(super) fn node_info(n: &Object<NodeSpec>) -> NodeInfo {
    let mut addresses = Vec::new();
    if let Some(bgp) = &n.spec.bgp {
        addresses.extend(strip_len(&bgp.ipv4_address));
        addresses.extend(strip_len(&bgp.ipv6_address));
    }
    for a in &n.spec.addresses {
        if let Some(ip) = strip_len(&a.address)
            && !addresses.contains(&ip)
        {
            addresses.push(ip);
        }
    }
    NodeInfo {
        name: n.metadata.name.clone(),
        addresses,
    }
}

/// One tier's policies that apply to an endpoint, in evaluation order.
#[derive(Clone, Debug)]
pub struct TierRun {
    /// The tier.
    pub tier: Tier,
    /// Its policies that select the endpoint, in order.
    pub policies: Vec<Arc<Policy>>,
}

fn json_merge(base: &mut serde_json::Value, over: serde_json::Value) {
    if let (Some(b), serde_json::Value::Object(o)) = (base.as_object_mut(), over) {
        for (k, v) in o {
            b.insert(k, v);
        }
    }
}

impl Model {
    /// One entity.
    #[must_use]
    pub fn entity(&self, id: &EntityId) -> Option<&Arc<EntityState>> {
        self.entities.get(id)
    }

    /// Every entity, in id order.
    pub fn entities(&self) -> impl Iterator<Item = &Arc<EntityState>> {
        self.entities.values()
    }

    /// Every usable policy, in id order.
    pub fn policies(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.values()
    }

    /// One policy.
    #[must_use]
    pub fn policy(&self, id: &PolicyId) -> Option<&Arc<Policy>> {
        self.policies.get(id)
    }

    /// Policies Felix would ignore, and why.
    #[must_use]
    pub fn unusable_policies(&self) -> &BTreeMap<PolicyId, String> {
        &self.unusable
    }

    /// A profile.
    #[must_use]
    pub fn profile(&self, name: &str) -> Option<&Arc<Profile>> {
        self.profiles.get(name)
    }

    /// A tier (a policy may name a tier that does not exist: it sorts last and ends in Deny).
    #[must_use]
    pub fn tier(&self, name: &str) -> Tier {
        self.tiers
            .get(name)
            .cloned()
            .unwrap_or_else(|| missing_tier(name))
    }

    /// A Service.
    #[must_use]
    pub fn service(&self, r: &ServiceRef) -> Option<&Arc<Service>> {
        self.services.get(r)
    }

    /// Every Service.
    pub fn services(&self) -> impl Iterator<Item = &Arc<Service>> {
        self.services.values()
    }

    /// A node.
    #[must_use]
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.nodes.get(name)
    }

    /// Every node, by name.
    #[must_use]
    pub fn nodes(&self) -> &BTreeMap<String, NodeInfo> {
        &self.nodes
    }

    /// The Felix settings for a node: `default`, overridden field by field by `node.<name>`.
    #[must_use]
    pub fn felix_for(&self, node: &str) -> FelixConfigurationSpec {
        let to_json = |s: &FelixConfigurationSpec| serde_json::to_value(s).unwrap_or_default();
        let mut merged = self
            .felix
            .get("default")
            .map_or_else(|| serde_json::json!({}), to_json);
        if let Some(n) = self.felix.get(&format!("node.{node}")) {
            json_merge(&mut merged, to_json(n));
        }
        serde_json::from_value(merged).unwrap_or_default()
    }

    /// Every policy (any stage, staged or not) whose selector matches the entity.
    #[must_use]
    pub fn policies_selecting(&self, id: &EntityId) -> Vec<Arc<Policy>> {
        let Some(matched) = self.index.matched_by(id) else {
            return Vec::new();
        };
        let mut out: Vec<Arc<Policy>> = matched
            .iter()
            .filter_map(|k| self.policies_by_selector.get(k))
            .flatten()
            .filter_map(|pid| self.policies.get(pid).cloned())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The tiers and policies, in evaluation order, that apply to an entity in a direction,
    /// keeping only policies `keep` accepts (by stage, staged-ness, apply-on-forward). A tier
    /// takes part only if one of its kept policies governs the direction.
    #[must_use]
    pub fn tiers_for(
        &self,
        id: &EntityId,
        direction: Direction,
        keep: &dyn Fn(&Policy) -> bool,
    ) -> Vec<TierRun> {
        let mut by_tier: BTreeMap<String, Vec<Arc<Policy>>> = BTreeMap::new();
        for p in self.policies_selecting(id) {
            if keep(&p) && p.rules(direction).is_some() {
                by_tier.entry(p.tier.clone()).or_default().push(p);
            }
        }
        let mut runs: Vec<TierRun> = by_tier
            .into_iter()
            .map(|(name, mut policies)| {
                policies.sort_by_key(|p| p.sort_key());
                TierRun {
                    tier: self.tier(&name),
                    policies,
                }
            })
            .collect();
        runs.sort_by(|a, b| {
            (OrderKey(a.tier.order), &a.tier.name).cmp(&(OrderKey(b.tier.order), &b.tier.name))
        });
        runs
    }

    /// A stamp that changes whenever the entities a selector matches, or any of their
    /// contents, may have changed; `None` when the selector is not in use (not indexed).
    /// What is computed from [`Model::members`] can be kept while the stamp stays.
    #[must_use]
    pub fn selector_stamp(&self, sel: &Selector) -> Option<u64> {
        self.index.stamp(&LabelIndex::key_of(sel))
    }

    /// A stamp that changes whenever any entity does; stamps are unique in the process, so a
    /// rebuilt model never repeats one.
    #[must_use]
    pub fn entities_stamp(&self) -> u64 {
        self.entities_stamp
    }

    /// The entities a selector matches, in id order (from the index when the selector is in
    /// use, else by evaluating it on every entity).
    #[must_use]
    pub fn members(&self, sel: &Selector) -> Vec<&Arc<EntityState>> {
        if let Some(m) = self.index.members(&LabelIndex::key_of(sel)) {
            return m.iter().filter_map(|id| self.entities.get(&**id)).collect();
        }
        self.entities
            .values()
            .filter(|e| sel.matches(&*e.labels))
            .collect()
    }

    /// The host endpoints of a node, in id order.
    #[must_use]
    pub fn host_endpoints_on(&self, node: &str) -> Vec<&Arc<EntityState>> {
        self.host_endpoints
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|id| self.entities.get(id))
            .collect()
    }

    /// Entities that own or contain an address; workloads and hosts before network sets.
    #[must_use]
    pub fn entities_containing(&self, ip: IpAddr) -> Vec<&Arc<EntityState>> {
        let mut out: Vec<&Arc<EntityState>> = self
            .addresses
            .containing(ip)
            .filter_map(|id| self.entities.get(id))
            .collect();
        out.sort_by(|a, b| {
            (a.entity.kind == EntityKind::NetworkSet, &a.entity.id)
                .cmp(&(b.entity.kind == EntityKind::NetworkSet, &b.entity.id))
        });
        out.dedup_by(|a, b| a.entity.id == b.entity.id);
        out
    }

    /// The workloads a Service sends traffic to (in its namespace, pod labels matching its
    /// selector).
    #[must_use]
    pub fn service_backends(&self, svc: &Service) -> Vec<&Arc<EntityState>> {
        let Some(selector) = &svc.selector else {
            return Vec::new();
        };
        self.entities
            .values()
            .filter(|e| {
                e.entity.kind == EntityKind::Workload
                    && e.entity.namespace.as_deref() == Some(&svc.namespace)
            })
            .filter(|e| {
                let labels = e.entity.pod_labels.as_ref().unwrap_or(&e.entity.labels);
                selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .collect()
    }

    /// A backend's port for a Service port (a named target resolves against its named ports).
    #[must_use]
    pub fn backend_port(backend: &EntityState, target: &Target, protocol: u8) -> Option<u16> {
        match target {
            Target::Number(n) => Some(*n),
            Target::Named(name) => backend
                .entity
                .ports
                .iter()
                .find(|p| &p.name == name && p.protocol == protocol)
                .map(|p| p.port),
        }
    }
}
