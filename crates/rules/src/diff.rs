//! Transactions: the nft script that creates a ruleset from nothing (replacing whatever table
//! is there, atomically), and the script that turns one ruleset into the next touching only
//! what changed: set and map elements by delta, changed chains flushed and rewritten, new
//! objects added before anything refers to them and old ones deleted after nothing does.

use std::fmt::Write as _;

use crate::ir::Ruleset;
use crate::names::TABLE;
use crate::nft;

/// What a transaction does, for metrics and logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Chains created.
    pub chains_added: usize,
    /// Existing chains rewritten.
    pub chains_rewritten: usize,
    /// Chains deleted.
    pub chains_deleted: usize,
    /// Set and map elements added.
    pub elements_added: usize,
    /// Set and map elements removed.
    pub elements_removed: usize,
    /// Sets and maps created or deleted.
    pub sets_changed: usize,
}

impl Stats {
    /// Whether the transaction does nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Stats::default()
    }
}

/// The script that replaces the table with `new` in one transaction (start of day, repair).
#[must_use]
pub fn full_script(new: &Ruleset) -> String {
    let mut s = String::new();
    // Adding first makes the delete valid whether or not the table exists.
    let _ = writeln!(s, "add table inet {TABLE}");
    let _ = writeln!(s, "delete table inet {TABLE}");
    let _ = writeln!(s, "add table inet {TABLE}");
    let empty = Ruleset::default();
    s.push_str(&update_body(&empty, new, &mut Stats::default()));
    s
}

/// The script that turns `old` (what is programmed) into `new`, or `None` if they are equal.
#[must_use]
pub fn update_script(old: &Ruleset, new: &Ruleset) -> Option<(String, Stats)> {
    let mut stats = Stats::default();
    let body = update_body(old, new, &mut stats);
    if stats.is_empty() {
        None
    } else {
        Some((body, stats))
    }
}

fn update_body(old: &Ruleset, new: &Ruleset, stats: &mut Stats) -> String {
    let mut s = String::new();
    // 1. New sets and maps (a set whose type changed is replaced).
    for (name, set) in &new.sets {
        match old.sets.get(name) {
            Some(o) if o.kind == set.kind => {}
            Some(_) => {
                let _ = writeln!(s, "delete set inet {TABLE} {name}");
                s.push_str(&nft::add_set(TABLE, name, set));
                stats.sets_changed += 1;
            }
            None => {
                s.push_str(&nft::add_set(TABLE, name, set));
                stats.sets_changed += 1;
            }
        }
    }
    for name in new.maps.keys().filter(|n| !old.maps.contains_key(*n)) {
        s.push_str(&nft::add_map(TABLE, name));
        stats.sets_changed += 1;
    }
    // 2. Set elements: removals first (interval sets refuse overlaps), then additions.
    //    Both sides are sorted sets: unchanged sets cost one comparison, changed ones a
    //    merge, never a scan per element.
    let empty = std::collections::BTreeSet::new();
    for (name, set) in &new.sets {
        let before = old
            .sets
            .get(name)
            .filter(|o| o.kind == set.kind)
            .map_or(&empty, |o| &*o.elements);
        // A set the renderer's cache carried over is the same allocation: no comparison.
        if std::ptr::eq(before, &*set.elements) || *before == *set.elements {
            continue;
        }
        let gone: Vec<String> = before.difference(&set.elements).cloned().collect();
        let added: Vec<String> = set.elements.difference(before).cloned().collect();
        s.push_str(&nft::elements("delete", TABLE, name, &gone));
        s.push_str(&nft::elements("add", TABLE, name, &added));
        stats.elements_removed += gone.len();
        stats.elements_added += added.len();
    }
    // 3. Chains: create new ones empty (so jumps between them resolve), then fill new and
    //    changed ones.
    for (name, chain) in &new.chains {
        match old.chains.get(name) {
            Some(o) if o.base == chain.base => {}
            Some(_) => {
                let _ = writeln!(s, "delete chain inet {TABLE} {name}");
                s.push_str(&nft::add_chain(TABLE, name, chain.base));
            }
            None => s.push_str(&nft::add_chain(TABLE, name, chain.base)),
        }
    }
    for (name, chain) in &new.chains {
        match old.chains.get(name) {
            Some(o) if o == chain => continue,
            Some(o) if o.base == chain.base => {
                let _ = writeln!(s, "flush chain inet {TABLE} {name}");
                stats.chains_rewritten += 1;
            }
            Some(_) => stats.chains_rewritten += 1,
            None => stats.chains_added += 1,
        }
        s.push_str(&nft::add_rules(TABLE, name, chain));
    }
    // 4. Map elements: removed and changed keys out, then new and changed keys in.
    for (name, map) in &new.maps {
        let before = old.maps.get(name).cloned().unwrap_or_default();
        let gone: Vec<String> = before
            .elements
            .iter()
            .filter(|(k, v)| map.elements.get(*k) != Some(*v))
            .map(|(k, _)| format!("\"{k}\""))
            .collect();
        let added: Vec<String> = map
            .elements
            .iter()
            .filter(|(k, v)| before.elements.get(*k) != Some(*v))
            .map(|(k, v)| nft::vmap_element(k, v))
            .collect();
        s.push_str(&nft::elements("delete", TABLE, name, &gone));
        s.push_str(&nft::elements("add", TABLE, name, &added));
        stats.elements_removed += gone.len();
        stats.elements_added += added.len();
    }
    // 5. Old chains, maps and sets, now that nothing refers to them. Chains first flushed
    //    (they may jump to each other), then deleted.
    let old_chains: Vec<&String> = old
        .chains
        .keys()
        .filter(|n| !new.chains.contains_key(*n))
        .collect();
    for name in &old_chains {
        let _ = writeln!(s, "flush chain inet {TABLE} {name}");
    }
    for name in old.maps.keys().filter(|n| !new.maps.contains_key(*n)) {
        let _ = writeln!(s, "delete map inet {TABLE} {name}");
        stats.sets_changed += 1;
    }
    for name in &old_chains {
        let _ = writeln!(s, "delete chain inet {TABLE} {name}");
        stats.chains_deleted += 1;
    }
    for name in old.sets.keys().filter(|n| !new.sets.contains_key(*n)) {
        let _ = writeln!(s, "delete set inet {TABLE} {name}");
        stats.sets_changed += 1;
    }
    s
}
