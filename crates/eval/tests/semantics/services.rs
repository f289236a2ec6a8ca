//! Services: kube-proxy's DNAT before workload policy, `services:` rules resolved to the
//! backends, and the source NAT of `externalTrafficPolicy: Cluster`.

use crate::{World, allowed, denied, pods};

fn world(extra: &str) -> World {
    let mut yaml = pods(&[
        ("default/web", "10.2.1.5", "node1", "app=web"),
        ("default/web2", "10.2.1.6", "node1", "app=web"),
        ("default/cli", "10.2.2.5", "node2", "app=cli"),
        ("default/db", "10.2.2.6", "node2", "app=db"),
    ]);
    yaml += crate::TWO_NODES;
    yaml += r"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-local, namespace: default}
spec:
  type: NodePort
  clusterIP: 10.96.0.11
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30081}]
---
";
    yaml += extra;
    World::new(&yaml)
}

#[test]
fn workload_policy_sees_the_backend_after_dnat() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-from-cli, namespace: default}
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == 'cli'}
    destination: {ports: [8080]}
",
    );
    let d = w.trace("default/cli", "10.96.0.10", "tcp/80");
    allowed(&d, "destination ingress", "web-from-cli", Some(0));
    let dnat = d
        .steps
        .iter()
        .find(|s| s.checkpoint == "DNAT")
        .expect("a DNAT step");
    assert!(dnat.packet.ends_with("-> 10.2.1.5:8080"), "{}", dnat.packet);
    denied(
        &w.trace("default/db", "10.96.0.10", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn services_rules_match_the_backends_and_their_ports() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: cli-only-web}
spec:
  selector: app == 'cli'
  types: [Egress]
  egress:
  - action: Allow
    destination:
      services: {name: web, namespace: default}
",
    );
    allowed(
        &w.trace("default/cli", "10.96.0.10", "tcp/80"),
        "source egress",
        "cli-only-web",
        Some(0),
    );
    allowed(
        &w.trace("default/cli", "default/web2", "tcp/8080"),
        "source egress",
        "cli-only-web",
        Some(0),
    );
    // Not a backend, or not the Service's port.
    denied(
        &w.trace("default/cli", "default/db", "tcp/8080"),
        "source egress",
        "end of tier default",
        None,
    );
    denied(
        &w.trace("default/cli", "default/web", "tcp/9090"),
        "source egress",
        "end of tier default",
        None,
    );
}

#[test]
fn node_ports_with_cluster_policy_masquerade_and_local_policy_keeps_the_client() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-from-nodes, namespace: default}
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    source: {nets: [10.1.0.0/24]}
",
    );
    // Through node2, the backend on node1 sees node2's address ...
    let d = w.trace("192.0.2.9", "10.1.0.2", "tcp/30080");
    allowed(&d, "destination ingress", "web-from-nodes", Some(0));
    assert!(
        d.steps.iter().any(|s| s.checkpoint == "SNAT"),
        "{:?}",
        d.steps
    );
    // ... while through node1 (backend local) the client's address is kept.
    denied(
        &w.trace("192.0.2.9", "10.1.0.1", "tcp/30080"),
        "destination ingress",
        "end of tier default",
        None,
    );
    // externalTrafficPolicy: Local never masquerades.
    denied(
        &w.trace("192.0.2.9", "10.1.0.1", "tcp/30081"),
        "destination ingress",
        "end of tier default",
        None,
    );
}
