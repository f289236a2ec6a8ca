//! Sets filed by label key, or by label key and value, looked up by `&str` without allocating.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Sets filed under a label key and value.
pub(super) struct ByValue<T>(HashMap<String, HashMap<String, HashSet<T>>>);

impl<T> Default for ByValue<T> {
    fn default() -> Self {
        ByValue(HashMap::new())
    }
}

impl<T: Eq + Hash> ByValue<T> {
    pub(super) fn get(&self, key: &str, value: &str) -> Option<&HashSet<T>> {
        self.0.get(key)?.get(value)
    }

    pub(super) fn insert(&mut self, key: &str, value: &str, item: T) {
        let values = match self.0.get_mut(key) {
            Some(v) => v,
            None => self.0.entry(key.to_string()).or_default(),
        };
        match values.get_mut(value) {
            Some(set) => {
                set.insert(item);
            }
            None => {
                values.insert(value.to_string(), HashSet::from([item]));
            }
        }
    }

    pub(super) fn remove(&mut self, key: &str, value: &str, item: &T) {
        let Some(values) = self.0.get_mut(key) else {
            return;
        };
        if let Some(set) = values.get_mut(value) {
            set.remove(item);
            if set.is_empty() {
                values.remove(value);
            }
        }
        if values.is_empty() {
            self.0.remove(key);
        }
    }
}

/// Sets filed under a label key.
pub(super) struct ByKey<T>(HashMap<String, HashSet<T>>);

impl<T> Default for ByKey<T> {
    fn default() -> Self {
        ByKey(HashMap::new())
    }
}

impl<T: Eq + Hash> ByKey<T> {
    pub(super) fn get(&self, key: &str) -> Option<&HashSet<T>> {
        self.0.get(key)
    }

    pub(super) fn insert(&mut self, key: &str, item: T) {
        match self.0.get_mut(key) {
            Some(set) => {
                set.insert(item);
            }
            None => {
                self.0.insert(key.to_string(), HashSet::from([item]));
            }
        }
    }

    pub(super) fn remove(&mut self, key: &str, item: &T) {
        if let Some(set) = self.0.get_mut(key) {
            set.remove(item);
            if set.is_empty() {
                self.0.remove(key);
            }
        }
    }
}
