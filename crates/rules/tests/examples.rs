//! The rendered table of every node of every lab example (`examples/<name>/scenario.yaml`),
//! snapshotted: a change in what the agents program for the documented scenarios shows up
//! in review as a diff of nftables text. (That the kernel enforces these tables as the
//! scenarios expect is proven by `tortie lab run` in the ctl tests.)

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tortie_rules::{full_script, render_with};

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
            let script = full_script(&render_with(&m, &node, &ifaces));
            insta::assert_snapshot!(format!("{name}__{node}"), script);
        }
    }
}
