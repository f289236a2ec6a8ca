//! Host endpoints: normal policy for the host's own traffic, applyOnForward for forwarded
//! traffic, preDNAT before kube-proxy, doNotTrack before conntrack, failsafe ports, the
//! workload-to-host action, and host-to-local-workload traffic.

use crate::{World, allowed, denied, pods};

/// Two nodes, a host endpoint on each one's eth0, a pod on each, and a NodePort Service.
fn world(extra: &str) -> World {
    let mut yaml = pods(&[
        ("default/web", "10.2.1.5", "node1", "app=web"),
        ("default/cli", "10.2.2.5", "node2", "app=cli"),
    ]);
    yaml += crate::TWO_NODES;
    yaml += r"
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: worker}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [10.1.0.1]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node2-eth0, labels: {role: worker}}
spec: {node: node2, interfaceName: eth0, expectedIPs: [10.1.0.2]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
";
    yaml += extra;
    World::new(&yaml)
}

const OUTSIDE: &str = "192.0.2.9";

#[test]
fn a_host_endpoint_without_policy_denies_host_traffic_but_not_forwarded_traffic() {
    let w = world("");
    denied(
        &w.trace(OUTSIDE, "node/node1", "tcp/8080"),
        "host ingress",
        "-",
        None,
    );
    denied(
        &w.trace("node/node1", OUTSIDE, "tcp/443"),
        "host egress",
        "-",
        None,
    );
    // Forwarded traffic has no forward policy to pass, then meets the pod's own policy.
    allowed(
        &w.trace(OUTSIDE, "default/web", "tcp/8080"),
        "destination ingress",
        "profile kns.default",
        Some(0),
    );
}

#[test]
fn failsafe_ports_are_open_in_both_directions_whatever_the_policy() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-host}
spec:
  selector: role == 'worker'
  types: [Ingress, Egress]
",
    );
    allowed(
        &w.trace(OUTSIDE, "node/node1", "tcp/22"),
        "host ingress (failsafe)",
        "failsafe",
        None,
    );
    allowed(
        &w.trace("node/node1", OUTSIDE, "udp/53"),
        "host egress (failsafe)",
        "failsafe",
        None,
    );
    denied(
        &w.trace(OUTSIDE, "node/node1", "tcp/23"),
        "host ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn failsafe_ports_follow_felix_configuration() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec:
  failsafeInboundHostPorts: [{protocol: TCP, port: 2222}]
",
    );
    allowed(
        &w.trace(OUTSIDE, "node/node1", "tcp/2222"),
        "host ingress (failsafe)",
        "failsafe",
        None,
    );
    denied(
        &w.trace(OUTSIDE, "node/node1", "tcp/22"),
        "host ingress",
        "-",
        None,
    );
}

#[test]
fn normal_policy_governs_the_host_and_apply_on_forward_extends_it_to_forwarded_traffic() {
    let host_only = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-web}
spec:
  selector: role == 'worker'
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [80]}
",
    );
    allowed(
        &host_only.trace(OUTSIDE, "node/node1", "tcp/80"),
        "host ingress",
        "host-web",
        Some(0),
    );
    denied(
        &host_only.trace(OUTSIDE, "node/node1", "tcp/81"),
        "host ingress",
        "end of tier default",
        None,
    );
    // Without applyOnForward the policy does not see forwarded traffic.
    allowed(
        &host_only.trace(OUTSIDE, "default/web", "tcp/81"),
        "destination ingress",
        "profile kns.default",
        Some(0),
    );

    let forward = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fwd-web}
spec:
  selector: role == 'worker'
  applyOnForward: true
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [8080]}
",
    );
    allowed(
        &forward.trace(OUTSIDE, "default/web", "tcp/8080"),
        "forward ingress",
        "fwd-web",
        Some(0),
    );
    denied(
        &forward.trace(OUTSIDE, "default/web", "tcp/8081"),
        "forward ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn pre_dnat_policy_sees_the_node_port_not_the_pod_port() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-pod-port}
spec:
  selector: role == 'worker'
  order: 10
  preDNAT: true
  applyOnForward: true
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [8080]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-rest}
spec:
  selector: role == 'worker'
  order: 20
  preDNAT: true
  applyOnForward: true
  ingress:
  - action: Deny
    source: {notNets: [10.0.0.0/8]}
",
    );
    denied(
        &w.trace(OUTSIDE, "10.1.0.1", "tcp/30080"),
        "pre-DNAT ingress",
        "deny-rest",
        Some(0),
    );
    // Cluster sources pass the pre-DNAT stage (no verdict there never drops) and are DNATed.
    let d = w.trace("default/cli", "10.1.0.1", "tcp/30080");
    allowed(&d, "destination ingress", "profile kns.default", Some(0));
    assert!(
        d.steps.iter().any(|s| s.checkpoint == "DNAT"),
        "{:?}",
        d.steps
    );
}

#[test]
fn pre_dnat_allow_skips_later_host_endpoint_policy() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: pre-allow}
spec:
  selector: role == 'worker'
  preDNAT: true
  applyOnForward: true
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [30080]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fwd-deny}
spec:
  selector: role == 'worker'
  applyOnForward: true
  ingress:
  - action: Deny
",
    );
    let d = w.trace(OUTSIDE, "10.1.0.1", "tcp/30080");
    allowed(&d, "pre-DNAT ingress", "pre-allow", Some(0));
    allowed(&d, "destination ingress", "profile kns.default", Some(0));
    // Straight to the pod's address, nothing allows it before DNAT and fwd-deny drops it.
    denied(
        &w.trace(OUTSIDE, "default/web", "tcp/8080"),
        "forward ingress",
        "fwd-deny",
        Some(0),
    );
}

#[test]
fn untracked_policy_acts_before_conntrack_and_needs_its_replies_allowed() {
    let deny = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: raw-deny}
spec:
  selector: role == 'worker'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Deny
    source: {nets: [192.0.2.0/24]}
",
    );
    denied(
        &deny.trace(OUTSIDE, "node/node1", "tcp/80"),
        "untracked ingress",
        "raw-deny",
        Some(0),
    );
    // Failsafes come before untracked policy too.
    allowed(
        &deny.trace(OUTSIDE, "node/node1", "tcp/22"),
        "untracked ingress (failsafe)",
        "failsafe",
        None,
    );

    let one_way = r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: raw-allow}
spec:
  selector: role == 'worker'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [80]}
";
    let w = world(one_way);
    denied(
        &w.trace(OUTSIDE, "node/node1", "tcp/80"),
        "untracked reply egress",
        "-",
        None,
    );
    let both_ways = world(&format!(
        "{one_way}  egress:
  - action: Allow
    protocol: TCP
    source: {{ports: [80]}}
"
    ));
    let d = both_ways.trace(OUTSIDE, "node/node1", "tcp/80");
    allowed(&d, "untracked ingress", "raw-allow", Some(0));
    allowed(&d, "untracked reply egress", "raw-allow", Some(0));
}

#[test]
fn workload_to_own_host_follows_the_endpoint_to_host_action() {
    let drop = world("");
    denied(
        &drop.trace("default/web", "node/node1", "tcp/10250"),
        "endpoint-to-host",
        "-",
        None,
    );
    let accept = world(
        r"
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {defaultEndpointToHostAction: Accept}
",
    );
    allowed(
        &accept.trace("default/web", "node/node1", "tcp/10250"),
        "source egress",
        "profile kns.default",
        Some(0),
    );
    assert_eq!(
        accept
            .trace("default/web", "node/node1", "tcp/10250")
            .steps
            .last()
            .unwrap()
            .checkpoint,
        "endpoint-to-host"
    );
}

#[test]
fn host_to_local_workload_is_not_policed() {
    let w = world(
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: hosts-talk}
spec:
  selector: role == 'worker'
  types: [Egress]
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: lock-web, namespace: default}
spec:
  selector: app == 'web'
  types: [Ingress]
",
    );
    allowed(
        &w.trace("node/node1", "default/web", "tcp/8080"),
        "local",
        "-",
        None,
    );
    // From another node (its host egress allowed) the pod's policy applies.
    denied(
        &w.trace("node/node2", "default/web", "tcp/8080"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn the_all_interfaces_host_endpoint_ignores_untracked_policy() {
    let w = World::new(
        r"
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node3-all, labels: {role: auto}}
spec: {node: node3, interfaceName: '*', expectedIPs: [10.1.0.3], profiles: [projectcalico-default-allow]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: raw-deny-all}
spec:
  selector: role == 'auto'
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Deny
",
    );
    allowed(
        &w.trace("192.0.2.9", "hep/node3-all", "tcp/8080"),
        "host ingress",
        "profile projectcalico-default-allow",
        Some(0),
    );
}
