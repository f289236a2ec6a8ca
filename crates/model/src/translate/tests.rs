use super::*;
use crate::rule::ServiceMatch;

fn er() -> EntityRule {
    EntityRule::default()
}

// Inventory §2.5, policy rows.

#[test]
fn namespaced_policy_empty_selector_is_the_namespace() {
    assert_eq!(
        namespaced_policy_selector("prod", "", ""),
        "projectcalico.org/namespace == 'prod'"
    );
}

#[test]
fn namespaced_policy_selector_is_wrapped_as_written() {
    assert_eq!(
        namespaced_policy_selector("prod", "app == 'web'", ""),
        "(app == 'web') && projectcalico.org/namespace == 'prod'"
    );
}

#[test]
fn namespaced_policy_service_account_selector_is_prefixed_and_canonical() {
    assert_eq!(
        namespaced_policy_selector("prod", "", "role == 'x'"),
        "(projectcalico.org/namespace == 'prod') && pcsa.role == \"x\""
    );
    // An unparsable service-account selector is dropped; `all()` stays as it is.
    assert_eq!(
        namespaced_policy_selector("ns2", "mylabel == 'selectme'", "role 'development'"),
        "(mylabel == 'selectme') && projectcalico.org/namespace == 'ns2'"
    );
    assert_eq!(
        namespaced_policy_selector("ns2", "mylabel == 'selectme'", "all()"),
        "((mylabel == 'selectme') && projectcalico.org/namespace == 'ns2') && all()"
    );
}

#[test]
fn global_policy_rows() {
    assert_eq!(global_policy_selector("", "", ""), "");
    assert_eq!(
        global_policy_selector("", "team == 'a'", ""),
        "pcns.team == \"a\""
    );
    assert_eq!(
        global_policy_selector("all()", "all()", ""),
        "(has(projectcalico.org/namespace)) && has(projectcalico.org/namespace)"
    );
    assert_eq!(
        global_policy_selector("", "", "all()"),
        "has(projectcalico.org/serviceaccount)"
    );
    assert_eq!(
        global_policy_selector("app == 'x'", "", "role == 'r'"),
        "(app == 'x') && pcsa.role == \"r\""
    );
}

// Inventory §2.5, rule rows.

#[test]
fn namespaced_rule_selector_is_limited_to_the_namespace() {
    let e = EntityRule {
        selector: "app == 'db'".into(),
        ..er()
    };
    assert_eq!(
        entity_rule_selector(&e, "prod"),
        "(projectcalico.org/namespace == 'prod') && (app == 'db')"
    );
}

#[test]
fn rule_namespace_selector_alone_allows_other_namespaces() {
    let e = EntityRule {
        namespace_selector: "team == 'a'".into(),
        ..er()
    };
    assert_eq!(entity_rule_selector(&e, "prod"), "pcns.team == \"a\"");
}

#[test]
fn rule_global_namespace_selector() {
    let e = EntityRule {
        namespace_selector: "global()".into(),
        selector: "role == 'x'".into(),
        ..er()
    };
    assert_eq!(
        entity_rule_selector(&e, "prod"),
        "(!has(projectcalico.org/namespace)) && (role == 'x')"
    );
}

#[test]
fn rule_not_selector_only_gets_the_namespace_and_is_folded_by_felix() {
    let e = EntityRule {
        not_selector: "app == 'x'".into(),
        ..er()
    };
    let (pos, neg) = entity_rule_selectors(&e, "prod");
    assert_eq!(pos, "projectcalico.org/namespace == 'prod'");
    assert_eq!(neg, "app == 'x'");
    assert_eq!(
        combine_matches(&pos, &neg),
        (
            "(projectcalico.org/namespace == 'prod') && (!(app == 'x'))".to_string(),
            String::new()
        )
    );
}

#[test]
fn rule_service_account_names() {
    let e = EntityRule {
        service_accounts: Some(ServiceAccountMatch {
            names: vec!["a".into()],
            selector: String::new(),
        }),
        ..er()
    };
    assert_eq!(
        entity_rule_selector(&e, "prod"),
        "(projectcalico.org/namespace == 'prod') && (projectcalico.org/serviceaccount in {\"a\"})"
    );
    let both = ServiceAccountMatch {
        names: vec!["b".into(), "a".into()],
        selector: "role == 'x'".into(),
    };
    assert_eq!(
        service_account_selector(&both),
        "(pcsa.role == \"x\") && (projectcalico.org/serviceaccount in {\"a\", \"b\"})"
    );
}

#[test]
fn rule_with_only_nets_is_not_namespace_limited() {
    let e = EntityRule {
        nets: vec!["10.0.0.0/8".into()],
        ..er()
    };
    assert_eq!(entity_rule_selector(&e, "prod"), "");
}

#[test]
fn global_rule_selector_is_kept() {
    let e = EntityRule {
        selector: "app == 'db'".into(),
        ..er()
    };
    assert_eq!(entity_rule_selector(&e, ""), "app == 'db'");
}

#[test]
fn global_rule_not_selector_only_stays_negated() {
    let e = EntityRule {
        not_selector: "has(x)".into(),
        ..er()
    };
    let (pos, neg) = entity_rule_selectors(&e, "");
    assert_eq!((pos.as_str(), neg.as_str()), ("", "has(x)"));
    assert_eq!(
        combine_matches(&pos, &neg),
        (String::new(), "has(x)".into())
    );
}

#[test]
fn selector_service_accounts_and_namespace_selector_combined() {
    let e = EntityRule {
        selector: "app == 'x'".into(),
        namespace_selector: "all()".into(),
        service_accounts: Some(ServiceAccountMatch {
            names: Vec::new(),
            selector: "k == 'v'".into(),
        }),
        ..er()
    };
    assert_eq!(
        entity_rule_selector(&e, "prod"),
        "(has(projectcalico.org/namespace)) && ((pcsa.k == \"v\") && (app == 'x'))"
    );
}

#[test]
fn rules_translate_action_protocol_nets_and_originals() {
    let mut r = Rule::new(Action::Pass);
    r.protocol = Some(Protocol::Name("TCP".into()));
    r.source.nets = vec!["10.1.2.3/8".into(), "bad".into(), "10.0.0.1".into()];
    r.destination.services = Some(ServiceMatch {
        name: "svc".into(),
        namespace: "ns".into(),
    });
    r.destination.ports = vec![Port::Number(80)];
    let f = rule_to_felix(&r, "prod");
    assert_eq!(f.action, "next-tier");
    assert_eq!(f.protocol, Some(Protocol::Name("tcp".into())));
    assert_eq!(f.src_nets, vec!["10.0.0.0/8", "10.0.0.1/32"]);
    assert_eq!(f.dst_service, ("svc".to_string(), "ns".to_string()));
    assert_eq!(f.dst_ports, vec![Port::Number(80)]);
    assert_eq!(f.src_selector, "");
}

#[test]
fn policies_translate_whole() {
    let mut np: Object<NetworkPolicySpec> = Object::new("NetworkPolicy", "p");
    np.metadata.namespace = "prod".into();
    np.spec.types = vec![PolicyType::Ingress, PolicyType::Egress];
    np.spec.ingress = vec![Rule::new(Action::Allow)];
    let f = network_policy_to_felix(&np);
    assert_eq!(f.selector, "projectcalico.org/namespace == 'prod'");
    assert_eq!(f.types, vec!["ingress", "egress"]);
    assert_eq!(f.tier, "default");
    assert!(!f.apply_on_forward);
    assert_eq!(f.inbound_rules[0].action, "allow");

    let mut gnp: Object<GlobalNetworkPolicySpec> = Object::new("GlobalNetworkPolicy", "g");
    gnp.spec.namespace_selector = "team == 'a'".into();
    gnp.spec.apply_on_forward = true;
    let g = global_network_policy_to_felix(&gnp);
    assert_eq!(g.selector, "pcns.team == \"a\"");
    assert!(g.apply_on_forward);
    assert_eq!(g.namespace, "");
}
