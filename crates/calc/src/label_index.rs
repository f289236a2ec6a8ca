//! Which entities each selector matches, kept up to date as entities and selectors change.
//!
//! Like Felix's label index, an entity update only evaluates the selectors that could match it:
//! each selector is filed under one necessary condition (a label value, else a label key), the
//! least crowded one, so the work per update depends on the selectors that mention the
//! entity's labels, not on how many selectors exist. Selectors with no usable condition (`all()`,
//! `!has(a)`, `a != 'x'`) are evaluated for every update.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tortie_selector::Selector;

use crate::ids::EntityId;

mod maps;
use maps::{ByKey, ByValue};

/// A selector's identity: its canonical text.
pub type SelectorKey = Arc<str>;

/// An entity's labels, shared between the model and the index.
pub type Labels = Arc<BTreeMap<String, String>>;

/// An entity id, interned: one allocation per entity however many sets hold it.
pub type EntityRef = Arc<EntityId>;

/// A change in a selector's members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    /// The entity now matches the selector.
    Added(SelectorKey, EntityRef),
    /// The entity no longer matches the selector.
    Removed(SelectorKey, EntityRef),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filing {
    Values,
    Key,
    Unindexed,
}

/// The buckets a selector is filed in: (label, value) pairs, or one (label, None).
type FiledUnder = Vec<(String, Option<String>)>;

struct SelectorEntry {
    selector: Selector,
    members: BTreeSet<EntityRef>,
    /// Changes whenever the members, or anything about a member, may have changed.
    stamp: u64,
    filing: Filing,
    filed_under: FiledUnder,
}

struct EntityEntry {
    id: EntityRef,
    labels: Labels,
    matched: HashSet<SelectorKey>,
}

/// An interned entity id compared and hashed by identity: the index holds one `Arc` per
/// entity, so identity is equality, and hashing a pointer is much cheaper than hashing ids.
#[derive(Clone)]
struct Interned(EntityRef);

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Interned {}

impl std::hash::Hash for Interned {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

/// A fresh stamp, unique in the process: a selector's stamp says "as of this change", and no
/// two indexes (a model rebuilt after a relist) ever hand out the same one, so a cache keyed
/// by stamps cannot confuse them.
#[must_use]
pub fn fresh_stamp() -> u64 {
    static STAMPS: AtomicU64 = AtomicU64::new(1);
    STAMPS.fetch_add(1, Ordering::Relaxed)
}

/// The index.
#[derive(Default)]
pub struct LabelIndex {
    selectors: HashMap<SelectorKey, SelectorEntry>,
    by_value: ByValue<SelectorKey>,
    by_key: ByKey<SelectorKey>,
    unindexed: HashSet<SelectorKey>,
    entities: HashMap<EntityRef, EntityEntry>,
    entities_by_value: ByValue<Interned>,
    entities_by_key: ByKey<Interned>,
}

impl LabelIndex {
    /// An empty index.
    #[must_use]
    pub fn new() -> LabelIndex {
        LabelIndex::default()
    }

    /// The key under which a selector is known.
    #[must_use]
    pub fn key_of(selector: &Selector) -> SelectorKey {
        Arc::from(selector.canonical())
    }

    /// Adds a selector (no-op if present); returns the key and the entities it matches.
    pub fn add_selector(
        &mut self,
        selector: &Selector,
        changes: &mut Vec<MembershipChange>,
    ) -> SelectorKey {
        let key = Self::key_of(selector);
        if self.selectors.contains_key(&key) {
            return key;
        }
        let (filing, filed_under) = self.filing_for(selector);
        for (k, v) in &filed_under {
            match v {
                Some(v) => self.by_value.insert(k, v, key.clone()),
                None => self.by_key.insert(k, key.clone()),
            }
        }
        if filing == Filing::Unindexed {
            self.unindexed.insert(key.clone());
        }
        let candidates = self.candidates_for(selector);
        let mut members = BTreeSet::new();
        for id in candidates {
            let entry = self.entities.get_mut(&*id).expect("indexed entity exists");
            if selector.matches(&*entry.labels) {
                entry.matched.insert(key.clone());
                changes.push(MembershipChange::Added(key.clone(), id.clone()));
                members.insert(id);
            }
        }
        self.selectors.insert(
            key.clone(),
            SelectorEntry {
                selector: selector.clone(),
                members,
                stamp: fresh_stamp(),
                filing,
                filed_under,
            },
        );
        key
    }

    /// Where to file a selector: under one of its necessary conditions (a label with one of
    /// some values, else a label that must be present), choosing the least crowded one, so
    /// that selectors sharing a common condition (`orchestrator == 'k8s'`) spread over their
    /// distinguishing labels and an entity update meets only the few that concern it.
    fn filing_for(&self, selector: &Selector) -> (Filing, FiledUnder) {
        let crowd = |k: &str, v: Option<&str>| -> usize {
            match v {
                Some(v) => self.by_value.get(k, v).map_or(0, HashSet::len),
                None => self.by_key.get(k).map_or(0, HashSet::len),
            }
        };
        // (crowd, key-only filing last, fewest values), how, where.
        let mut best: Option<((usize, u8, usize), Filing, FiledUnder)> = None;
        for (k, r) in selector.label_restrictions() {
            let option = match &r.must_have_one_of_values {
                Some(values) => {
                    let cost = values.iter().map(|v| crowd(&k, Some(v))).sum::<usize>();
                    let under = values
                        .iter()
                        .map(|v| (k.clone(), Some(v.clone())))
                        .collect();
                    ((cost, 0, values.len()), Filing::Values, under)
                }
                None if r.must_be_present => {
                    ((crowd(&k, None), 1, 1), Filing::Key, vec![(k, None)])
                }
                None => continue,
            };
            if best.as_ref().is_none_or(|b| option.0 < b.0) {
                best = Some(option);
            }
        }
        best.map_or((Filing::Unindexed, Vec::new()), |(_, f, under)| (f, under))
    }

    /// The entities a new selector has to be evaluated on: those meeting its most selective
    /// necessary condition, counted in entities (where it is filed is chosen by a different
    /// measure, the selectors already there, which serves entity updates). A Kubernetes
    /// policy's `projectcalico.org/orchestrator == 'k8s' && role == 'client'` is filed under
    /// whichever is rarer among selectors, but evaluated only on the clients.
    fn candidates_for(&self, selector: &Selector) -> Vec<EntityRef> {
        let mut best: Option<(usize, Vec<&HashSet<Interned>>)> = None;
        for (k, r) in selector.label_restrictions() {
            let buckets: Vec<&HashSet<Interned>> = match &r.must_have_one_of_values {
                Some(values) => values
                    .iter()
                    .filter_map(|v| self.entities_by_value.get(&k, v))
                    .collect(),
                None if r.must_be_present => self.entities_by_key.get(&k).into_iter().collect(),
                None => continue,
            };
            let count = buckets.iter().map(|b| b.len()).sum::<usize>();
            if best.as_ref().is_none_or(|(n, _)| count < *n) {
                best = Some((count, buckets));
            }
        }
        match best {
            Some((_, buckets)) => buckets.into_iter().flatten().map(|i| i.0.clone()).collect(),
            None => self.entities.keys().cloned().collect(),
        }
    }

    /// Removes a selector and its memberships.
    pub fn remove_selector(&mut self, key: &SelectorKey, changes: &mut Vec<MembershipChange>) {
        let Some(entry) = self.selectors.remove(key) else {
            return;
        };
        for (k, v) in &entry.filed_under {
            match v {
                Some(v) => self.by_value.remove(k, v, key),
                None => self.by_key.remove(k, key),
            }
        }
        if entry.filing == Filing::Unindexed {
            self.unindexed.remove(key);
        }
        for id in entry.members {
            if let Some(e) = self.entities.get_mut(&id) {
                e.matched.remove(key);
            }
            changes.push(MembershipChange::Removed(key.clone(), id));
        }
    }

    fn unfile_entity(&mut self, id: &EntityRef, labels: &BTreeMap<String, String>) {
        let id = Interned(Arc::clone(id));
        let id = &id;
        for (k, v) in labels {
            self.entities_by_value.remove(k, v, id);
            self.entities_by_key.remove(k, id);
        }
    }

    /// Adds or updates an entity's labels and re-evaluates only the selectors that could
    /// change their mind about it.
    pub fn update_entity(
        &mut self,
        id: &EntityId,
        labels: Labels,
        changes: &mut Vec<MembershipChange>,
    ) {
        let previous = self.entities.remove(id);
        if let Some(p) = &previous
            && p.labels == labels
        {
            let p = previous.expect("checked");
            self.entities.insert(p.id.clone(), p);
            return;
        }
        if let Some(p) = &previous {
            self.unfile_entity(&p.id, &p.labels);
        }
        let (id, old_matched) = match previous {
            Some(p) => (p.id, p.matched),
            None => (Arc::new(id.clone()), HashSet::new()),
        };
        let mut candidates: HashSet<SelectorKey> = self.unindexed.clone();
        for (k, v) in labels.iter() {
            if let Some(s) = self.by_value.get(k, v) {
                candidates.extend(s.iter().cloned());
            }
            if let Some(s) = self.by_key.get(k) {
                candidates.extend(s.iter().cloned());
            }
            self.entities_by_value.insert(k, v, Interned(id.clone()));
            self.entities_by_key.insert(k, Interned(id.clone()));
        }
        candidates.extend(old_matched.iter().cloned());
        let mut matched = HashSet::new();
        for key in candidates {
            let entry = self.selectors.get_mut(&key).expect("filed selector exists");
            let now = entry.selector.matches(&*labels);
            let before = old_matched.contains(&key);
            if now {
                matched.insert(key.clone());
            }
            match (before, now) {
                (false, true) => {
                    entry.members.insert(id.clone());
                    entry.stamp = fresh_stamp();
                    changes.push(MembershipChange::Added(key, id.clone()));
                }
                (true, false) => {
                    entry.members.remove(&id);
                    entry.stamp = fresh_stamp();
                    changes.push(MembershipChange::Removed(key, id.clone()));
                }
                _ => {}
            }
        }
        self.entities.insert(
            id.clone(),
            EntityEntry {
                id,
                labels,
                matched,
            },
        );
    }

    /// Removes an entity from every selector.
    pub fn remove_entity(&mut self, id: &EntityId, changes: &mut Vec<MembershipChange>) {
        let Some(entry) = self.entities.remove(id) else {
            return;
        };
        self.unfile_entity(&entry.id, &entry.labels);
        for key in entry.matched {
            if let Some(s) = self.selectors.get_mut(&key) {
                s.members.remove(id);
                s.stamp = fresh_stamp();
            }
            changes.push(MembershipChange::Removed(key, entry.id.clone()));
        }
    }

    /// Marks every selector an entity matches as changed: the entity's addresses or ports
    /// (which the index does not see) may be new.
    pub fn touch_entity(&mut self, id: &EntityId) {
        let Some(entry) = self.entities.get(id) else {
            return;
        };
        for key in &entry.matched {
            if let Some(s) = self.selectors.get_mut(key) {
                s.stamp = fresh_stamp();
            }
        }
    }

    /// The stamp of a selector's members: equal stamps mean equal members with equal
    /// contents (`None` if the selector is not indexed).
    #[must_use]
    pub fn stamp(&self, key: &str) -> Option<u64> {
        self.selectors.get(key).map(|e| e.stamp)
    }

    /// The entities a selector matches (empty if unknown).
    #[must_use]
    pub fn members(&self, key: &str) -> Option<&BTreeSet<EntityRef>> {
        self.selectors.get(key).map(|e| &e.members)
    }

    /// The selectors an entity matches.
    #[must_use]
    pub fn matched_by(&self, id: &EntityId) -> Option<&HashSet<SelectorKey>> {
        self.entities.get(id).map(|e| &e.matched)
    }

    /// How many selectors are indexed.
    #[must_use]
    pub fn selector_count(&self) -> usize {
        self.selectors.len()
    }
}

#[cfg(test)]
mod tests;
