//! Rule matching: named ports, notNets/notPorts, ICMP, protocols, service accounts, network
//! sets, namespace selectors, notSelector, IP versions, and layer-7 matches.

use crate::{World, allowed, denied, pods};

fn with_pods(list: &[(&str, &str, &str, &str)], yaml: &str) -> World {
    World::new(&(pods(list) + yaml))
}

#[test]
fn named_ports_resolve_against_the_destination_endpoint() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.4.1", "node1", "app=srv"),
            ("default/cli", "10.0.4.2", "node1", "app=cli"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: by-name, namespace: default}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [http]}
  - action: Allow
    protocol: UDP
    destination: {ports: [dns]}
",
    );
    allowed(
        &w.trace("default/cli", "default/srv", "tcp/8080"),
        "destination ingress",
        "by-name",
        Some(0),
    );
    allowed(
        &w.trace("default/cli", "default/srv", "udp/53"),
        "destination ingress",
        "by-name",
        Some(1),
    );
    denied(
        &w.trace("default/cli", "default/srv", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
    // The port is named `dns` only for UDP.
    denied(
        &w.trace("default/cli", "default/srv", "tcp/53"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn kubernetes_named_ports_convert_and_match() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.4.1", "node1", "app=srv"),
            ("default/cli", "10.0.4.2", "node1", "app=cli"),
        ],
        r"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress:
  - ports: [{port: http}]
",
    );
    allowed(
        &w.trace("default/cli", "default/srv", "tcp/8080"),
        "destination ingress",
        "knp.default.web",
        Some(0),
    );
    denied(
        &w.trace("default/cli", "default/srv", "tcp/8081"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn not_ports_and_not_nets_exclude() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.6.1", "node1", "app=srv"),
            ("default/c1", "10.0.4.2", "node1", "app=c"),
            ("default/c2", "10.0.5.2", "node2", "app=c"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: shape}
spec:
  selector: app == 'srv'
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      notPorts: [8080, '9000:9100']
  - action: Allow
    source:
      notNets: [10.0.5.0/24]
",
    );
    denied(
        &w.trace("default/c1", "default/srv", "tcp/80"),
        "destination ingress",
        "shape",
        Some(0),
    );
    allowed(
        &w.trace("default/c1", "default/srv", "tcp/9050"),
        "destination ingress",
        "shape",
        Some(1),
    );
    allowed(
        &w.trace("default/c1", "default/srv", "tcp/8080"),
        "destination ingress",
        "shape",
        Some(1),
    );
    denied(
        &w.trace("default/c2", "default/srv", "tcp/8080"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn icmp_type_code_and_not_icmp() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.6.1", "node1", "app=srv"),
            ("default/cli", "10.0.6.2", "node1", "app=cli"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: icmp}
spec:
  selector: app == 'srv'
  ingress:
  - action: Deny
    protocol: ICMP
    icmp: {type: 13}
  - action: Allow
    protocol: ICMP
    icmp: {type: 3, code: 4}
  - action: Allow
    protocol: ICMP
    notICMP: {type: 5}
",
    );
    denied(
        &w.trace("default/cli", "default/srv", "icmp/13"),
        "destination ingress",
        "icmp",
        Some(0),
    );
    allowed(
        &w.trace("default/cli", "default/srv", "icmp/3/4"),
        "destination ingress",
        "icmp",
        Some(1),
    );
    allowed(
        &w.trace("default/cli", "default/srv", "icmp/8/0"),
        "destination ingress",
        "icmp",
        Some(2),
    );
    denied(
        &w.trace("default/cli", "default/srv", "icmp/5/1"),
        "destination ingress",
        "end of tier default",
        None,
    );
    // A rule on ICMP does not match TCP.
    denied(
        &w.trace("default/cli", "default/srv", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn protocol_numbers_and_not_protocol() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.6.1", "node1", "app=srv"),
            ("default/cli", "10.0.6.2", "node1", "app=cli"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: protocols}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    protocol: 47
  - action: Allow
    notProtocol: UDP
",
    );
    allowed(
        &w.trace("default/cli", "default/srv", "proto/47"),
        "destination ingress",
        "protocols",
        Some(0),
    );
    allowed(
        &w.trace("default/cli", "default/srv", "sctp/9"),
        "destination ingress",
        "protocols",
        Some(1),
    );
    denied(
        &w.trace("default/cli", "default/srv", "udp/53"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn service_accounts_by_name_and_by_selector() {
    let w = World::new(
        r"
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: default}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ops, namespace: default, labels: {role: admin}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: guest, namespace: default}
---
apiVersion: v1
kind: Pod
metadata: {name: srv, namespace: default, labels: {app: srv}}
spec: {nodeName: node1, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.7.1}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: default}
spec: {nodeName: node1, serviceAccountName: api, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.7.2}
---
apiVersion: v1
kind: Pod
metadata: {name: ops, namespace: default}
spec: {nodeName: node1, serviceAccountName: ops, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.7.3}
---
apiVersion: v1
kind: Pod
metadata: {name: guest, namespace: default}
spec: {nodeName: node1, serviceAccountName: guest, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.7.4}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: by-account, namespace: default}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    source:
      serviceAccounts: {names: [api]}
  - action: Allow
    source:
      serviceAccounts: {selector: role == 'admin'}
",
    );
    allowed(
        &w.trace("default/api", "default/srv", "tcp/80"),
        "destination ingress",
        "by-account",
        Some(0),
    );
    allowed(
        &w.trace("default/ops", "default/srv", "tcp/80"),
        "destination ingress",
        "by-account",
        Some(1),
    );
    denied(
        &w.trace("default/guest", "default/srv", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn network_sets_namespaced_and_global() {
    let w = with_pods(
        &[("default/srv", "10.0.8.1", "node1", "app=srv")],
        r"
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: office, namespace: default, labels: {kind: office}}
spec: {nets: [203.0.113.0/25]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partners, labels: {kind: partner}}
spec: {nets: [198.51.100.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: out, namespace: default}
spec:
  selector: app == 'srv'
  types: [Egress]
  egress:
  - action: Allow
    destination: {selector: kind == 'office'}
  - action: Allow
    destination: {selector: kind == 'partner'}
  - action: Allow
    protocol: TCP
    destination:
      namespaceSelector: global()
      selector: kind == 'partner'
      ports: [443]
",
    );
    allowed(
        &w.trace("default/srv", "203.0.113.5", "tcp/80"),
        "source egress",
        "out",
        Some(0),
    );
    denied(
        &w.trace("default/srv", "203.0.113.200", "tcp/80"),
        "source egress",
        "end of tier default",
        None,
    );
    // A namespaced policy's plain selector stays in its namespace: the global set needs global().
    allowed(
        &w.trace("default/srv", "198.51.100.9", "tcp/443"),
        "source egress",
        "out",
        Some(2),
    );
    denied(
        &w.trace("default/srv", "198.51.100.9", "tcp/80"),
        "source egress",
        "end of tier default",
        None,
    );
}

#[test]
fn namespace_selectors_match_namespace_labels() {
    let w = World::new(
        &(pods(&[
            ("db/pg", "10.0.9.1", "node1", "app=pg"),
            ("team-a/app", "10.0.9.2", "node1", "app=x"),
            ("team-b/app", "10.0.9.3", "node1", "app=x"),
        ]) + r"
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {env: dev}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: prod-to-db}
spec:
  selector: app == 'pg'
  ingress:
  - action: Allow
    source:
      namespaceSelector: env == 'prod'
"),
    );
    allowed(
        &w.trace("team-a/app", "db/pg", "tcp/5432"),
        "destination ingress",
        "prod-to-db",
        Some(0),
    );
    denied(
        &w.trace("team-b/app", "db/pg", "tcp/5432"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn not_selector_alone_matches_everything_outside_the_set() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.10.1", "node1", "app=srv"),
            ("default/friend", "10.0.10.2", "node1", "app=friend"),
            ("default/stranger", "10.0.10.3", "node1", "app=stranger"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: friends-only}
spec:
  selector: app == 'srv'
  ingress:
  - action: Deny
    source: {notSelector: app == 'friend'}
  - action: Allow
",
    );
    denied(
        &w.trace("default/stranger", "default/srv", "tcp/80"),
        "destination ingress",
        "friends-only",
        Some(0),
    );
    // An address no endpoint owns is outside the set too.
    denied(
        &w.trace("192.0.2.50", "default/srv", "tcp/80"),
        "destination ingress",
        "friends-only",
        Some(0),
    );
    allowed(
        &w.trace("default/friend", "default/srv", "tcp/80"),
        "destination ingress",
        "friends-only",
        Some(1),
    );
}

#[test]
fn ip_version_and_ipv6_nets() {
    let w = with_pods(
        &[
            ("default/srv4", "10.0.11.1", "node1", "app=srv"),
            ("default/cli4", "10.0.11.2", "node1", "app=cli"),
            ("default/srv6", "fd00:11::1", "node1", "app=srv"),
            ("default/cli6", "fd00:11::2", "node1", "app=cli"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: v6-only}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    ipVersion: 6
    protocol: TCP
    source: {nets: ['fd00:11::/64']}
  - action: Allow
    protocol: ICMPv6
    icmp: {type: 128}
",
    );
    allowed(
        &w.trace("default/cli6", "default/srv6", "tcp/80"),
        "destination ingress",
        "v6-only",
        Some(0),
    );
    allowed(
        &w.trace("default/cli6", "default/srv6", "icmpv6/128"),
        "destination ingress",
        "v6-only",
        Some(1),
    );
    denied(
        &w.trace("default/cli4", "default/srv4", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn http_matches_act_on_their_layer_3_and_4_part() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.12.1", "node1", "app=srv"),
            ("default/cli", "10.0.12.2", "node1", "app=cli"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: get-only}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    protocol: TCP
    http: {methods: [GET]}
    destination: {ports: [80]}
",
    );
    let d = w.trace("default/cli", "default/srv", "tcp/80");
    allowed(&d, "destination ingress", "get-only", Some(0));
    assert!(
        d.steps.last().unwrap().layer7_ignored,
        "the trace says the http part is not enforced"
    );
    denied(
        &w.trace("default/cli", "default/srv", "tcp/81"),
        "destination ingress",
        "end of tier default",
        None,
    );
}

#[test]
fn nets_and_selector_in_one_rule_must_both_match() {
    let w = with_pods(
        &[
            ("default/srv", "10.0.13.1", "node1", "app=srv"),
            ("default/in-net", "10.0.14.2", "node1", "app=cli"),
            ("default/out-net", "10.0.15.2", "node1", "app=cli"),
            ("default/wrong-label", "10.0.14.3", "node1", "app=other"),
        ],
        r"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: both}
spec:
  selector: app == 'srv'
  ingress:
  - action: Allow
    source:
      nets: [10.0.14.0/24]
      selector: app == 'cli'
",
    );
    allowed(
        &w.trace("default/in-net", "default/srv", "tcp/80"),
        "destination ingress",
        "both",
        Some(0),
    );
    denied(
        &w.trace("default/out-net", "default/srv", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
    denied(
        &w.trace("default/wrong-label", "default/srv", "tcp/80"),
        "destination ingress",
        "end of tier default",
        None,
    );
}
