//! Drift: does the kernel's table still say what was programmed? Each rule carries a
//! `cali:<hash>` comment chained over its chain, so comparing the hashes of a chain's rules
//! with the rendered ones finds a missing, extra, reordered or altered rule without parsing
//! rule bodies; sets and maps are compared by element count.

use std::collections::BTreeMap;

use tortie_rules::Ruleset;
use tortie_rules::nft::rule_hashes;

/// One difference between the kernel and what was programmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift(pub String);

fn hash_of(comment: &str) -> Option<&str> {
    comment.strip_prefix("cali:")?.split(';').next()
}

/// The differences between the listing (`nft -j list table`, `None` if the table is gone)
/// and the ruleset.
#[must_use]
pub fn verify(expected: &Ruleset, listing: Option<&str>) -> Vec<Drift> {
    let Some(listing) = listing else {
        return vec![Drift("the table is missing".into())];
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(listing) else {
        return vec![Drift("the listing is not JSON".into())];
    };
    let mut chains: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for item in json["nftables"].as_array().into_iter().flatten() {
        if let Some(c) = item.get("chain") {
            chains
                .entry(c["name"].as_str().unwrap_or_default().to_string())
                .or_default();
        } else if let Some(r) = item.get("rule") {
            let hash = r["comment"].as_str().and_then(hash_of).unwrap_or("?");
            chains
                .entry(r["chain"].as_str().unwrap_or_default().to_string())
                .or_default()
                .push(hash.to_string());
        } else if let Some(s) = item.get("set").or_else(|| item.get("map")) {
            let n = s["elem"].as_array().map_or(0, Vec::len);
            sizes.insert(s["name"].as_str().unwrap_or_default().to_string(), n);
        }
    }
    let mut drift = Vec::new();
    for (name, chain) in &expected.chains {
        match chains.remove(name) {
            None => drift.push(Drift(format!("chain {name} is missing"))),
            Some(found) if found != rule_hashes(name, &chain.rules) => {
                drift.push(Drift(format!("chain {name} has other rules")));
            }
            Some(_) => {}
        }
    }
    drift.extend(
        chains
            .keys()
            .map(|c| Drift(format!("chain {c} is unexpected"))),
    );
    let want = expected
        .sets
        .iter()
        .map(|(n, s)| (n, s.elements.len()))
        .chain(expected.maps.iter().map(|(n, m)| (n, m.elements.len())));
    for (name, n) in want {
        match sizes.remove(name) {
            None => drift.push(Drift(format!("set {name} is missing"))),
            Some(found) if found != n => {
                drift.push(Drift(format!("set {name} has {found} elements, not {n}")))
            }
            Some(_) => {}
        }
    }
    drift.extend(
        sizes
            .keys()
            .map(|s| Drift(format!("set {s} is unexpected"))),
    );
    drift
}
