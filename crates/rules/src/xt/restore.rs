//! The input that programs iptables and ipsets: per family, one `iptables-restore --noflush`
//! text with one transaction per table (`*table` … `COMMIT`), touching only Tortie's chains and
//! its jumps from the built-in chains; and `ipset restore` text in two halves, what must exist
//! before the rules refer to it and what can go once they no longer do.
//!
//! Declaring a chain (`:cali-x - [0:0]`) under `--noflush` creates it or empties it, so a
//! rewritten chain is declared and filled in the same transaction as everything else.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::save::Saved;
use super::{IpSet, Table, XtTable, is_own_set};
use crate::diff::Stats;

fn declare(s: &mut String, chains: &[&String]) {
    for c in chains {
        let _ = writeln!(s, ":{c} - [0:0]");
    }
}

fn append(s: &mut String, table: &XtTable, chains: &[&String]) {
    for c in chains {
        for r in &table.chains[*c] {
            let _ = writeln!(s, "-A {c} {}", r.spec);
        }
    }
}

fn remove(s: &mut String, chains: &[&str]) {
    for c in chains {
        let _ = writeln!(s, "-F {c}");
    }
    for c in chains {
        let _ = writeln!(s, "-X {c}");
    }
}

/// Start of day (or repair): makes one family's tables exactly `new`, whatever of Tortie's
/// the kernel holds (`kernel`, from `iptables-save`): its jumps are replaced by one at the top
/// of each hooked chain, its chains rewritten, stale ones deleted. Other rules stay.
#[must_use]
pub fn full(new: &BTreeMap<Table, XtTable>, kernel: &Saved) -> String {
    let empty = XtTable::default();
    let mut s = String::new();
    for table in Table::ALL {
        let ours = new.get(&table).unwrap_or(&empty);
        let stale: Vec<&str> = kernel
            .own_chains(table)
            .filter(|c| !ours.chains.contains_key(*c))
            .collect();
        let jumps = kernel.own_jumps(table);
        if ours.chains.is_empty() && stale.is_empty() && jumps.is_empty() {
            continue;
        }
        let _ = writeln!(s, "*{}", table.name());
        let chains: Vec<&String> = ours.chains.keys().collect();
        declare(&mut s, &chains);
        for (builtin, spec) in &jumps {
            let _ = writeln!(s, "-D {builtin} {spec}");
        }
        for h in &ours.hooks {
            let _ = writeln!(s, "-I {} 1 {}", h.builtin, h.spec);
        }
        append(&mut s, ours, &chains);
        remove(&mut s, &stale);
        s.push_str("COMMIT\n");
    }
    s
}

/// Removes everything of Tortie's from one family's tables (switching to nftables).
#[must_use]
pub fn retire(kernel: &Saved) -> Option<String> {
    let s = full(&BTreeMap::new(), kernel);
    if s.is_empty() { None } else { Some(s) }
}

/// From `old` (what is programmed) to `new` for one family: only chains that changed are
/// declared (emptied) and refilled; `None` if nothing changed.
#[must_use]
pub fn update(
    old: &BTreeMap<Table, XtTable>,
    new: &BTreeMap<Table, XtTable>,
    stats: &mut Stats,
) -> Option<String> {
    let empty = XtTable::default();
    let mut s = String::new();
    for table in Table::ALL {
        let (was, now) = (
            old.get(&table).unwrap_or(&empty),
            new.get(&table).unwrap_or(&empty),
        );
        let added: Vec<&String> = now
            .chains
            .keys()
            .filter(|c| !was.chains.contains_key(*c))
            .collect();
        let changed: Vec<&String> = now
            .chains
            .iter()
            .filter(|(c, rules)| was.chains.get(*c).is_some_and(|r| r != *rules))
            .map(|(c, _)| c)
            .collect();
        let gone: Vec<&str> = was
            .chains
            .keys()
            .filter(|c| !now.chains.contains_key(*c))
            .map(String::as_str)
            .collect();
        let hooks_changed = was.hooks != now.hooks;
        if added.is_empty() && changed.is_empty() && gone.is_empty() && !hooks_changed {
            continue;
        }
        stats.chains_added += added.len();
        stats.chains_rewritten += changed.len();
        stats.chains_deleted += gone.len();
        let _ = writeln!(s, "*{}", table.name());
        let touched: Vec<&String> = added.iter().chain(&changed).copied().collect();
        declare(&mut s, &touched);
        if hooks_changed {
            for h in was.hooks.iter().filter(|h| !now.hooks.contains(h)) {
                let _ = writeln!(s, "-D {} {}", h.builtin, h.spec);
            }
            for h in now.hooks.iter().filter(|h| !was.hooks.contains(h)) {
                let _ = writeln!(s, "-I {} 1 {}", h.builtin, h.spec);
            }
        }
        append(&mut s, now, &touched);
        remove(&mut s, &gone);
        s.push_str("COMMIT\n");
    }
    if s.is_empty() { None } else { Some(s) }
}

/// `ipset restore` input: what to run before the rules change, and after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpsetScript {
    /// Creates and member changes (the rules about to be written refer to these).
    pub before: String,
    /// Destroys of sets no rule refers to any more.
    pub after: String,
}

/// A set's temporary twin for an atomic refill (`cali40s:` → `cali4ts:`).
#[must_use]
pub fn temp_name(name: &str) -> String {
    let mut t = name.to_string();
    t.replace_range(5..6, "t");
    t
}

fn fill(s: &mut String, name: &str, set: &IpSet) {
    for m in &set.members {
        let _ = writeln!(s, "add {name} {m}");
    }
}

/// Start of day: every set made exactly `new` (an existing one refilled in a twin and swapped
/// in, so its rules never see it half full); Tortie's other sets destroyed afterwards.
#[must_use]
pub fn ipsets_full(new: &BTreeMap<String, IpSet>, existing: &BTreeSet<String>) -> IpsetScript {
    let mut out = IpsetScript::default();
    let s = &mut out.before;
    for (name, set) in new {
        if existing.contains(name) {
            let tmp = temp_name(name);
            let _ = writeln!(s, "create {tmp} {} -exist", set.create_args());
            let _ = writeln!(s, "flush {tmp}");
            fill(s, &tmp, set);
            let _ = writeln!(s, "swap {tmp} {name}");
            let _ = writeln!(s, "destroy {tmp}");
        } else {
            let _ = writeln!(s, "create {name} {}", set.create_args());
            fill(s, name, set);
        }
    }
    for name in existing
        .iter()
        .filter(|n| is_own_set(n) && !new.contains_key(*n))
    {
        let _ = writeln!(out.after, "destroy {name}");
    }
    out
}

/// From `old` to `new`: new sets created, members added and deleted, old sets destroyed.
#[must_use]
pub fn ipsets_update(
    old: &BTreeMap<String, IpSet>,
    new: &BTreeMap<String, IpSet>,
    stats: &mut Stats,
) -> IpsetScript {
    let mut out = IpsetScript::default();
    let s = &mut out.before;
    for (name, set) in new {
        match old.get(name) {
            Some(o) if o.kind == set.kind && o.family == set.family => {
                for m in set.members.difference(&o.members) {
                    let _ = writeln!(s, "add {name} {m}");
                    stats.elements_added += 1;
                }
                for m in o.members.difference(&set.members) {
                    let _ = writeln!(s, "del {name} {m}");
                    stats.elements_removed += 1;
                }
            }
            _ => {
                let _ = writeln!(s, "create {name} {} -exist", set.create_args());
                fill(s, name, set);
                stats.sets_changed += 1;
                stats.elements_added += set.members.len();
            }
        }
    }
    for name in old.keys().filter(|n| !new.contains_key(*n)) {
        let _ = writeln!(out.after, "destroy {name}");
        stats.sets_changed += 1;
    }
    out
}
