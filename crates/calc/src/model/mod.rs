//! The resolved model, updated one resource at a time.
//!
//! ```text
//!  Resource updates ──► real objects ─┐
//!                      Kubernetes ────┴─► derived objects / templates (kube-controllers' view)
//!                                          │ effective object per key
//!                                          ▼
//!        tiers · policies · profiles · entities (effective labels) · services · nodes · felix
//!                                          │
//!                      LabelIndex: every policy and rule selector ↔ the entities it matches
//! ```
//!
//! Only what a change touches is recomputed: a pod's labels re-evaluate the selectors that could
//! match it; a namespace's labels re-label the endpoints that inherit them; a policy registers
//! and unregisters its selectors.

mod addresses;
mod queries;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tortie_model::kinds::felix::FelixConfigurationSpec;
use tortie_model::{Kind, Resource};

use crate::ids::{EntityId, PolicyId, PolicyKind};
use crate::label_index::{LabelIndex, Labels, MembershipChange, SelectorKey};
use crate::resolve::entity::{self, Entity, effective_labels};
use crate::resolve::expand::{Contribution, contributions};
use crate::resolve::policy::{Policy, ServiceRef, resolve_global, resolve_namespaced};
use crate::resolve::service::{self, Service};
use crate::resolve::{Profile, Tier, profile, tier};

use addresses::AddressIndex;
pub use queries::{NodeInfo, TierRun};

/// An object's identity in the model.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Kind.
    pub kind: Kind,
    /// Namespace (empty for cluster-wide kinds).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl Key {
    /// The key of a resource.
    #[must_use]
    pub fn of(r: &Resource) -> Key {
        let m = r.metadata();
        let namespace = if r.kind().is_namespaced() {
            m.namespace.clone()
        } else {
            String::new()
        };
        Key {
            kind: r.kind(),
            namespace,
            name: m.name.clone(),
        }
    }
}

/// What a Kubernetes object contributed, to be withdrawn when it changes.
#[derive(Clone, Debug)]
enum Contributed {
    Object(Key),
    Template(EntityId),
}

/// An entity with the labels selectors see (its own plus those inherited from profiles).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityState {
    /// The entity.
    pub entity: Entity,
    /// Effective labels (shared with the label index).
    pub labels: Labels,
}

/// The resolved model.
pub struct Model {
    interface_prefix: String,
    /// Calico objects as given.
    real: BTreeMap<Key, Resource>,
    /// What each Kubernetes object contributed (the objects themselves are not kept).
    contributed: BTreeMap<Key, Vec<Contributed>>,
    /// Namespaces that exist as objects.
    namespaces: BTreeSet<String>,
    derived: BTreeMap<Key, Resource>,
    /// Namespaces used by Kubernetes objects, with the objects using them: Kubernetes always
    /// has a Namespace for its objects, so one is assumed when none is given.
    namespace_users: BTreeMap<String, BTreeSet<Key>>,
    tiers: BTreeMap<String, Tier>,
    policies: BTreeMap<PolicyId, Arc<Policy>>,
    unusable: BTreeMap<PolicyId, String>,
    profiles: BTreeMap<String, Arc<Profile>>,
    entities: BTreeMap<EntityId, Arc<EntityState>>,
    services: BTreeMap<ServiceRef, Arc<Service>>,
    felix: BTreeMap<String, FelixConfigurationSpec>,
    nodes: BTreeMap<String, NodeInfo>,
    index: LabelIndex,
    selector_refs: BTreeMap<SelectorKey, usize>,
    policies_by_selector: BTreeMap<SelectorKey, BTreeSet<PolicyId>>,
    profile_users: BTreeMap<String, BTreeSet<EntityId>>,
    changes: Vec<MembershipChange>,
    recording: bool,
    addresses: AddressIndex,
    /// Host endpoints by node.
    host_endpoints: BTreeMap<String, BTreeSet<EntityId>>,
    /// Changes whenever any entity does (see [`Model::entities_stamp`]).
    entities_stamp: u64,
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

impl Model {
    /// An empty model.
    #[must_use]
    pub fn new() -> Model {
        Model {
            interface_prefix: "cali".into(),
            real: BTreeMap::new(),
            contributed: BTreeMap::new(),
            namespaces: BTreeSet::new(),
            derived: BTreeMap::new(),
            namespace_users: BTreeMap::new(),
            tiers: BTreeMap::new(),
            policies: BTreeMap::new(),
            unusable: BTreeMap::new(),
            profiles: BTreeMap::new(),
            entities: BTreeMap::new(),
            services: BTreeMap::new(),
            felix: BTreeMap::new(),
            nodes: BTreeMap::new(),
            index: LabelIndex::new(),
            selector_refs: BTreeMap::new(),
            policies_by_selector: BTreeMap::new(),
            profile_users: BTreeMap::new(),
            changes: Vec::new(),
            recording: false,
            addresses: AddressIndex::default(),
            host_endpoints: BTreeMap::new(),
            entities_stamp: crate::label_index::fresh_stamp(),
        }
    }

    /// A model of a set of resources.
    #[must_use]
    pub fn from_resources<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Model {
        let mut m = Model::new();
        for r in resources {
            m.set(Key::of(r), Some(r.clone()));
        }
        m
    }

    /// Applies one change: `Some` creates or replaces the object, `None` deletes it.
    pub fn set(&mut self, key: Key, value: Option<Resource>) {
        self.apply(key, value);
        self.settle_changes();
    }

    fn apply(&mut self, key: Key, value: Option<Resource>) {
        if key.kind.is_calico() {
            match value {
                Some(v) => self.real.insert(key.clone(), v),
                None => self.real.remove(&key),
            };
            self.effective_changed(&key);
            return;
        }
        if key.kind == Kind::Service {
            let sref = ServiceRef {
                namespace: key.namespace.clone(),
                name: key.name.clone(),
            };
            match &value {
                Some(Resource::Service(s)) => {
                    self.services.insert(sref, Arc::new(service::from_k8s(s)))
                }
                _ => self.services.remove(&sref),
            };
        }
        self.note_namespace_user(&key, value.is_some());
        let new_contribs = value
            .as_ref()
            .map(|v| contributions(v, &self.interface_prefix))
            .unwrap_or_default();
        // Kubernetes objects themselves are not kept: only what they contribute is.
        if key.kind == Kind::Namespace {
            if value.is_some() {
                self.namespaces.insert(key.name.clone());
            } else {
                self.namespaces.remove(&key.name);
            }
        }
        let old_contribs = self.contributed.remove(&key).unwrap_or_default();
        let mut touched = BTreeSet::new();
        for c in old_contribs {
            match c {
                Contributed::Object(k) => {
                    self.derived.remove(&k);
                    touched.insert(k);
                }
                Contributed::Template(id) => self.set_entity(&id, None),
            }
        }
        let mut now = Vec::with_capacity(new_contribs.len());
        for c in new_contribs {
            match c {
                Contribution::Object(r) => {
                    let k = Key::of(&r);
                    self.derived.insert(k.clone(), *r);
                    now.push(Contributed::Object(k.clone()));
                    touched.insert(k);
                }
                Contribution::Template(e) => {
                    let id = e.id.clone();
                    self.set_entity(&id, Some(*e));
                    now.push(Contributed::Template(id));
                }
            }
        }
        if !now.is_empty() {
            self.contributed.insert(key, now);
        }
        for k in touched {
            self.effective_changed(&k);
        }
    }

    /// The object that counts for a key: a real one wins over one derived from Kubernetes,
    /// which wins over the profile of a namespace assumed to exist.
    fn effective(&self, key: &Key) -> Option<Resource> {
        self.real
            .get(key)
            .or_else(|| self.derived.get(key))
            .cloned()
            .or_else(|| self.implicit_namespace_profile(key))
    }

    fn implicit_namespace_profile(&self, key: &Key) -> Option<Resource> {
        let ns = key
            .name
            .strip_prefix("kns.")
            .filter(|_| key.kind == Kind::Profile)?;
        if self.namespace_users.get(ns).is_none_or(BTreeSet::is_empty) {
            return None;
        }
        let namespace = tortie_model::k8s::core::Namespace {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            metadata: tortie_model::meta::ObjectMeta {
                name: ns.to_string(),
                labels: BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_string(),
                    ns.to_string(),
                )]),
                ..Default::default()
            },
            spec: None,
            status: None,
        };
        Some(Resource::Profile(Box::new(
            tortie_model::k8s::convert::namespace_to_profile(&namespace),
        )))
    }

    /// Records that a namespaced Kubernetes object exists (or no longer does), so that its
    /// namespace is assumed even without a Namespace object, as a cluster would have it.
    fn note_namespace_user(&mut self, key: &Key, present: bool) {
        if key.namespace.is_empty() {
            return;
        }
        let users = self
            .namespace_users
            .entry(key.namespace.clone())
            .or_default();
        let was_used = !users.is_empty();
        if present {
            users.insert(key.clone());
        } else {
            users.remove(key);
        }
        let is_used = !users.is_empty();
        if users.is_empty() {
            self.namespace_users.remove(&key.namespace);
        }
        if was_used != is_used {
            let profile = Key {
                kind: Kind::Profile,
                namespace: String::new(),
                name: format!("kns.{}", key.namespace),
            };
            self.effective_changed(&profile);
        }
    }

    /// Namespaces that Kubernetes objects use but that have no Namespace object (the model
    /// assumes them, with only the `kubernetes.io/metadata.name` label).
    #[must_use]
    pub fn assumed_namespaces(&self) -> Vec<String> {
        self.namespace_users
            .iter()
            .filter(|(ns, users)| !users.is_empty() && !self.namespaces.contains(*ns))
            .map(|(ns, _)| ns.clone())
            .collect()
    }

    fn effective_changed(&mut self, key: &Key) {
        let value = self.effective(key);
        match key.kind {
            Kind::Tier => match &value {
                Some(Resource::Tier(t)) => {
                    self.tiers.insert(key.name.clone(), tier(t));
                }
                _ => {
                    self.tiers.remove(&key.name);
                }
            },
            Kind::NetworkPolicy
            | Kind::GlobalNetworkPolicy
            | Kind::StagedNetworkPolicy
            | Kind::StagedGlobalNetworkPolicy
            | Kind::StagedKubernetesNetworkPolicy => {
                self.set_policy(key, value.as_ref());
            }
            Kind::Profile => self.set_profile(&key.name, value.as_ref()),
            Kind::WorkloadEndpoint
            | Kind::HostEndpoint
            | Kind::NetworkSet
            | Kind::GlobalNetworkSet => {
                let id = entity_id(key);
                let e = value.as_ref().and_then(|r| match r {
                    Resource::WorkloadEndpoint(w) => Some(entity::from_workload_endpoint(w)),
                    Resource::HostEndpoint(h) => Some(entity::from_host_endpoint(h)),
                    Resource::NetworkSet(n) => Some(entity::from_network_set(&n.metadata, &n.spec)),
                    Resource::GlobalNetworkSet(n) => {
                        Some(entity::from_global_network_set(&n.metadata, &n.spec))
                    }
                    _ => None,
                });
                self.set_entity(&id, e);
            }
            Kind::FelixConfiguration => match &value {
                Some(Resource::FelixConfiguration(f)) => {
                    self.felix.insert(key.name.clone(), f.spec.clone());
                }
                _ => {
                    self.felix.remove(&key.name);
                }
            },
            Kind::Node => match &value {
                Some(Resource::Node(n)) => {
                    self.nodes.insert(key.name.clone(), queries::node_info(n));
                }
                _ => {
                    self.nodes.remove(&key.name);
                }
            },
            _ => {}
        }
    }

    fn register(&mut self, sel: &tortie_selector::Selector) -> SelectorKey {
        let key = self.index.add_selector(sel, &mut self.changes);
        *self.selector_refs.entry(key.clone()).or_default() += 1;
        key
    }

    fn unregister(&mut self, sel: &tortie_selector::Selector) {
        let key = LabelIndex::key_of(sel);
        if let Some(n) = self.selector_refs.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.selector_refs.remove(&key);
                self.index.remove_selector(&key, &mut self.changes);
            }
        }
    }

    fn rule_selectors(rules: &[crate::resolve::policy::Rule]) -> Vec<tortie_selector::Selector> {
        rules
            .iter()
            .flat_map(|r| [&r.source, &r.destination])
            .flat_map(|e| [e.selector.clone(), e.not_selector.clone()])
            .flatten()
            .collect()
    }

    fn policy_selectors(p: &Policy) -> Vec<tortie_selector::Selector> {
        let mut out = Self::rule_selectors(p.ingress.as_deref().unwrap_or_default());
        out.extend(Self::rule_selectors(
            p.egress.as_deref().unwrap_or_default(),
        ));
        out
    }

    fn set_policy(&mut self, key: &Key, value: Option<&Resource>) {
        let kind = match key.kind {
            Kind::GlobalNetworkPolicy => PolicyKind::GlobalNetworkPolicy,
            Kind::StagedNetworkPolicy => PolicyKind::StagedNetworkPolicy,
            Kind::StagedGlobalNetworkPolicy => PolicyKind::StagedGlobalNetworkPolicy,
            Kind::StagedKubernetesNetworkPolicy => PolicyKind::StagedKubernetesNetworkPolicy,
            _ => PolicyKind::NetworkPolicy,
        };
        let id = PolicyId {
            kind,
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        };
        // The old version's selectors are released only after the new version's are taken, so
        // a selector both use keeps its members instead of being dropped and evaluated again
        // over every entity (an update that changes a port must not cost a full re-match).
        let old = self.policies.remove(&id);
        if let Some(old) = &old {
            let sel_key = LabelIndex::key_of(&old.selector);
            if let Some(set) = self.policies_by_selector.get_mut(&sel_key) {
                set.remove(&id);
                if set.is_empty() {
                    self.policies_by_selector.remove(&sel_key);
                }
            }
        }
        self.unusable.remove(&id);
        let resolved = match value {
            Some(Resource::NetworkPolicy(p)) => resolve_namespaced(kind, p, None),
            Some(Resource::StagedNetworkPolicy(p)) => {
                let spec = (&p.spec).into();
                let obj = tortie_model::kinds::Object {
                    api_version: p.api_version.clone(),
                    kind: p.kind.clone(),
                    metadata: p.metadata.clone(),
                    spec,
                    status: None,
                };
                resolve_namespaced(kind, &obj, Some(p.spec.staged_action.unwrap_or_default()))
            }
            Some(Resource::GlobalNetworkPolicy(p)) => resolve_global(kind, p, None),
            Some(Resource::StagedGlobalNetworkPolicy(p)) => {
                let spec = (&p.spec).into();
                let obj = tortie_model::kinds::Object {
                    api_version: p.api_version.clone(),
                    kind: p.kind.clone(),
                    metadata: p.metadata.clone(),
                    spec,
                    status: None,
                };
                resolve_global(kind, &obj, Some(p.spec.staged_action.unwrap_or_default()))
            }
            Some(Resource::StagedKubernetesNetworkPolicy(p)) => {
                let conv = tortie_model::k8s::convert::staged_k8s_policy_to_calico(p).policy;
                let spec = (&conv.spec).into();
                let obj = tortie_model::kinds::Object {
                    api_version: conv.api_version.clone(),
                    kind: conv.kind.clone(),
                    metadata: conv.metadata.clone(),
                    spec,
                    status: None,
                };
                resolve_namespaced(
                    kind,
                    &obj,
                    Some(conv.spec.staged_action.unwrap_or_default()),
                )
            }
            _ => Ok(None),
        };
        match resolved {
            Ok(Some(policy)) => {
                let sel_key = self.register(&policy.selector);
                for s in Self::policy_selectors(&policy) {
                    self.register(&s);
                }
                self.policies_by_selector
                    .entry(sel_key)
                    .or_default()
                    .insert(id.clone());
                self.policies.insert(id, Arc::new(policy));
            }
            Ok(None) => {}
            Err(reason) => {
                self.unusable.insert(id, reason);
            }
        }
        if let Some(old) = old {
            self.unregister(&old.selector);
            for s in Self::policy_selectors(&old) {
                self.unregister(&s);
            }
        }
    }

    fn set_profile(&mut self, name: &str, value: Option<&Resource>) {
        // As for policies: the old selectors are released after the new ones are taken.
        let old = self.profiles.remove(name);
        if let Some(Resource::Profile(p)) = value
            && let Ok(resolved) = profile(p)
        {
            for s in Self::rule_selectors(&resolved.ingress)
                .into_iter()
                .chain(Self::rule_selectors(&resolved.egress))
            {
                self.register(&s);
            }
            self.profiles.insert(name.to_string(), Arc::new(resolved));
        }
        if let Some(old) = old {
            for s in Self::rule_selectors(&old.ingress)
                .into_iter()
                .chain(Self::rule_selectors(&old.egress))
            {
                self.unregister(&s);
            }
        }
        // Endpoints inheriting the profile's labels see new labels.
        for id in self.profile_users.get(name).cloned().unwrap_or_default() {
            if let Some(state) = self.entities.get(&id).cloned() {
                self.set_entity(&id, Some(state.entity.clone()));
            }
        }
    }

    fn set_entity(&mut self, id: &EntityId, e: Option<Entity>) {
        self.entities_stamp = crate::label_index::fresh_stamp();
        if let Some(old) = self.entities.remove(id) {
            self.addresses.remove(id);
            if let Some(node) = &old.entity.node
                && let Some(set) = self.host_endpoints.get_mut(node)
            {
                set.remove(id);
                if set.is_empty() {
                    self.host_endpoints.remove(node);
                }
            }
            for p in &old.entity.profiles {
                if let Some(users) = self.profile_users.get_mut(p) {
                    users.remove(id);
                }
            }
        }
        match e {
            None => {
                self.index.remove_entity(id, &mut self.changes);
                self.addresses.remove(id);
            }
            Some(e) => {
                let inherited: Vec<&BTreeMap<String, String>> = e
                    .profiles
                    .iter()
                    .filter_map(|p| self.profiles.get(p))
                    .map(|p| &p.labels)
                    .collect();
                let labels = Arc::new(effective_labels(&e.labels, &inherited));
                for p in &e.profiles {
                    self.profile_users
                        .entry(p.clone())
                        .or_default()
                        .insert(id.clone());
                }
                self.index
                    .update_entity(id, Arc::clone(&labels), &mut self.changes);
                self.index.touch_entity(id);
                self.addresses.insert(id, &e.addresses);
                if e.kind == crate::resolve::entity::EntityKind::Host
                    && let Some(node) = &e.node
                {
                    self.host_endpoints
                        .entry(node.clone())
                        .or_default()
                        .insert(id.clone());
                }
                self.entities
                    .insert(id.clone(), Arc::new(EntityState { entity: e, labels }));
            }
        }
    }

    /// Starts (or stops) recording selector membership changes for [`Model::take_changes`].
    /// Off by default: a model nobody drains must not grow.
    pub fn record_changes(&mut self, on: bool) {
        self.recording = on;
        if !on {
            self.changes = Vec::new();
        }
    }

    /// Selector membership changes since the last call (for the dataplane's IP sets), when
    /// recording.
    pub fn take_changes(&mut self) -> Vec<MembershipChange> {
        std::mem::take(&mut self.changes)
    }

    /// Drops the membership changes just made unless they are being recorded.
    fn settle_changes(&mut self) {
        if !self.recording {
            self.changes.clear();
        }
    }
}

fn entity_id(key: &Key) -> EntityId {
    match key.kind {
        Kind::HostEndpoint => EntityId::Host {
            name: key.name.clone(),
        },
        Kind::NetworkSet => EntityId::NetworkSet {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        },
        Kind::GlobalNetworkSet => EntityId::GlobalNetworkSet {
            name: key.name.clone(),
        },
        _ => EntityId::Workload {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        },
    }
}
