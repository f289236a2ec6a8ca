//! The iptables translation of rules one iptables rule cannot say as written: an ipBlock with
//! `except` (two matches on one address), more than fifteen ports, excluded protocols with
//! ports, ICMP with a negated code, a Log rule split in alternatives, named ports. Each case
//! is checked for its shape and taken by the real `iptables-restore` (both variants).

mod common;

use std::collections::BTreeSet;

use common::{Netns, model};
use tortie_rules::render;
use tortie_rules::xt::restore::{full, ipsets_full};
use tortie_rules::xt::save::{Saved, verify};
use tortie_rules::xt::{Table, XtRuleset};

const POLICY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: web, image: nginx, ports: [{containerPort: 80, name: http}]}]
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: except, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/4, except: [10.0.1.2/32]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: edges}
spec:
  selector: app == 'web'
  order: 10
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "20:30", "40:50", "60:70", 100, 101, 102, 103]}
  - action: Allow
    notProtocol: UDP
    destination: {ports: [7000]}
  - action: Allow
    protocol: ICMP
    notICMP: {type: 3, code: 1}
  - action: Log
    protocol: TCP
    destination: {ports: [8080, http]}
  - action: Deny
    source: {nets: [192.0.2.0/24, 198.51.100.0/24], notNets: [192.0.2.128/25]}
  - action: Allow
    destination: {notNets: [0.0.0.0/0]}
"#;

fn translate() -> XtRuleset {
    let rs = render(&model(POLICY), "node1");
    XtRuleset::from_ruleset(&rs).expect("iptables can say every rule")
}

fn filter_rules(xt: &XtRuleset) -> Vec<String> {
    xt.v4[&Table::Filter]
        .chains
        .iter()
        .filter(|(name, _)| name.starts_with("cali-pi-_") || name.starts_with("cali-po-_"))
        .flat_map(|(_, rules)| rules.iter().map(|r| r.spec.clone()))
        .collect()
}

#[test]
fn rules_iptables_cannot_say_in_one_become_several_or_a_set() {
    let xt = translate();
    let rules = filter_rules(&xt);
    let with = |needle: &str| rules.iter().filter(|r| r.contains(needle)).count();
    // except: one -d and the excluded host through a set.
    assert_eq!(
        with("-d 0.0.0.0/4 -m set ! --match-set cali40i:"),
        1,
        "{rules:#?}"
    );
    // 17 ports in 20 slots: two multiport lists, so two rules setting the mark.
    assert_eq!(
        with("--dports 1,2,3,4,5,6,7,8,9,10,20:30,40:50"),
        1,
        "{rules:#?}"
    );
    assert_eq!(with("--dports 60:70,100,101,102,103"), 1, "{rules:#?}");
    // notProtocol UDP with a port: TCP, SCTP and UDPLite, one rule each.
    assert_eq!(with("--dports 7000 -j MARK"), 3, "{rules:#?}");
    assert!(
        !rules
            .iter()
            .any(|r| r.contains("-p udp -m multiport --dports 7000"))
    );
    // Type 3 with another code than 1.
    assert_eq!(
        with("-m icmp --icmp-type 3 -m icmp ! --icmp-type 3/1"),
        1,
        "{rules:#?}"
    );
    // Log with a numeric and a named port: both mark, one logs.
    assert_eq!(with("-j NFLOG --nflog-group 3"), 1, "{rules:#?}");
    assert_eq!(with("-j MARK --set-xmark 0x40000/0x40000"), 2, "{rules:#?}");
    // Two source nets: a set; notNets of one: a plain negated -s would be the second -s.
    assert_eq!(with("-m set --match-set cali40i:"), 1, "{rules:#?}");
    // notNets 0.0.0.0/0 never matches in IPv4: the rule is left out there.
    assert!(xt.ipsets.values().all(|s| !s.members.contains("0.0.0.0/0")));
    // Allow is a mark and a mark-guarded return, as Felix writes it.
    assert!(
        rules
            .iter()
            .any(|r| r.ends_with("-m mark --mark 0x10000/0x10000 -j RETURN"))
    );
}

#[test]
fn the_real_iptables_takes_the_edge_cases() {
    let xt = translate();
    for variant in ["nft", "legacy"] {
        let ns = Netns::new();
        ns.run(
            &["ipset", "restore"],
            &ipsets_full(&xt.ipsets, &BTreeSet::new()).before,
        )
        .unwrap_or_else(|e| panic!("ipset: {e}"));
        for (fam, tables) in [("iptables", &xt.v4), ("ip6tables", &xt.v6)] {
            let text = full(tables, &Saved::default());
            ns.run(&[&format!("{fam}-{variant}-restore"), "--noflush"], &text)
                .unwrap_or_else(|e| panic!("{fam}-{variant}: {e}\n{text}"));
            let saved = ns.run(&[&format!("{fam}-{variant}-save")], "").unwrap();
            assert_eq!(
                verify(tables, &Saved::parse(&saved), fam),
                Vec::<String>::new()
            );
        }
    }
}
