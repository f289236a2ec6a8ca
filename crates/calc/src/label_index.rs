//! Which entities each selector matches, kept up to date as entities and selectors change.
//!
//! Like Felix's label index, an entity update only evaluates the selectors that could match it:
//! each selector is filed under its most selective necessary condition (a label value, else a
//! label key), so the work per update depends on the selectors that mention the entity's
//! labels, not on how many selectors exist. Selectors with no usable condition (`all()`,
//! `!has(a)`, `a != 'x'`) are evaluated for every update.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use tortie_selector::Selector;

use crate::ids::EntityId;

/// A selector's identity: its canonical text.
pub type SelectorKey = Arc<str>;

/// A change in a selector's members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    /// The entity now matches the selector.
    Added(SelectorKey, EntityId),
    /// The entity no longer matches the selector.
    Removed(SelectorKey, EntityId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filing {
    Values,
    Key,
    Unindexed,
}

struct SelectorEntry {
    selector: Selector,
    members: BTreeSet<EntityId>,
    filing: Filing,
    filed_under: Vec<(String, Option<String>)>,
}

struct EntityEntry {
    labels: BTreeMap<String, String>,
    matched: HashSet<SelectorKey>,
}

/// The index.
#[derive(Default)]
pub struct LabelIndex {
    selectors: HashMap<SelectorKey, SelectorEntry>,
    by_value: HashMap<(String, String), HashSet<SelectorKey>>,
    by_key: HashMap<String, HashSet<SelectorKey>>,
    unindexed: HashSet<SelectorKey>,
    entities: HashMap<EntityId, EntityEntry>,
    entities_by_value: HashMap<(String, String), HashSet<EntityId>>,
    entities_by_key: HashMap<String, HashSet<EntityId>>,
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
        let restrictions = selector.label_restrictions();
        // File under the label with the fewest allowed values, else any required label.
        let by_values = restrictions
            .iter()
            .filter_map(|(k, r)| r.must_have_one_of_values.as_ref().map(|v| (k, v)))
            .min_by_key(|(_, v)| v.len());
        let (filing, filed_under): (Filing, Vec<(String, Option<String>)>) =
            if let Some((k, values)) = by_values {
                (
                    Filing::Values,
                    values
                        .iter()
                        .map(|v| (k.clone(), Some(v.clone())))
                        .collect(),
                )
            } else if let Some((k, _)) = restrictions.iter().find(|(_, r)| r.must_be_present) {
                (Filing::Key, vec![(k.clone(), None)])
            } else {
                (Filing::Unindexed, Vec::new())
            };
        for (k, v) in &filed_under {
            match v {
                Some(v) => self
                    .by_value
                    .entry((k.clone(), v.clone()))
                    .or_default()
                    .insert(key.clone()),
                None => self
                    .by_key
                    .entry(k.clone())
                    .or_default()
                    .insert(key.clone()),
            };
        }
        if filing == Filing::Unindexed {
            self.unindexed.insert(key.clone());
        }
        let candidates: Vec<EntityId> = match filing {
            Filing::Values => filed_under
                .iter()
                .filter_map(|(k, v)| {
                    self.entities_by_value
                        .get(&(k.clone(), v.clone().unwrap_or_default()))
                })
                .flatten()
                .cloned()
                .collect(),
            Filing::Key => self
                .entities_by_key
                .get(&filed_under[0].0)
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            Filing::Unindexed => self.entities.keys().cloned().collect(),
        };
        let mut members = BTreeSet::new();
        for id in candidates {
            let entry = self.entities.get_mut(&id).expect("indexed entity exists");
            if selector.matches(&entry.labels) {
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
                filing,
                filed_under,
            },
        );
        key
    }

    /// Removes a selector and its memberships.
    pub fn remove_selector(&mut self, key: &SelectorKey, changes: &mut Vec<MembershipChange>) {
        let Some(entry) = self.selectors.remove(key) else {
            return;
        };
        for (k, v) in &entry.filed_under {
            let set = match v {
                Some(v) => self.by_value.get_mut(&(k.clone(), v.clone())),
                None => self.by_key.get_mut(k),
            };
            if let Some(s) = set {
                s.remove(key);
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

    fn unfile_entity(&mut self, id: &EntityId, labels: &BTreeMap<String, String>) {
        for (k, v) in labels {
            if let Some(s) = self.entities_by_value.get_mut(&(k.clone(), v.clone())) {
                s.remove(id);
            }
            if let Some(s) = self.entities_by_key.get_mut(k) {
                s.remove(id);
            }
        }
    }

    /// Adds or updates an entity's labels and re-evaluates only the selectors that could
    /// change their mind about it.
    pub fn update_entity(
        &mut self,
        id: &EntityId,
        labels: BTreeMap<String, String>,
        changes: &mut Vec<MembershipChange>,
    ) {
        let previous = self.entities.remove(id);
        if let Some(p) = &previous {
            if p.labels == labels {
                self.entities.insert(id.clone(), previous.expect("checked"));
                return;
            }
            self.unfile_entity(id, &p.labels);
        }
        let old_matched = previous.map(|p| p.matched).unwrap_or_default();
        let mut candidates: HashSet<SelectorKey> = self.unindexed.clone();
        for (k, v) in &labels {
            if let Some(s) = self.by_value.get(&(k.clone(), v.clone())) {
                candidates.extend(s.iter().cloned());
            }
            if let Some(s) = self.by_key.get(k) {
                candidates.extend(s.iter().cloned());
            }
            self.entities_by_value
                .entry((k.clone(), v.clone()))
                .or_default()
                .insert(id.clone());
            self.entities_by_key
                .entry(k.clone())
                .or_default()
                .insert(id.clone());
        }
        candidates.extend(old_matched.iter().cloned());
        let mut matched = HashSet::new();
        for key in candidates {
            let entry = self.selectors.get_mut(&key).expect("filed selector exists");
            let now = entry.selector.matches(&labels);
            let before = old_matched.contains(&key);
            if now {
                matched.insert(key.clone());
            }
            match (before, now) {
                (false, true) => {
                    entry.members.insert(id.clone());
                    changes.push(MembershipChange::Added(key, id.clone()));
                }
                (true, false) => {
                    entry.members.remove(id);
                    changes.push(MembershipChange::Removed(key, id.clone()));
                }
                _ => {}
            }
        }
        self.entities
            .insert(id.clone(), EntityEntry { labels, matched });
    }

    /// Removes an entity from every selector.
    pub fn remove_entity(&mut self, id: &EntityId, changes: &mut Vec<MembershipChange>) {
        let Some(entry) = self.entities.remove(id) else {
            return;
        };
        self.unfile_entity(id, &entry.labels);
        for key in entry.matched {
            if let Some(s) = self.selectors.get_mut(&key) {
                s.members.remove(id);
            }
            changes.push(MembershipChange::Removed(key, id.clone()));
        }
    }

    /// The entities a selector matches (empty if unknown).
    #[must_use]
    pub fn members(&self, key: &str) -> Option<&BTreeSet<EntityId>> {
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
