use super::*;
use crate::load_str;

fn load_one(text: &str) -> Resource {
    load_str(text, "t").unwrap().remove(0).result.unwrap()
}

#[test]
fn policy_types_tier_and_tier_label_are_defaulted() {
    let mut r = load_one(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\nspec:\n  egress: [{action: Allow}]\n",
    );
    apply(&mut r);
    let Resource::NetworkPolicy(p) = &r else {
        panic!("kind")
    };
    assert_eq!(p.spec.tier, "default");
    assert_eq!(p.spec.types, vec![PolicyType::Egress]);
    assert_eq!(
        p.metadata.labels.get(TIER_LABEL).map(String::as_str),
        Some("default")
    );
    let before = r.clone();
    apply(&mut r);
    assert_eq!(r, before, "defaulting is idempotent");
}

#[test]
fn types_follow_calico_for_every_rule_shape() {
    let rule = Rule::new(Action::Allow);
    assert_eq!(infer_types(&[], &[]), vec![PolicyType::Ingress]);
    assert_eq!(
        infer_types(std::slice::from_ref(&rule), &[]),
        vec![PolicyType::Ingress]
    );
    assert_eq!(
        infer_types(&[], std::slice::from_ref(&rule)),
        vec![PolicyType::Egress]
    );
    assert_eq!(
        infer_types(std::slice::from_ref(&rule), std::slice::from_ref(&rule)),
        vec![PolicyType::Ingress, PolicyType::Egress]
    );
}

#[test]
fn explicit_types_and_tiers_are_kept() {
    let mut r = load_one(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  tier: security\n  types: [Egress]\n  ingress: [{action: Deny}]\n",
    );
    apply(&mut r);
    let Resource::GlobalNetworkPolicy(p) = &r else {
        panic!("kind")
    };
    assert_eq!(p.spec.tier, "security");
    assert_eq!(p.spec.types, vec![PolicyType::Egress]);
    assert_eq!(p.metadata.labels[TIER_LABEL], "security");
}

#[test]
fn tiers_get_order_and_default_action() {
    let mut user =
        load_one("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n");
    apply(&mut user);
    let Resource::Tier(t) = &user else {
        panic!("kind")
    };
    assert_eq!(
        (t.spec.order, t.spec.default_action),
        (Some(1_000_000.0), Some(Action::Deny))
    );
    let mut admin =
        load_one("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: kube-admin}\n");
    apply(&mut admin);
    let Resource::Tier(t) = &admin else {
        panic!("kind")
    };
    assert_eq!(
        (t.spec.order, t.spec.default_action),
        (Some(1_000.0), Some(Action::Pass))
    );
}

#[test]
fn staged_policies_default_to_set() {
    let mut r = load_one(
        "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p, namespace: n}\nspec: {stagedAction: ''}\n",
    );
    apply(&mut r);
    let Resource::StagedNetworkPolicy(p) = &r else {
        panic!("kind")
    };
    assert_eq!(p.spec.staged_action, Some(StagedAction::Set));
    assert_eq!(p.spec.types, vec![PolicyType::Ingress]);
}
