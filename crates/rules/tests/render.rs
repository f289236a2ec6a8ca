//! Rendering: what the ruleset says for known inputs, and that the kernel accepts it.

mod common;

use common::{Netns, model};
use tortie_rules::ir::{Match, Ruleset};
use tortie_rules::{full_script, render};

const SCENARIO: &str = include_str!("data/scenario.yaml");

fn chain_text(rs: &Ruleset, name: &str) -> String {
    let chain = rs
        .chains
        .get(name)
        .unwrap_or_else(|| panic!("chain {name}"));
    tortie_rules::nft::add_rules("tortie", name, chain)
}

#[test]
fn the_scenario_renders_as_snapshotted() {
    let m = model(SCENARIO);
    let rs = render(&m, "node1");
    insta::assert_snapshot!("node1", full_script(&rs));
}

#[test]
fn the_kernel_accepts_the_rendered_ruleset() {
    let m = model(SCENARIO);
    let ns = Netns::new();
    for node in ["node1", "node2"] {
        let script = full_script(&render(&m, node));
        ns.apply(&script)
            .unwrap_or_else(|e| panic!("nft refused the ruleset of {node}: {e}\n{script}"));
        let listing = ns.listing();
        assert!(listing.contains("chain filter-FORWARD"), "{listing}");
    }
}

#[test]
fn rules_render_only_for_the_families_they_can_match() {
    let m = model(SCENARIO);
    let rs = render(&m, "node1");
    let text = chain_text(&rs, "filter-cali-po-gnp/v4-only-egress");
    let deny: Vec<&str> = text.lines().filter(|l| l.contains("rule 0 Deny")).collect();
    assert_eq!(
        deny.len(),
        1,
        "a v4 network must not render a v6 rule: {text}"
    );
    assert!(deny[0].contains("ip daddr 192.0.2.0/24"), "{text}");
    // notNets of each family go to that family's rule only.
    let pass: Vec<&str> = text.lines().filter(|l| l.contains("rule 1 Pass")).collect();
    assert_eq!(pass.len(), 2, "{text}");
    assert!(pass[0].contains("ip daddr != 198.51.100.0/24") && !pass[0].contains("2001:db8"));
    assert!(pass[1].contains("ip6 daddr != 2001:db8::/32") && !pass[1].contains("198.51"));
    // A rule with no address match renders once, for both families.
    let text = chain_text(&rs, "filter-cali-pi-gnp/allow-ping");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("icmpv6 type 128"), "{text}");
    assert!(text.contains("icmp type 8"), "{text}");
}

#[test]
fn numeric_and_named_ports_split_into_alternatives_that_log_once() {
    let m = model(SCENARIO);
    let rs = render(&m, "node1");
    let chain = &rs.chains["filter-cali-pi-np/default/web-ports"];
    // Per family: one rule with the numeric port, one with the named-port set; the Log rule
    // marks, then logs once.
    let text = chain_text(&rs, "filter-cali-pi-np/default/web-ports");
    assert!(text.contains("th dport 8080"), "{text}");
    assert!(
        text.contains(". meta l4proto . th dport @cali40n-"),
        "{text}"
    );
    let logs = chain
        .rules
        .iter()
        .filter(|r| {
            r.stmts
                .iter()
                .any(|s| matches!(s, tortie_rules::ir::Stmt::Log { .. }))
        })
        .count();
    assert_eq!(logs, 1, "{text}");
    assert!(
        chain
            .rules
            .iter()
            .any(|r| r.matches.iter().any(|m| matches!(m, Match::Mark { .. })))
    );
}

#[test]
fn selector_sets_hold_the_members_addresses_merged() {
    let m = model(SCENARIO);
    let rs = render(&m, "node1");
    let text = chain_text(&rs, "filter-cali-pi-np/default/web-ports");
    let set = text
        .split('@')
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a set reference");
    assert!(set.starts_with("cali40s-"), "{text}");
    let elements = &rs.sets[set].elements;
    assert_eq!(
        elements.iter().cloned().collect::<Vec<_>>(),
        vec!["10.244.1.32".to_string(), "10.244.2.33".to_string()]
    );
}

#[test]
fn a_host_endpoint_without_interface_name_applies_where_its_expected_ips_live() {
    let m = model(
        "apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-private, labels: {role: private}}
spec: {node: node1, expectedIPs: [10.176.48.11]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: private-in}
spec:
  selector: role == 'private'
  types: [Ingress]
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [22]}}]
",
    );
    let ifaces = tortie_rules::HostInterfaces::from([
        ("eth0".to_string(), vec!["10.176.48.11".parse().unwrap()]),
        ("eth1".to_string(), vec!["203.0.113.10".parse().unwrap()]),
    ]);
    let rs = tortie_rules::render_with(&m, "node1", &ifaces);
    let script = full_script(&rs);
    let dispatch: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("add element") && l.contains("from-hep-vmap"))
        .collect();
    assert_eq!(dispatch.len(), 1, "{script}");
    assert!(dispatch[0].contains("\"eth0\""), "{script}");
    assert!(!script.contains("\"eth1\""), "{script}");
    // Without knowing the interfaces, the endpoint applies nowhere (and nothing else moves).
    let blind = full_script(&render(&m, "node1"));
    assert!(!blind.contains("\"eth0\""), "{blind}");
}
