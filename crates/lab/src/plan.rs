//! Turns a validated [`LabSpec`] into namespaces to create and `ip` batches / sysctls to
//! apply, without touching the kernel. Keeping this pure makes the wiring reviewable
//! and unit-testable; [`crate::wire`] only executes it.

use std::net::IpAddr;

use crate::names;
use crate::topology::{IfaceSpec, LabSpec, Listen, NodeSpec};

/// What kind of endpoint a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// A cluster node's host namespace.
    Node,
    /// A pod.
    Pod,
    /// An external host.
    External,
}

/// A probe source/destination the lab knows by name.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub name: String,
    pub kind: EndpointKind,
    pub ns: String,
    pub addrs: Vec<IpAddr>,
    pub listen: Vec<Listen>,
}

/// One unit of configuration inside one netns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Lines for `ip -n <ns> -batch -`.
    Ip { ns: String, cmds: Vec<String> },
    /// Paths below `/proc/sys` and the values to write, from inside the netns.
    Sysctl {
        ns: String,
        settings: Vec<(String, String)>,
    },
}

#[derive(Debug)]
pub(crate) struct Plan {
    /// In creation order; teardown goes in reverse.
    pub namespaces: Vec<String>,
    pub endpoints: Vec<Endpoint>,
    /// Phases run one after another; the steps inside a phase touch different
    /// namespaces (or only create links) and may run concurrently.
    pub phases: Vec<Vec<Step>>,
}

pub(crate) fn plan(spec: &LabSpec) -> Plan {
    let fabric = names::fabric_ns(&spec.prefix);
    let mut namespaces = vec![fabric.clone()];
    let mut endpoints = Vec::new();
    for node in &spec.nodes {
        let ns = names::host_ns(&spec.prefix, &node.name);
        namespaces.push(ns.clone());
        endpoints.push(Endpoint {
            name: node.name.clone(),
            kind: EndpointKind::Node,
            ns,
            addrs: node
                .interfaces
                .iter()
                .flat_map(|i| i.addrs.iter().map(ipnet::IpNet::addr))
                .collect(),
            listen: Vec::new(),
        });
    }
    for ext in &spec.externals {
        let ns = names::host_ns(&spec.prefix, &ext.name);
        namespaces.push(ns.clone());
        endpoints.push(Endpoint {
            name: ext.name.clone(),
            kind: EndpointKind::External,
            ns,
            addrs: ext.iface.addrs.iter().map(ipnet::IpNet::addr).collect(),
            listen: ext.listen.clone(),
        });
    }
    // Pods are numbered across the whole lab so both the netns and the MAC are unique.
    let mut pod_index = 0;
    let mut pods = Vec::new();
    for (ni, node) in spec.nodes.iter().enumerate() {
        for pod in &node.pods {
            let ns = names::pod_ns(&spec.prefix, pod_index, &pod.name);
            namespaces.push(ns.clone());
            endpoints.push(Endpoint {
                name: pod.name.clone(),
                kind: EndpointKind::Pod,
                ns: ns.clone(),
                addrs: pod.addrs.clone(),
                listen: pod.listen.clone(),
            });
            pods.push(PodRef {
                node: ni,
                index: pod_index,
                ns,
                spec: pod,
            });
            pod_index += 1;
        }
    }

    let mut phases = vec![base_sysctls(spec, &namespaces)];
    phases.push(vec![fabric_step(spec, &fabric)]);
    phases.push(
        spec.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.pods.is_empty())
            .map(|(ni, n)| pod_links(spec, ni, n, &pods))
            .collect(),
    );
    phases.push(
        spec.nodes
            .iter()
            .filter(|n| !n.pods.is_empty())
            .map(|n| host_veth_sysctls(spec, n))
            .collect(),
    );
    let mut config: Vec<Step> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(ni, n)| node_config(spec, ni, n, &pods))
        .collect();
    config.extend(spec.externals.iter().map(|e| Step::Ip {
        ns: names::host_ns(&spec.prefix, &e.name),
        cmds: host_config(spec, std::slice::from_ref(&e.iface), None, &pods),
    }));
    phases.push(config);
    phases.push(pods.iter().map(pod_config).collect());
    Plan {
        namespaces,
        endpoints,
        phases,
    }
}

struct PodRef<'a> {
    node: usize,
    index: usize,
    ns: String,
    spec: &'a crate::topology::PodSpec,
}

fn base_sysctls(spec: &LabSpec, namespaces: &[String]) -> Vec<Step> {
    namespaces
        .iter()
        .map(|ns| {
            let mut s = vec![
                // DAD would leave fresh IPv6 addresses tentative (unusable) for a second or more.
                kv("net/ipv6/conf/all/accept_dad", "0"),
                kv("net/ipv6/conf/default/accept_dad", "0"),
                // Cross-node routes can be asymmetric; reverse-path filtering would drop them.
                kv("net/ipv4/conf/all/rp_filter", "0"),
                kv("net/ipv4/conf/default/rp_filter", "0"),
            ];
            if *ns == names::fabric_ns(&spec.prefix) {
                // The fabric is pure L2; without IPv6 on its ports it sends no RS/MLD noise.
                s.push(kv("net/ipv6/conf/default/disable_ipv6", "1"));
            } else if spec
                .nodes
                .iter()
                .any(|n| names::host_ns(&spec.prefix, &n.name) == *ns)
            {
                s.push(kv("net/ipv4/ip_forward", "1"));
                s.push(kv("net/ipv6/conf/all/forwarding", "1"));
            }
            Step::Sysctl {
                ns: ns.clone(),
                settings: s,
            }
        })
        .collect()
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

fn fabric_step(spec: &LabSpec, fabric: &str) -> Step {
    let mut cmds = vec!["link set lo up".to_owned()];
    for n in &spec.networks {
        let br = names::bridge(&n.name);
        // Snooping without a querier can stop flooding of ND multicast; plain flooding is
        // what a lab wants.
        cmds.push(format!("link add name {br} type bridge mcast_snooping 0"));
        cmds.push(format!("link set {br} up"));
    }
    let mut plug = |fab_side: String, iface: &IfaceSpec, peer_ns: String| {
        cmds.push(format!(
            "link add name {fab_side} type veth peer name {} netns {peer_ns}",
            iface.name
        ));
        cmds.push(format!(
            "link set {fab_side} master {}",
            names::bridge(&iface.network)
        ));
        cmds.push(format!("link set {fab_side} up"));
    };
    for (ni, node) in spec.nodes.iter().enumerate() {
        for (ii, iface) in node.interfaces.iter().enumerate() {
            plug(
                names::node_uplink(ni, ii),
                iface,
                names::host_ns(&spec.prefix, &node.name),
            );
        }
    }
    for (xi, ext) in spec.externals.iter().enumerate() {
        plug(
            names::external_uplink(xi),
            &ext.iface,
            names::host_ns(&spec.prefix, &ext.name),
        );
    }
    Step::Ip {
        ns: fabric.to_owned(),
        cmds,
    }
}

fn pod_links(spec: &LabSpec, ni: usize, node: &NodeSpec, pods: &[PodRef<'_>]) -> Step {
    let cmds = pods
        .iter()
        .filter(|p| p.node == ni)
        .map(|p| {
            format!(
                "link add name {} address {} type veth peer name {} address {} netns {}",
                p.spec.host_iface,
                names::HOST_VETH_MAC,
                names::POD_IFACE,
                names::pod_mac(p.index),
                p.ns
            )
        })
        .collect();
    Step::Ip {
        ns: names::host_ns(&spec.prefix, &node.name),
        cmds,
    }
}

fn host_veth_sysctls(spec: &LabSpec, node: &NodeSpec) -> Step {
    let mut settings = Vec::new();
    for pod in &node.pods {
        let i = &pod.host_iface;
        // Answer ARP for anything on the pod's behalf, as Calico does; the static neighbour
        // in the pod makes this a fallback rather than a requirement.
        settings.push((format!("net/ipv4/conf/{i}/proxy_arp"), "1".to_owned()));
        settings.push((format!("net/ipv4/neigh/{i}/proxy_delay"), "0".to_owned()));
    }
    Step::Sysctl {
        ns: names::host_ns(&spec.prefix, &node.name),
        settings,
    }
}

fn node_config(spec: &LabSpec, ni: usize, node: &NodeSpec, pods: &[PodRef<'_>]) -> Step {
    let mut cmds = host_config(spec, &node.interfaces, Some(ni), pods);
    for p in pods.iter().filter(|p| p.node == ni) {
        let dev = &p.spec.host_iface;
        cmds.push(format!("link set {dev} up"));
        for a in &p.spec.addrs {
            cmds.push(format!("route add {} dev {dev}", host_prefix(*a)));
            // Static in both directions so probes never wait on ARP/ND; the kernel's own
            // resolution stays enabled and would work as well.
            cmds.push(format!(
                "neigh replace {a} lladdr {} dev {dev} nud permanent",
                names::pod_mac(p.index)
            ));
        }
    }
    Step::Ip {
        ns: names::host_ns(&spec.prefix, &node.name),
        cmds,
    }
}

/// Uplink addresses plus routes to every pod on other nodes reachable over a shared
/// network. Used for nodes (`me` = their index) and externals (`me` = None).
fn host_config(
    spec: &LabSpec,
    ifaces: &[IfaceSpec],
    me: Option<usize>,
    pods: &[PodRef<'_>],
) -> Vec<String> {
    let mut cmds = vec!["link set lo up".to_owned()];
    for iface in ifaces {
        cmds.push(format!("link set {} up", iface.name));
        for a in &iface.addrs {
            let nodad = if a.addr().is_ipv6() { " nodad" } else { "" };
            cmds.push(format!("addr add {a} dev {}{nodad}", iface.name));
        }
    }
    for p in pods.iter().filter(|p| Some(p.node) != me) {
        for a in &p.spec.addrs {
            if let Some((gw, dev)) = gateway(spec, &spec.nodes[p.node], ifaces, a.is_ipv4()) {
                cmds.push(format!("route add {} via {gw} dev {dev}", host_prefix(*a)));
            }
        }
    }
    cmds
}

fn pod_config(p: &PodRef<'_>) -> Step {
    let dev = names::POD_IFACE;
    let mac = names::HOST_VETH_MAC;
    let mut cmds = vec!["link set lo up".to_owned(), format!("link set {dev} up")];
    for a in &p.spec.addrs {
        let nodad = if a.is_ipv6() { " nodad" } else { "" };
        cmds.push(format!("addr add {} dev {dev}{nodad}", host_prefix(*a)));
    }
    if p.spec.addrs.iter().any(IpAddr::is_ipv4) {
        let gw = names::POD_GW_V4;
        cmds.push(format!("route add {gw}/32 dev {dev} scope link"));
        cmds.push(format!(
            "neigh replace {gw} lladdr {mac} dev {dev} nud permanent"
        ));
        cmds.push(format!("route add 0.0.0.0/0 via {gw} dev {dev}"));
    }
    if p.spec.addrs.iter().any(IpAddr::is_ipv6) {
        let gw = names::POD_GW_V6;
        cmds.push(format!(
            "neigh replace {gw} lladdr {mac} dev {dev} nud permanent"
        ));
        cmds.push(format!("route add ::/0 via {gw} dev {dev}"));
    }
    Step::Ip {
        ns: p.ns.clone(),
        cmds,
    }
}

/// The address of `node` to route through from a host whose uplinks are `from`: on the
/// first network (in spec order) both share and where both have an address of the
/// wanted family. Returns that address and the local device facing it.
pub(crate) fn gateway(
    spec: &LabSpec,
    node: &NodeSpec,
    from: &[IfaceSpec],
    v4: bool,
) -> Option<(IpAddr, String)> {
    spec.networks.iter().find_map(|net| {
        let mine = from.iter().find(|i| i.network == net.name)?;
        // A gateway of a family we have no address of on that link is unreachable.
        mine.addrs
            .iter()
            .any(|a| a.addr().is_ipv4() == v4)
            .then_some(())?;
        let theirs = node.interfaces.iter().find(|i| i.network == net.name)?;
        let family: Vec<IpAddr> = theirs
            .addrs
            .iter()
            .map(ipnet::IpNet::addr)
            .filter(|a| a.is_ipv4() == v4)
            .collect();
        // A gateway must be on one of our subnets (a link can carry several); else the first.
        let gw = family
            .iter()
            .copied()
            .find(|g| mine.addrs.iter().any(|m| m.contains(g)))
            .or_else(|| family.first().copied())?;
        Some((gw, mine.name.clone()))
    })
}

fn host_prefix(a: IpAddr) -> String {
    match a {
        IpAddr::V4(_) => format!("{a}/32"),
        IpAddr::V6(_) => format!("{a}/128"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{HostSpec, NetworkSpec, PodSpec};

    fn iface(name: &str, net: &str, addrs: &[&str]) -> IfaceSpec {
        IfaceSpec {
            name: name.into(),
            network: net.into(),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    fn spec() -> LabSpec {
        LabSpec {
            prefix: "tl9".into(),
            networks: vec![
                NetworkSpec { name: "pub".into() },
                NetworkSpec {
                    name: "priv".into(),
                },
            ],
            nodes: vec![
                NodeSpec {
                    name: "a".into(),
                    interfaces: vec![
                        iface("eth0", "pub", &["10.0.0.1/24"]),
                        iface("eth1", "priv", &["10.9.0.1/24", "fd09::1/64"]),
                    ],
                    pods: vec![PodSpec {
                        name: "ns/p".into(),
                        host_iface: "calia".into(),
                        addrs: vec!["10.1.0.1".parse().unwrap(), "fd01::1".parse().unwrap()],
                        listen: vec![],
                    }],
                },
                NodeSpec {
                    name: "b".into(),
                    interfaces: vec![
                        iface("eth0", "pub", &["10.0.0.2/24"]),
                        iface("eth1", "priv", &["10.9.0.2/24", "fd09::2/64"]),
                    ],
                    pods: vec![],
                },
            ],
            externals: vec![HostSpec {
                name: "client".into(),
                iface: iface("eth0", "pub", &["10.0.0.100/24"]),
                listen: vec![],
            }],
        }
    }

    fn cmds_for<'a>(p: &'a Plan, ns: &str) -> Vec<&'a str> {
        p.phases
            .iter()
            .flatten()
            .filter_map(|s| match s {
                Step::Ip { ns: n, cmds } if n == ns => Some(cmds),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn namespaces_in_creation_order() {
        let p = plan(&spec());
        assert_eq!(
            p.namespaces,
            ["tl9-fab", "tl9-a", "tl9-b", "tl9-client", "tl9-p0-ns_p"]
        );
    }

    #[test]
    fn routes_use_first_shared_network_with_the_family() {
        let p = plan(&spec());
        let b = cmds_for(&p, "tl9-b");
        assert!(
            b.contains(&"route add 10.1.0.1/32 via 10.0.0.1 dev eth0"),
            "{b:#?}"
        );
        // "pub" has no IPv6, so IPv6 goes over "priv".
        assert!(
            b.contains(&"route add fd01::1/128 via fd09::1 dev eth1"),
            "{b:#?}"
        );
        let c = cmds_for(&p, "tl9-client");
        assert!(c.contains(&"route add 10.1.0.1/32 via 10.0.0.1 dev eth0"));
        assert!(!c.iter().any(|l| l.contains("fd01::1")), "{c:#?}");
        // Node "b" has IPv6 on "priv" but "a" does not on "pub": no v6 route from b over pub
        // is possible, and none over priv is attempted from a host lacking IPv6 there.
        let mut s = spec();
        s.nodes[1].interfaces[1].addrs.truncate(1);
        let b = plan(&s);
        let b = cmds_for(&b, "tl9-b");
        assert!(!b.iter().any(|l| l.contains("fd01::1")), "{b:#?}");
    }

    #[test]
    fn gateway_is_the_node_address_on_the_senders_subnet() {
        let mut s = spec();
        // Node "a" has two addresses on "pub"; the client is only on the second's subnet.
        s.nodes[0].interfaces[0].addrs = vec![
            "10.9.9.1/24".parse().unwrap(),
            "10.0.0.1/24".parse().unwrap(),
        ];
        let p = plan(&s);
        let c = cmds_for(&p, "tl9-client");
        assert!(
            c.contains(&"route add 10.1.0.1/32 via 10.0.0.1 dev eth0"),
            "{c:#?}"
        );
    }

    #[test]
    fn pod_is_wired_calico_style() {
        let p = plan(&spec());
        let a = cmds_for(&p, "tl9-a");
        assert!(a.contains(
            &"link add name calia address ee:ee:ee:ee:ee:ee type veth peer name eth0 address 02:74:6c:00:00:00 netns tl9-p0-ns_p"
        ));
        assert!(a.contains(&"route add 10.1.0.1/32 dev calia"));
        let pod = cmds_for(&p, "tl9-p0-ns_p");
        assert!(pod.contains(&"route add 0.0.0.0/0 via 169.254.1.1 dev eth0"));
        assert!(
            pod.contains(&"neigh replace fe80::1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent")
        );
        assert!(pod.contains(&"addr add fd01::1/128 dev eth0 nodad"));
    }
}
