//! Profiles: evaluated after every tier, in the endpoint's order; Allow allows, Deny denies,
//! Pass is no verdict; no allowing profile denies; labelsToApply labels the endpoint.

use crate::{World, allowed, denied};

fn wep(name: &str, ip: &str, labels: &str, profiles: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node1-k8s-{name}-eth0
  namespace: default
  labels: {{{labels}}}
spec:
  node: node1
  orchestrator: k8s
  pod: {name}
  endpoint: eth0
  interfaceName: cali{name}
  ipNetworks: [{ip}/32]
  profiles: [{profiles}]
---
"
    )
}

fn world() -> World {
    let mut yaml = String::new();
    yaml += &wep(
        "client",
        "10.0.20.1",
        "app: client",
        "projectcalico-default-allow",
    );
    yaml += &wep("restricted", "10.0.20.2", "app: r", "restricted");
    yaml += &wep("bare", "10.0.20.3", "app: bare", "");
    yaml += &wep("passing", "10.0.20.4", "app: p", "pass-first, allow-all");
    yaml += &wep("refusing", "10.0.20.5", "app: d", "deny-first, allow-all");
    yaml += &wep("blue", "10.0.20.6", "app: blue", "team-blue");
    yaml += &wep("missing", "10.0.20.7", "app: m", "does-not-exist");
    yaml += r"
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: restricted}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [22]}
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: pass-first}
spec:
  ingress:
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: deny-first}
spec:
  ingress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: allow-all}
spec:
  ingress:
  - action: Allow
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: team-blue}
spec:
  labelsToApply: {team: blue}
  ingress:
  - action: Allow
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: guard-blue}
spec:
  selector: team == 'blue'
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [23]}
  - action: Allow
";
    World::new(&yaml)
}

const CLIENT: &str = "default/node1-k8s-client-eth0";

fn ep(name: &str) -> String {
    format!("default/node1-k8s-{name}-eth0")
}

#[test]
fn a_profile_rule_allows_when_no_policy_applies() {
    let w = world();
    allowed(
        &w.trace(CLIENT, &ep("restricted"), "tcp/22"),
        "destination ingress",
        "profile restricted",
        Some(0),
    );
    allowed(
        &w.trace(CLIENT, &ep("restricted"), "tcp/22"),
        "source egress",
        "profile projectcalico-default-allow",
        Some(0),
    );
}

#[test]
fn no_allowing_profile_denies() {
    let w = world();
    let d = w.trace(CLIENT, &ep("restricted"), "tcp/80");
    denied(&d, "destination ingress", "-", None);
    assert!(
        d.steps.last().unwrap().reason.contains("profile"),
        "{:?}",
        d.steps.last()
    );
    denied(
        &w.trace(CLIENT, &ep("bare"), "tcp/80"),
        "destination ingress",
        "-",
        None,
    );
    denied(
        &w.trace(CLIENT, &ep("missing"), "tcp/80"),
        "destination ingress",
        "-",
        None,
    );
}

#[test]
fn pass_in_a_profile_goes_on_to_the_next_profile() {
    let w = world();
    allowed(
        &w.trace(CLIENT, &ep("passing"), "tcp/80"),
        "destination ingress",
        "profile allow-all",
        Some(0),
    );
}

#[test]
fn deny_in_a_profile_denies_before_later_profiles() {
    let w = world();
    denied(
        &w.trace(CLIENT, &ep("refusing"), "tcp/80"),
        "destination ingress",
        "profile deny-first",
        Some(0),
    );
}

#[test]
fn labels_to_apply_are_inherited_and_selected_on() {
    let w = world();
    denied(
        &w.trace(CLIENT, &ep("blue"), "tcp/23"),
        "destination ingress",
        "guard-blue",
        Some(0),
    );
    allowed(
        &w.trace(CLIENT, &ep("blue"), "tcp/80"),
        "destination ingress",
        "guard-blue",
        Some(1),
    );
}
