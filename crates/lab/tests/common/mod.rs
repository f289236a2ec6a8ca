//! Spec builders shared by the integration tests. These tests create real network
//! namespaces and therefore need root (CAP_NET_ADMIN and CAP_SYS_ADMIN).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tortie_lab::{IfaceSpec, LabSpec, Listen, NetworkSpec, NodeSpec, PodSpec, Probe, Proto};

/// Long enough for a round trip through three namespaces on a loaded machine, short
/// enough that expected drops keep the suite fast.
pub const SHORT: Duration = Duration::from_millis(500);

/// A prefix unique to this process and call, so tests run in parallel (and next to other
/// test processes) without sharing a netns name.
pub fn prefix() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "tl{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn iface(name: &str, network: &str, addrs: &[&str]) -> IfaceSpec {
    IfaceSpec {
        name: name.into(),
        network: network.into(),
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
    }
}

pub fn listen(list: &[(Proto, u16)]) -> Vec<Listen> {
    list.iter()
        .map(|&(proto, port)| Listen { proto, port })
        .collect()
}

pub fn pod(name: &str, host_iface: &str, addrs: &[&str], l: &[(Proto, u16)]) -> PodSpec {
    PodSpec {
        name: name.into(),
        host_iface: host_iface.into(),
        addrs: addrs.iter().map(|a| ip(a)).collect(),
        listen: listen(l),
    }
}

pub fn servers() -> Vec<(Proto, u16)> {
    vec![
        (Proto::Tcp, 80),
        (Proto::Tcp, 8080),
        (Proto::Udp, 53),
        (Proto::Raw(132), 0),
        (Proto::Raw(112), 0),
    ]
}

/// Two dual-stack nodes on one network, one pod on each:
///
/// * node-a 10.10.0.1 / fd10::1, pod `default/web-a` 10.20.0.1 / fd20::1
/// * node-b 10.10.0.2 / fd10::2, pod `default/web-b` 10.20.1.1 / fd20:1::1
pub fn two_nodes() -> LabSpec {
    LabSpec {
        prefix: prefix(),
        networks: vec![NetworkSpec {
            name: "cluster".into(),
        }],
        nodes: vec![
            NodeSpec {
                name: "node-a".into(),
                interfaces: vec![iface("eth0", "cluster", &["10.10.0.1/24", "fd10::1/64"])],
                pods: vec![pod(
                    "default/web-a",
                    "cali0000000000a",
                    &["10.20.0.1", "fd20::1"],
                    &servers(),
                )],
            },
            NodeSpec {
                name: "node-b".into(),
                interfaces: vec![iface("eth0", "cluster", &["10.10.0.2/24", "fd10::2/64"])],
                pods: vec![pod(
                    "default/web-b",
                    "cali0000000000b",
                    &["10.20.1.1", "fd20:1::1"],
                    &servers(),
                )],
            },
        ],
        externals: vec![],
    }
}

pub fn probe(from: &str, to: &str, proto: Proto, port: u16) -> Probe {
    Probe::new(from, ip(to), proto, port).timeout(SHORT)
}
