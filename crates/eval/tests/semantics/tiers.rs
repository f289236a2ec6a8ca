//! Tiers and Pass, policy order and ties, Log, staged policies, default deny per direction.

use crate::{World, allowed, denied, pods};

fn world() -> World {
    let mut yaml = pods(&[
        ("default/web", "10.0.1.1", "node1", "app=web"),
        ("default/trusted", "10.0.1.2", "node1", "app=trusted"),
        ("default/other", "10.0.1.3", "node2", "app=other"),
        ("default/tie", "10.0.1.4", "node2", "app=tie"),
    ]);
    yaml.push_str(
        r"
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: permissive}
spec: {order: 200, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: audit}
spec: {order: 50}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: pass-trusted}
spec:
  tier: security
  order: 10
  selector: app == 'web'
  ingress:
  - action: Pass
    source: {selector: app == 'trusted'}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-other}
spec:
  tier: security
  order: 20
  selector: app == 'web'
  ingress:
  - action: Deny
    source: {selector: app == 'other'}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: log-web, namespace: default}
spec:
  order: 10
  selector: app == 'web'
  ingress:
  - action: Log
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-web, namespace: default}
spec:
  order: 100
  selector: app == 'web'
  ingress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: trusted-to-tie}
spec:
  tier: permissive
  selector: app == 'tie'
  ingress:
  - action: Allow
    source: {selector: app == 'trusted'}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: b-deny, namespace: default}
spec:
  order: 50
  selector: app == 'other'
  ingress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-allow, namespace: default}
spec:
  order: 50
  selector: app == 'other'
  ingress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: no-order}
spec:
  selector: app == 'tie'
  types: [Egress]
  egress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: ordered-last}
spec:
  order: 99999
  selector: app == 'tie'
  types: [Egress]
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: audit-web}
spec:
  tier: audit
  order: 1
  selector: app == 'web'
  ingress:
  - action: Deny
",
    );
    World::new(&yaml)
}

#[test]
fn pass_skips_the_rest_of_the_tier_and_the_next_tier_decides() {
    let w = world();
    let d = w.trace("default/trusted", "default/web", "tcp/80");
    allowed(&d, "destination ingress", "allow-web", Some(0));
    // Log is not terminal: the packet was logged on the way.
    let step = d.steps.last().unwrap();
    assert_eq!(step.logged.len(), 1, "{step:?}");
    assert_eq!(step.logged[0].policy, "NetworkPolicy default/log-web");
}

#[test]
fn deny_is_immediate_and_later_tiers_are_not_reached() {
    let w = world();
    denied(
        &w.trace("default/other", "default/web", "tcp/80"),
        "destination ingress",
        "deny-other",
        Some(0),
    );
}

#[test]
fn a_tier_that_selects_the_endpoint_denies_what_it_does_not_decide() {
    let w = world();
    let d = w.trace("default/tie", "default/web", "tcp/80");
    denied(&d, "destination ingress", "end of tier security", None);
    let selected: Vec<_> = d
        .steps
        .last()
        .unwrap()
        .selected_by
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(selected, ["pass-trusted", "deny-other"]);
}

#[test]
fn a_tier_with_default_action_pass_hands_on_to_the_profiles() {
    let w = world();
    allowed(
        &w.trace("default/trusted", "default/tie", "tcp/80"),
        "destination ingress",
        "trusted-to-tie",
        Some(0),
    );
    allowed(
        &w.trace("default/other", "default/tie", "tcp/80"),
        "destination ingress",
        "profile kns.default",
        Some(0),
    );
}

#[test]
fn equal_orders_are_broken_by_name() {
    let w = world();
    allowed(
        &w.trace("default/web", "default/other", "tcp/80"),
        "destination ingress",
        "a-allow",
        Some(0),
    );
}

#[test]
fn a_policy_without_order_comes_after_every_ordered_one() {
    let w = world();
    allowed(
        &w.trace("default/tie", "default/other", "tcp/80"),
        "source egress",
        "ordered-last",
        Some(0),
    );
}

#[test]
fn staged_policies_report_but_do_not_enforce_and_staged_only_tiers_never_drop() {
    let w = world();
    let d = w.trace("default/trusted", "default/web", "tcp/80");
    allowed(&d, "destination ingress", "allow-web", Some(0));
    let staged = d
        .staged
        .iter()
        .find(|s| s.checkpoint == "destination ingress")
        .expect("the staged deny is reported");
    assert_eq!(staged.verdict, tortie_eval::StepVerdict::Deny);
    assert_eq!(staged.policy.as_ref().unwrap().name, "audit-web");
    assert_eq!(staged.rule_index, Some(0));
}

#[test]
fn default_deny_is_per_direction() {
    let w = World::new(
        &(pods(&[
            ("default/a", "10.0.2.1", "node1", "app=a"),
            ("default/b", "10.0.2.2", "node1", "app=b"),
        ]) + r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-egress-only, namespace: default}
spec:
  selector: app == 'a'
  types: [Egress]
"),
    );
    // Governed direction with no rules: everything out of `a` is denied ...
    denied(
        &w.trace("default/a", "default/b", "tcp/80"),
        "source egress",
        "end of tier default",
        None,
    );
    // ... while its ingress, which no policy governs, falls to its profile.
    allowed(
        &w.trace("default/b", "default/a", "tcp/80"),
        "destination ingress",
        "profile kns.default",
        Some(0),
    );
}

#[test]
fn types_default_to_ingress_when_there_are_no_egress_rules() {
    let w = World::new(
        &(pods(&[
            ("default/a", "10.0.2.1", "node1", "app=a"),
            ("default/b", "10.0.2.2", "node1", "app=b"),
        ]) + r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-nothing, namespace: default}
spec:
  selector: app == 'a'
"),
    );
    denied(
        &w.trace("default/b", "default/a", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
    allowed(
        &w.trace("default/a", "default/b", "tcp/80"),
        "source egress",
        "profile kns.default",
        Some(0),
    );
}

#[test]
fn both_ends_must_allow() {
    let w = World::new(
        &(pods(&[
            ("default/a", "10.0.2.1", "node1", "app=a"),
            ("default/b", "10.0.2.2", "node2", "app=b"),
        ]) + r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: b-in, namespace: default}
spec:
  selector: app == 'b'
  ingress:
  - action: Allow
    source: {selector: app == 'a'}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-out, namespace: default}
spec:
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination: {ports: [443]}
"),
    );
    allowed(
        &w.trace("default/a", "default/b", "tcp/443"),
        "destination ingress",
        "b-in",
        Some(0),
    );
    denied(
        &w.trace("default/a", "default/b", "tcp/80"),
        "source egress",
        "end of tier default",
        None,
    );
}

#[test]
fn namespaced_policies_select_only_in_their_namespace() {
    let w = World::new(
        &(pods(&[
            ("dev/a", "10.0.3.1", "node1", "app=a"),
            ("prod/a", "10.0.3.2", "node1", "app=a"),
            ("prod/b", "10.0.3.3", "node1", "app=b"),
        ]) + r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: lock-a, namespace: dev}
spec:
  selector: app == 'a'
  ingress:
  - action: Allow
    source: {selector: app == 'b'}
"),
    );
    // The rule's selector is limited to the policy's namespace: prod/b is not `app == 'b'` in dev.
    denied(
        &w.trace("prod/b", "dev/a", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
    allowed(
        &w.trace("prod/b", "prod/a", "tcp/80"),
        "destination ingress",
        "profile kns.prod",
        Some(0),
    );
}
