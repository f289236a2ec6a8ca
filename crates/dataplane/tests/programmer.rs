//! The programmer against the real kernel, in a throw-away network namespace.

use std::process::Command;

use tortie_dataplane::{Nft, NftCli, Programmed, Programmer};
use tortie_rules::ir::{Chain, Family, Match, Rule, Ruleset, Set, SetType, Stmt};

struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("tortie-dp-{tag}-{}", std::process::id());
        assert!(
            Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .unwrap()
                .success()
        );
        Netns(name)
    }
    fn nft(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, "nft"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ruleset(addresses: &[&str]) -> Ruleset {
    let mut rs = Ruleset::default();
    rs.sets.insert(
        "cali40s-test".into(),
        Set {
            kind: SetType::Nets(Family::V4),
            elements: std::sync::Arc::new(addresses.iter().map(|a| (*a).to_string()).collect()),
        },
    );
    rs.chains.insert(
        "filter-test".into(),
        Chain {
            base: None,
            rules: vec![
                Rule::new(
                    vec![Match::AddrSet {
                        end: tortie_rules::ir::End::Source,
                        family: Family::V4,
                        set: "cali40s-test".into(),
                        negated: false,
                    }],
                    vec![Stmt::Drop],
                ),
                Rule::new(vec![], vec![Stmt::Return]).with_comment("end"),
            ],
        },
    );
    rs
}

#[test]
fn programs_updates_and_keeps_the_old_rules_when_a_transaction_is_refused() {
    let ns = Netns::new("refuse");
    let mut p = Programmer::new(NftCli::in_netns(&ns.0));
    assert!(matches!(
        p.program(ruleset(&["10.0.0.1"])).unwrap(),
        Programmed::Full { .. }
    ));
    let delta = p.program(ruleset(&["10.0.0.1", "10.0.0.2"])).unwrap();
    assert!(
        matches!(delta, Programmed::Delta { ref stats, .. } if stats.elements_added == 1),
        "{delta:?}"
    );
    assert_eq!(
        p.program(ruleset(&["10.0.0.1", "10.0.0.2"])).unwrap(),
        Programmed::Unchanged
    );
    let before = ns.nft(&["list", "table", "inet", "tortie"]).1;
    // An element the kernel cannot take: the whole transaction is refused.
    let err = p
        .program(ruleset(&["10.0.0.1", "10.0.0.3", "not-an-address"]))
        .unwrap_err();
    assert!(err.0.contains("nothing changed"), "{err}");
    assert_eq!(
        ns.nft(&["list", "table", "inet", "tortie"]).1,
        before,
        "half-applied"
    );
    assert!(!before.contains("10.0.0.3"));
}

#[test]
fn drift_is_found_and_repaired() {
    let ns = Netns::new("drift");
    let mut p = Programmer::new(NftCli::in_netns(&ns.0));
    p.program(ruleset(&["10.0.0.1", "10.0.0.2"])).unwrap();
    assert_eq!(p.check_and_repair().unwrap(), vec![]);

    // Someone deletes a rule.
    let listing = ns
        .nft(&["-a", "list", "chain", "inet", "tortie", "filter-test"])
        .1;
    let handle = listing
        .lines()
        .find(|l| l.contains("return"))
        .and_then(|l| l.rsplit("handle ").next())
        .unwrap()
        .trim()
        .to_string();
    assert!(
        ns.nft(&[
            "delete",
            "rule",
            "inet",
            "tortie",
            "filter-test",
            "handle",
            &handle
        ])
        .0
    );
    let drift = p.check_and_repair().unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(
        ns.nft(&["list", "table", "inet", "tortie"])
            .1
            .contains("return")
    );

    // Someone removes a set element.
    assert!(
        ns.nft(&[
            "delete",
            "element",
            "inet",
            "tortie",
            "cali40s-test",
            "{ 10.0.0.2 }"
        ])
        .0
    );
    assert_eq!(p.check_and_repair().unwrap().len(), 1);
    assert!(
        ns.nft(&["list", "table", "inet", "tortie"])
            .1
            .contains("10.0.0.2")
    );

    // Someone deletes the whole table.
    assert!(ns.nft(&["delete", "table", "inet", "tortie"]).0);
    assert_eq!(p.check_and_repair().unwrap().len(), 1);
    assert_eq!(p.check_and_repair().unwrap(), vec![]);
    let mut cli = NftCli::in_netns(&ns.0);
    assert!(cli.list_json("tortie").unwrap().is_some());
}

#[test]
fn other_tables_are_never_touched() {
    let ns = Netns::new("foreign");
    assert!(ns.nft(&["add", "table", "ip", "foreign"]).0);
    assert!(ns.nft(&["add", "chain", "ip", "foreign", "c"]).0);
    assert!(
        ns.nft(&["add", "rule", "ip", "foreign", "c", "counter", "accept"])
            .0
    );
    let before = ns.nft(&["list", "table", "ip", "foreign"]).1;
    let mut p = Programmer::new(NftCli::in_netns(&ns.0));
    p.program(ruleset(&["10.0.0.1"])).unwrap();
    p.program(ruleset(&[])).unwrap();
    assert!(ns.nft(&["delete", "table", "inet", "tortie"]).0);
    p.check_and_repair().unwrap();
    assert_eq!(ns.nft(&["list", "table", "ip", "foreign"]).1, before);
}
