//! The rendered table of every node of every lab example (`examples/<name>/scenario.yaml`),
//! snapshotted: a change in what the agents program for the documented scenarios shows up
//! in review as a diff of nftables text. (That the kernel enforces these tables as the
//! scenarios expect is proven by `tortie lab run` in the ctl tests.)

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tortie_rules::xt::restore::{full as xt_full, ipsets_full};
use tortie_rules::xt::save::Saved;
use tortie_rules::xt::{Table, XtRuleset};
use tortie_rules::{Ruleset, full_script, render_with};

/// The part of a scenario file this test needs.
#[derive(Deserialize)]
struct Scenario {
    manifests: Vec<String>,
    nodes: Vec<Machine>,
}

#[derive(Deserialize)]
struct Machine {
    name: String,
    interfaces: Vec<Interface>,
}

#[derive(Deserialize)]
struct Interface {
    name: String,
    addresses: Vec<String>,
}

impl Machine {
    /// What the node's agent reads from `ip addr`.
    fn interfaces(&self) -> tortie_rules::HostInterfaces {
        self.interfaces
            .iter()
            .map(|i| {
                let addrs = i
                    .addresses
                    .iter()
                    .map(|a| a.parse::<ipnet::IpNet>().expect("address").addr())
                    .collect();
                (i.name.clone(), addrs)
            })
            .collect()
    }
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("scenario.yaml").exists())
        .collect();
    out.sort();
    out
}

fn scenario(dir: &Path) -> (Scenario, String) {
    let text = std::fs::read_to_string(dir.join("scenario.yaml")).expect("scenario");
    let docs = tortie_model::yaml::parse_stream(&text).expect("scenario parses");
    let sc: Scenario = tortie_model::yaml::from_node(&docs[0]).expect("scenario shape");
    let manifests = sc
        .manifests
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).expect("manifest"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    (sc, manifests)
}

#[test]
fn every_lab_example_renders_as_snapshotted() {
    let dirs = examples();
    assert!(dirs.len() >= 5, "{dirs:?}");
    for dir in dirs {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        let (sc, manifests) = scenario(&dir);
        let m = common::model(&manifests);
        let nodes: BTreeSet<String> = m.entities().filter_map(|e| e.entity.node.clone()).collect();
        assert!(!nodes.is_empty(), "{name} has no endpoints");
        for node in nodes {
            let ifaces = sc
                .nodes
                .iter()
                .find(|n| n.name == node)
                .map(Machine::interfaces)
                .unwrap_or_default();
            let rs = render_with(&m, &node, &ifaces);
            insta::assert_snapshot!(format!("{name}__{node}"), full_script(&rs));
            insta::assert_snapshot!(format!("{name}__{node}__iptables"), iptables_text(&rs));
        }
    }
}

/// What the iptables backend writes at start of day on an empty host: the ipsets, then the
/// `iptables-restore` and `ip6tables-restore` input.
fn iptables_text(rs: &Ruleset) -> String {
    let xt = XtRuleset::from_ruleset(rs).expect("iptables can say every rendered rule");
    let sets = ipsets_full(&xt.ipsets, &BTreeSet::new());
    let empty = Saved::default();
    format!(
        "# ipset restore\n{}# iptables-restore --noflush\n{}# ip6tables-restore --noflush\n{}",
        sets.before,
        xt_full(&xt.v4, &empty),
        xt_full(&xt.v6, &empty)
    )
}

/// Every example's iptables text is taken by the real `ipset`, `iptables-restore` and
/// `ip6tables-restore` (nf_tables and legacy), and reads back with the hashes programmed.
#[test]
fn every_lab_example_applies_with_iptables() {
    let mut applied = 0;
    for dir in examples() {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        let (sc, manifests) = scenario(&dir);
        let m = common::model(&manifests);
        let nodes: BTreeSet<String> = m.entities().filter_map(|e| e.entity.node.clone()).collect();
        for node in nodes {
            let ifaces = sc
                .nodes
                .iter()
                .find(|n| n.name == node)
                .map(Machine::interfaces)
                .unwrap_or_default();
            let xt = XtRuleset::from_ruleset(&render_with(&m, &node, &ifaces)).expect("translates");
            for variant in ["nft", "legacy"] {
                let ns = common::Netns::new();
                let sets = ipsets_full(&xt.ipsets, &BTreeSet::new());
                ns.run(&["ipset", "restore"], &sets.before)
                    .unwrap_or_else(|e| panic!("{name}/{node}: ipset refused: {e}"));
                for (fam, tables) in [("iptables", &xt.v4), ("ip6tables", &xt.v6)] {
                    let restore = format!("{fam}-{variant}-restore");
                    let text = xt_full(tables, &Saved::default());
                    ns.run(&[&restore, "--noflush"], &text).unwrap_or_else(|e| {
                        panic!("{name}/{node}: {restore} refused: {e}\n{text}")
                    });
                    let saved = ns
                        .run(&[&format!("{fam}-{variant}-save")], "")
                        .expect("save");
                    let drift = tortie_rules::xt::save::verify(tables, &Saved::parse(&saved), fam);
                    assert!(drift.is_empty(), "{name}/{node} {variant}: {drift:?}");
                    assert!(tables.contains_key(&Table::Filter));
                }
                applied += 1;
            }
        }
    }
    assert!(applied >= 20, "{applied}");
}
