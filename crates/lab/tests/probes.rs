//! Traffic through real namespaces: what gets delivered, refused and dropped.

mod common;

use common::{iface, ip, listen, pod, probe, two_nodes};
use tortie_lab::{
    HostSpec, Lab, LabSpec, NetworkSpec, NodeSpec, Outcome, Probe, Proto, ServiceNat,
    install_service_nat,
};

fn assert_all(lab: &Lab, probes: &[Probe], want: &Outcome) {
    let got = lab.probe_many(probes);
    let wrong: Vec<String> = probes
        .iter()
        .zip(&got)
        .filter(|(_, o)| *o != want)
        .map(|(p, o)| format!("{} -> {} {:?}/{}: {o}", p.from, p.to, p.proto, p.port))
        .collect();
    assert!(
        wrong.is_empty(),
        "expected {want}, got:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn pods_on_two_nodes_reach_each_other_dual_stack() {
    let lab = Lab::up(&two_nodes()).unwrap();
    let mut ps = Vec::new();
    for (from, to) in [
        ("default/web-a", ["10.20.1.1", "fd20:1::1"]),
        ("default/web-b", ["10.20.0.1", "fd20::1"]),
    ] {
        for dst in to {
            ps.push(probe(from, dst, Proto::Tcp, 80));
            ps.push(probe(from, dst, Proto::Udp, 53));
            ps.push(probe(from, dst, Proto::Icmp, 0));
            ps.push(probe(from, dst, Proto::Raw(132), 9));
            ps.push(probe(from, dst, Proto::Raw(112), 0));
        }
    }
    // Nodes reach pods on the other node, and pods reach nodes.
    ps.push(probe("node-a", "10.20.1.1", Proto::Tcp, 80));
    ps.push(probe("node-b", "fd20::1", Proto::Tcp, 80));
    ps.push(probe("default/web-a", "fd10::2", Proto::Icmp, 0));
    ps.push(probe("default/web-a", "10.20.1.1", Proto::Tcp, 80).src_port(40_123));
    assert_all(&lab, &ps, &Outcome::Delivered);

    // Reaching the host but finding no listener is "refused", for TCP and UDP.
    let refused = [
        probe("default/web-a", "10.20.1.1", Proto::Tcp, 81),
        probe("default/web-a", "fd20:1::1", Proto::Tcp, 81),
        probe("default/web-b", "10.20.0.1", Proto::Udp, 54),
    ];
    assert_all(&lab, &refused, &Outcome::Refused);

    // The raw servers saw the packets with the pods' real source addresses.
    let receipts = lab.receipts();
    assert!(
        receipts
            .iter()
            .any(|r| r.proto == 132 && r.endpoint == "default/web-b" && r.src == ip("fd20::1")),
        "{receipts:#?}"
    );
    lab.down().unwrap();
}

#[test]
fn external_reaches_pod_through_its_node() {
    let mut spec = two_nodes();
    spec.externals.push(HostSpec {
        name: "client".into(),
        iface: iface("eth0", "cluster", &["10.10.0.100/24", "fd10::100/64"]),
        listen: listen(&[(Proto::Tcp, 443)]),
    });
    let lab = Lab::up(&spec).unwrap();
    let ps = [
        probe("client", "10.20.0.1", Proto::Tcp, 80),
        probe("client", "fd20:1::1", Proto::Udp, 53),
        probe("client", "10.20.1.1", Proto::Icmp, 0),
        probe("client", "10.10.0.2", Proto::Icmp, 0),
        // And back: a pod reaches a server outside the cluster.
        probe("default/web-b", "10.10.0.100", Proto::Tcp, 443),
        probe("default/web-a", "fd10::100", Proto::Tcp, 443),
    ];
    assert_all(&lab, &ps, &Outcome::Delivered);
}

#[test]
fn external_on_public_network_cannot_route_to_private_one() {
    let spec = LabSpec {
        prefix: common::prefix(),
        networks: vec![
            NetworkSpec {
                name: "public".into(),
            },
            NetworkSpec {
                name: "private".into(),
            },
        ],
        nodes: ["1", "2"]
            .iter()
            .map(|n| NodeSpec {
                name: format!("worker-{n}"),
                interfaces: vec![
                    iface("eth0", "public", &[&format!("10.30.0.{n}/24")]),
                    iface("eth1", "private", &[&format!("10.31.0.{n}/24")]),
                ],
                pods: vec![],
            })
            .collect(),
        externals: vec![HostSpec {
            name: "internet".into(),
            iface: iface("eth0", "public", &["10.30.0.100/24"]),
            listen: vec![],
        }],
    };
    let lab = Lab::up(&spec).unwrap();
    // The first packet waits for neighbour resolution: room for a loaded machine.
    assert_eq!(
        lab.probe(
            &probe("internet", "10.30.0.1", Proto::Icmp, 0)
                .timeout(std::time::Duration::from_secs(3))
        ),
        Outcome::Delivered
    );
    // The private address is on no network the external has, and it has no default route.
    let got = lab.probe(&probe("internet", "10.31.0.2", Proto::Tcp, 22));
    assert!(matches!(got, Outcome::Unreachable(_)), "{got}");
    // The workers do share the private network.
    assert_eq!(
        lab.probe(&probe("worker-1", "10.31.0.2", Proto::Icmp, 0)),
        Outcome::Delivered
    );
}

#[test]
fn nft_rules_in_the_node_decide_the_outcome() {
    let lab = Lab::up(&two_nodes()).unwrap();
    let nft = |args: &[&str]| lab.exec("node-b", "nft", args).unwrap();
    nft(&["add", "table", "inet", "t"]);
    nft(&[
        "add",
        "chain",
        "inet",
        "t",
        "f",
        "{ type filter hook forward priority 0; }",
    ]);
    nft(&[
        "add",
        "rule",
        "inet",
        "t",
        "f",
        "ip",
        "daddr",
        "10.20.1.1",
        "tcp",
        "dport",
        "80",
        "drop",
    ]);
    nft(&[
        "add",
        "rule",
        "inet",
        "t",
        "f",
        "ip",
        "daddr",
        "10.20.1.1",
        "tcp",
        "dport",
        "8080",
        "reject",
        "with",
        "icmpx",
        "admin-prohibited",
    ]);
    let ps = [
        probe("default/web-a", "10.20.1.1", Proto::Tcp, 80),
        probe("default/web-a", "10.20.1.1", Proto::Tcp, 8080),
        probe("default/web-a", "10.20.1.1", Proto::Udp, 53),
        probe("default/web-a", "fd20:1::1", Proto::Tcp, 80),
    ];
    let got = lab.probe_many(&ps);
    assert_eq!(got[0], Outcome::Dropped, "drop rule");
    assert!(
        matches!(got[1], Outcome::Unreachable(_)),
        "reject rule: {}",
        got[1]
    );
    assert_eq!(got[2], Outcome::Delivered, "other protocol");
    assert_eq!(got[3], Outcome::Delivered, "rule is IPv4 only");
}

#[test]
fn service_nat_sends_vip_and_node_port_to_backend() {
    let mut spec = two_nodes();
    spec.nodes[1].pods.push(pod(
        "default/api",
        "cali00000000api",
        &["10.20.1.2", "fd20:1::2"],
        &[(Proto::Tcp, 8443), (Proto::Udp, 5353)],
    ));
    spec.externals.push(HostSpec {
        name: "client".into(),
        iface: iface("eth0", "cluster", &["10.10.0.100/24"]),
        listen: vec![],
    });
    let lab = Lab::up(&spec).unwrap();
    let services = [
        ServiceNat {
            name: "default/api".into(),
            vip: Some(ip("10.96.0.10")),
            port: 443,
            proto: Proto::Tcp,
            node_port: Some(30_443),
            backend: (ip("10.20.1.2"), 8443),
            masquerade: false,
        },
        ServiceNat {
            name: "default/api-dns".into(),
            vip: Some(ip("10.96.0.10")),
            port: 53,
            proto: Proto::Udp,
            node_port: None,
            backend: (ip("10.20.1.2"), 5353),
            masquerade: false,
        },
        ServiceNat {
            name: "default/api-v6".into(),
            vip: Some(ip("fd96::10")),
            port: 443,
            proto: Proto::Tcp,
            node_port: None,
            backend: (ip("fd20:1::2"), 8443),
            masquerade: false,
        },
    ];
    for node in ["node-a", "node-b"] {
        // Twice, to show a repeated install replaces rather than piles up or fails.
        install_service_nat(lab.node_netns(node), &services).unwrap();
        install_service_nat(lab.node_netns(node), &services).unwrap();
    }
    let ps = [
        probe("default/web-a", "10.96.0.10", Proto::Tcp, 443),
        probe("default/web-a", "10.96.0.10", Proto::Udp, 53),
        probe("default/web-a", "fd96::10", Proto::Tcp, 443),
        // Node port on the backend's own node (no masquerade needed).
        probe("client", "10.10.0.2", Proto::Tcp, 30_443),
    ];
    assert_all(&lab, &ps, &Outcome::Delivered);
    // A port the service does not define is not translated and goes nowhere.
    let other = lab.probe(&probe("default/web-a", "10.96.0.10", Proto::Tcp, 444));
    assert_ne!(other, Outcome::Delivered);
    let rules = lab
        .exec(
            "node-a",
            "nft",
            &["list", "table", "inet", "kube-proxy-lab"],
        )
        .unwrap();
    assert_eq!(rules.matches("dnat").count(), 4, "{rules}");
}

#[test]
fn servers_started_later_on_a_node_answer_probes() {
    let mut spec = two_nodes();
    spec.externals.push(HostSpec {
        name: "client".into(),
        iface: iface("eth0", "cluster", &["10.10.0.100/24"]),
        listen: vec![],
    });
    let mut lab = Lab::up(&spec).unwrap();
    let ssh = probe("client", "10.10.0.1", Proto::Tcp, 22);
    let dns = probe("client", "10.10.0.1", Proto::Udp, 53);
    // Nothing listens on the node yet: the kernel refuses.
    assert_all(&lab, &[ssh.clone(), dns.clone()], &Outcome::Refused);
    lab.serve("node-a", &listen(&[(Proto::Tcp, 22), (Proto::Udp, 53)]))
        .unwrap();
    assert_all(&lab, &[ssh, dns], &Outcome::Delivered);
    // Only on that node.
    assert_all(
        &lab,
        &[probe("client", "10.10.0.2", Proto::Tcp, 22)],
        &Outcome::Refused,
    );
    assert!(lab.serve("nobody", &[]).is_err());
    lab.down().unwrap();
}
