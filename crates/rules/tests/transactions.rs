//! Incremental transactions: applying `update_script(a, b)` on top of `a` leaves the kernel
//! with exactly what a fresh `b` would give, and touches only what changed.

mod common;

use common::{Netns, model};
use tortie_rules::{full_script, render, update_script};

const BASE: &str = include_str!("data/scenario.yaml");

const NEW_POD: &str = "
---
apiVersion: v1
kind: Pod
metadata: {name: late, namespace: default, labels: {role: client}}
spec: {nodeName: node1, containers: [{name: c, image: busybox}]}
status: {phase: Running, podIP: 10.244.1.40}
";

const NEW_POLICY: &str = "
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: extra}
spec:
  order: 5
  selector: app == 'web'
  ingress: [{action: Deny, protocol: UDP, destination: {ports: [53]}}]
";

fn relabelled() -> String {
    BASE.replace(
        "metadata: {name: remote, namespace: default, labels: {role: client}}",
        "metadata: {name: remote, namespace: default, labels: {role: other}}",
    )
}

/// Programs `from` fresh, then the update to `to`; compares with `to` programmed fresh.
fn check(from: &str, to: &str) -> tortie_rules::Stats {
    let (a, b) = (render(&model(from), "node1"), render(&model(to), "node1"));
    let (script, stats) = update_script(&a, &b).expect("the rulesets differ");
    let incremental = Netns::new();
    incremental
        .apply(&full_script(&a))
        .expect("fresh a applies");
    incremental
        .apply(&script)
        .unwrap_or_else(|e| panic!("the update was refused: {e}\n{script}"));
    let fresh = Netns::new();
    fresh.apply(&full_script(&b)).expect("fresh b applies");
    assert_eq!(
        incremental.canonical(),
        fresh.canonical(),
        "update script:\n{script}"
    );
    stats
}

#[test]
fn a_new_pod_adds_its_chains_and_set_members_only() {
    let stats = check(BASE, &format!("{BASE}{NEW_POD}"));
    // Two endpoint chains and the map entries; the client selector set gains one address.
    assert_eq!(stats.chains_added, 2, "{stats:?}");
    assert_eq!(stats.chains_rewritten, 0, "{stats:?}");
    assert_eq!(stats.elements_added, 3, "{stats:?}");
    assert_eq!(stats.elements_removed, 0, "{stats:?}");
}

#[test]
fn a_removed_pod_goes_away_cleanly() {
    let stats = check(&format!("{BASE}{NEW_POD}"), BASE);
    assert_eq!(stats.chains_deleted, 2, "{stats:?}");
    assert_eq!(stats.elements_removed, 3, "{stats:?}");
}

#[test]
fn a_label_change_elsewhere_is_a_set_delta() {
    let stats = check(BASE, &relabelled());
    assert_eq!(
        stats.chains_added + stats.chains_rewritten + stats.chains_deleted,
        0,
        "{stats:?}"
    );
    assert_eq!(
        (stats.elements_added, stats.elements_removed),
        (0, 1),
        "{stats:?}"
    );
}

#[test]
fn policies_come_and_go() {
    let with = format!("{BASE}{NEW_POLICY}");
    let added = check(BASE, &with);
    assert!(
        added.chains_added >= 1 && added.chains_rewritten >= 1,
        "{added:?}"
    );
    let removed = check(&with, BASE);
    assert!(removed.chains_deleted >= 1, "{removed:?}");
}

#[test]
fn equal_rulesets_need_no_transaction() {
    let a = render(&model(BASE), "node1");
    assert!(update_script(&a, &a.clone()).is_none());
}

/// A network set that joins the clients' selector turns its plain set of addresses into an
/// interval set under another name; the rules move to it and the old set goes, in one
/// transaction the kernel takes, both ways.
#[test]
fn a_set_that_gains_a_network_changes_type_in_one_transaction() {
    let with_net = format!(
        "{BASE}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {{name: office, namespace: default, labels: {{role: client}}}}
spec: {{nets: [192.0.2.0/24]}}
"
    );
    let plain = render(&model(BASE), "node1");
    let interval = render(&model(&with_net), "node1");
    let kinds = |rs: &tortie_rules::Ruleset| -> Vec<String> {
        rs.sets
            .iter()
            .filter(|(_, s)| !matches!(s.kind, tortie_rules::ir::SetType::AddrProtoPort(_)))
            .filter(|(_, s)| s.elements.iter().any(|e| e.starts_with("10.244.")))
            .map(|(n, s)| format!("{n} {:?}", s.kind))
            .collect()
    };
    assert!(
        kinds(&plain)
            .iter()
            .all(|k| k.contains("0s-") && k.contains("Hosts")),
        "{:?}",
        kinds(&plain)
    );
    assert!(
        kinds(&interval)
            .iter()
            .any(|k| k.contains("0c-") && k.contains("Nets")),
        "{:?}",
        kinds(&interval)
    );
    let there = check(BASE, &with_net);
    assert!(there.sets_changed >= 2, "{there:?}");
    let back = check(&with_net, BASE);
    assert!(back.sets_changed >= 2, "{back:?}");
}
