//! Reading the kernel back: `iptables-save` and `ipset save` output parsed into what drift
//! checks and start-of-day programming need (which of Tortie's chains exist, which rules jump
//! to them from built-in chains, the `cali:` hashes of each chain's rules, set sizes).

use std::collections::BTreeMap;

use super::{IpSet, Table, XtTable, is_own_chain, is_own_set};

/// One chain as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedChain {
    /// A built-in chain (it has a policy).
    pub builtin: bool,
    /// Rule specifications after `-A <chain> `, in order.
    pub rules: Vec<String>,
}

/// One family's tables as `iptables-save` printed them, by table name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    /// Table name to chains by name.
    pub tables: BTreeMap<String, BTreeMap<String, SavedChain>>,
}

impl Saved {
    /// Parses `iptables-save` output (comments and counters ignored).
    #[must_use]
    pub fn parse(text: &str) -> Saved {
        let mut saved = Saved::default();
        let mut table: Option<String> = None;
        for line in text.lines() {
            let line = line.trim_end();
            if let Some(name) = line.strip_prefix('*') {
                table = Some(name.to_string());
                saved.tables.entry(name.to_string()).or_default();
            } else if line == "COMMIT" {
                table = None;
            } else if let (Some(t), Some(decl)) = (&table, line.strip_prefix(':')) {
                let mut parts = decl.split_whitespace();
                let name = parts.next().unwrap_or_default().to_string();
                let builtin = parts.next().is_some_and(|p| p != "-");
                let chains = saved.tables.entry(t.clone()).or_default();
                chains.entry(name).or_default().builtin = builtin;
            } else if let (Some(t), Some(rule)) = (&table, line.strip_prefix("-A ")) {
                let (chain, spec) = rule.split_once(' ').unwrap_or((rule, ""));
                let chains = saved.tables.entry(t.clone()).or_default();
                chains
                    .entry(chain.to_string())
                    .or_default()
                    .rules
                    .push(spec.to_string());
            }
        }
        saved
    }

    /// Tortie's chains in a table.
    pub fn own_chains(&self, table: Table) -> impl Iterator<Item = &str> {
        self.tables
            .get(table.name())
            .into_iter()
            .flat_map(|c| c.iter())
            .filter(|(name, c)| !c.builtin && is_own_chain(name))
            .map(|(name, _)| name.as_str())
    }

    /// Rules of built-in chains that jump or go to one of Tortie's chains: `(chain, spec)`.
    #[must_use]
    pub fn own_jumps(&self, table: Table) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, c) in self.tables.get(table.name()).into_iter().flatten() {
            if !c.builtin {
                continue;
            }
            for spec in &c.rules {
                if targets_own_chain(spec) {
                    out.push((name.clone(), spec.clone()));
                }
            }
        }
        out
    }
}

fn targets_own_chain(spec: &str) -> bool {
    let words: Vec<&str> = spec.split_whitespace().collect();
    words
        .windows(2)
        .any(|w| matches!(w[0], "-j" | "-g") && is_own_chain(w[1]))
}

/// The hash in a rule's `cali:` comment.
#[must_use]
pub fn hash_of(spec: &str) -> Option<&str> {
    let at = spec.find("--comment ")? + "--comment ".len();
    let rest = spec[at..].trim_start_matches('"');
    let rest = rest.strip_prefix("cali:")?;
    let end = rest
        .find(|c: char| c == '"' || c == ';' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The differences between one family's saved tables and what was programmed.
#[must_use]
pub fn verify(expected: &BTreeMap<Table, XtTable>, saved: &Saved, family: &str) -> Vec<String> {
    let mut drift = Vec::new();
    for table in Table::ALL {
        let chains = saved.tables.get(table.name());
        let want = expected.get(&table);
        for (name, rules) in want.iter().flat_map(|t| t.chains.iter()) {
            match chains.and_then(|c| c.get(name)) {
                None => drift.push(format!("{family} {} chain {name} is missing", table.name())),
                Some(c) => {
                    let found: Vec<&str> =
                        c.rules.iter().map(|r| hash_of(r).unwrap_or("?")).collect();
                    let wanted: Vec<&str> = rules.iter().map(|r| r.hash.as_str()).collect();
                    if found != wanted {
                        drift.push(format!(
                            "{family} {} chain {name} has other rules",
                            table.name()
                        ));
                    }
                }
            }
        }
        for name in saved.own_chains(table) {
            if !want.is_some_and(|t| t.chains.contains_key(name)) {
                drift.push(format!(
                    "{family} {} chain {name} is unexpected",
                    table.name()
                ));
            }
        }
        let jumps = saved.own_jumps(table);
        for hook in want.iter().flat_map(|t| t.hooks.iter()) {
            let first = chains
                .and_then(|c| c.get(&hook.builtin))
                .and_then(|c| c.rules.first())
                .and_then(|r| hash_of(r));
            if first != hash_of(&hook.spec) {
                drift.push(format!(
                    "{family} {} chain {} does not start with the jump to {}",
                    table.name(),
                    hook.builtin,
                    hook.target
                ));
            }
        }
        let hooks = want.map_or(0, |t| t.hooks.len());
        if jumps.len() > hooks {
            drift.push(format!(
                "{family} {}: {} jumps to Tortie's chains from built-in chains, not {hooks}",
                table.name(),
                jumps.len()
            ));
        }
    }
    drift
}

/// Member counts of Tortie's sets in `ipset save` output.
#[must_use]
pub fn ipset_sizes(text: &str) -> BTreeMap<String, usize> {
    let mut sizes = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("create"), Some(name)) if is_own_set(name) => {
                sizes.entry(name.to_string()).or_insert(0);
            }
            (Some("add"), Some(name)) if is_own_set(name) => {
                *sizes.entry(name.to_string()).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    sizes
}

/// The differences between the kernel's sets and the programmed ones.
#[must_use]
pub fn verify_ipsets(
    expected: &BTreeMap<String, IpSet>,
    sizes: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut drift = Vec::new();
    for (name, set) in expected {
        match sizes.get(name) {
            None => drift.push(format!("ipset {name} is missing")),
            Some(n) if *n != set.members.len() => drift.push(format!(
                "ipset {name} has {n} members, not {}",
                set.members.len()
            )),
            Some(_) => {}
        }
    }
    for name in sizes.keys().filter(|n| !expected.contains_key(*n)) {
        drift.push(format!("ipset {name} is unexpected"));
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAVE: &str = r#"# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:cali-INPUT - [0:0]
:other - [0:0]
-A INPUT -m comment --comment "cali:abc" -j cali-INPUT
-A INPUT -s 1.2.3.4/32 -j DROP
-A cali-INPUT -m comment --comment "cali:h1" -j ACCEPT
COMMIT
"#;

    #[test]
    fn parses_chains_rules_and_jumps() {
        let s = Saved::parse(SAVE);
        let f = &s.tables["filter"];
        assert!(f["INPUT"].builtin && f["FORWARD"].builtin && !f["other"].builtin);
        assert_eq!(f["INPUT"].rules.len(), 2);
        assert_eq!(
            s.own_chains(Table::Filter).collect::<Vec<_>>(),
            ["cali-INPUT"]
        );
        assert_eq!(
            s.own_jumps(Table::Filter),
            [(
                "INPUT".to_string(),
                "-m comment --comment \"cali:abc\" -j cali-INPUT".to_string()
            )]
        );
        assert_eq!(hash_of(&f["cali-INPUT"].rules[0]), Some("h1"));
        assert_eq!(
            hash_of("-m comment --comment cali:xyz -j DROP"),
            Some("xyz")
        );
        assert_eq!(hash_of("-s 1.2.3.4/32 -j DROP"), None);
    }

    #[test]
    fn counts_own_set_members() {
        let text = "create cali40s:a hash:net family inet\nadd cali40s:a 10.0.0.1\nadd cali40s:a 10.0.0.2\ncreate kube x\nadd kube y\ncreate cali60n:b hash:ip,port family inet6\n";
        let sizes = ipset_sizes(text);
        assert_eq!(sizes.len(), 2);
        assert_eq!(sizes["cali40s:a"], 2);
        assert_eq!(sizes["cali60n:b"], 0);
    }
}
