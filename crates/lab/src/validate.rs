//! Spec checks that run before anything touches the kernel, so a bad spec fails with a
//! precise message instead of half a lab and an `ip` error.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::error::LabError;
use crate::names;
use crate::topology::{IfaceSpec, LabSpec, Listen, Proto};

const PREFIX_MAX: usize = 16;

pub(crate) fn validate(spec: &LabSpec) -> Result<(), LabError> {
    check_prefix(&spec.prefix)?;
    let networks = check_networks(spec)?;
    let mut names = Names::new(&spec.prefix);
    let mut addrs = HashSet::new();
    for node in &spec.nodes {
        names.endpoint(&node.name, "node")?;
        names.netns(names::host_ns(&spec.prefix, &node.name))?;
        let mut ifaces = HashSet::new();
        let mut used_networks = HashSet::new();
        for iface in &node.interfaces {
            check_iface(iface, &networks, &mut addrs, &node.name)?;
            if !ifaces.insert(iface.name.as_str()) {
                return spec_err(format!(
                    "node {}: interface {} defined twice",
                    node.name, iface.name
                ));
            }
            if !used_networks.insert(iface.network.as_str()) {
                return spec_err(format!(
                    "node {}: more than one interface on network {}",
                    node.name, iface.network
                ));
            }
        }
        for pod in &node.pods {
            names.endpoint(&pod.name, "pod")?;
            if !names::valid_ifname(&pod.host_iface) || pod.host_iface == "lo" {
                return spec_err(format!(
                    "pod {}: host_iface {:?} is not a valid interface name (1-15 bytes, no '/', ':' or spaces)",
                    pod.name, pod.host_iface
                ));
            }
            if !ifaces.insert(pod.host_iface.as_str()) {
                return spec_err(format!(
                    "pod {}: interface {} already exists on node {}",
                    pod.name, pod.host_iface, node.name
                ));
            }
            if pod.addrs.is_empty() {
                return spec_err(format!("pod {} has no address", pod.name));
            }
            for a in &pod.addrs {
                check_pod_addr(&pod.name, *a)?;
                unique_addr(&mut addrs, *a, &pod.name)?;
            }
            check_listen(&pod.name, &pod.listen)?;
        }
    }
    for ext in &spec.externals {
        names.endpoint(&ext.name, "external")?;
        names.netns(names::host_ns(&spec.prefix, &ext.name))?;
        check_iface(&ext.iface, &networks, &mut addrs, &ext.name)?;
        check_listen(&ext.name, &ext.listen)?;
    }
    Ok(())
}

fn spec_err<T>(msg: String) -> Result<T, LabError> {
    Err(LabError::Spec(msg))
}

fn check_prefix(prefix: &str) -> Result<(), LabError> {
    if prefix.is_empty()
        || prefix.len() > PREFIX_MAX
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return spec_err(format!(
            "prefix {prefix:?} must be 1-{PREFIX_MAX} letters, digits or '_'"
        ));
    }
    Ok(())
}

/// Returns network name -> bridge name, having checked both are unique.
fn check_networks(spec: &LabSpec) -> Result<HashMap<&str, String>, LabError> {
    let mut out = HashMap::new();
    let mut bridges = HashSet::new();
    for n in &spec.networks {
        let ok = !n.name.is_empty()
            && n.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return spec_err(format!(
                "network {:?}: use letters, digits, '_', '.' or '-'",
                n.name
            ));
        }
        let br = names::bridge(&n.name);
        if !bridges.insert(br.clone()) {
            return spec_err(format!(
                "network {}: bridge name {br} (cut to 15 bytes) collides with another network",
                n.name
            ));
        }
        if out.insert(n.name.as_str(), br).is_some() {
            return spec_err(format!("network {} defined twice", n.name));
        }
    }
    Ok(out)
}

fn check_iface(
    iface: &IfaceSpec,
    networks: &HashMap<&str, String>,
    addrs: &mut HashSet<IpAddr>,
    owner: &str,
) -> Result<(), LabError> {
    if !names::valid_ifname(&iface.name) || iface.name == "lo" {
        return spec_err(format!(
            "{owner}: {:?} is not a valid interface name (1-15 bytes, no '/', ':' or spaces)",
            iface.name
        ));
    }
    if !networks.contains_key(iface.network.as_str()) {
        return spec_err(format!(
            "{owner}: interface {} is on unknown network {:?}",
            iface.name, iface.network
        ));
    }
    for net in &iface.addrs {
        let a = net.addr();
        if a.is_unspecified() || a.is_loopback() || a.is_multicast() {
            return spec_err(format!("{owner}: {net} cannot be an interface address"));
        }
        unique_addr(addrs, a, owner)?;
    }
    Ok(())
}

fn check_pod_addr(pod: &str, a: IpAddr) -> Result<(), LabError> {
    let bad = a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || match a {
            IpAddr::V4(v4) => v4.is_link_local() || v4.is_broadcast(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        };
    if bad {
        return spec_err(format!(
            "pod {pod}: {a} is not a routable unicast address (link-local is reserved for the gateway)"
        ));
    }
    Ok(())
}

fn unique_addr(seen: &mut HashSet<IpAddr>, a: IpAddr, owner: &str) -> Result<(), LabError> {
    if !seen.insert(a) {
        return spec_err(format!("{owner}: address {a} is used twice in the lab"));
    }
    Ok(())
}

fn check_listen(owner: &str, listen: &[Listen]) -> Result<(), LabError> {
    let mut seen = HashSet::new();
    for l in listen {
        let key = match l.proto {
            Proto::Tcp | Proto::Udp if l.port == 0 => {
                return spec_err(format!("{owner}: {:?} listener needs a port", l.proto));
            }
            Proto::Tcp | Proto::Udp => (l.proto, l.port),
            Proto::Icmp => continue,
            Proto::Raw(n) => {
                check_raw_proto(n).map_err(|m| LabError::Spec(format!("{owner}: {m}")))?;
                (l.proto, 0)
            }
        };
        if !seen.insert(key) {
            return spec_err(format!("{owner}: listener {l:?} defined twice"));
        }
    }
    Ok(())
}

/// Raw sockets for these numbers would either fail to open or steal traffic that the
/// kernel's own TCP/UDP/ICMP handling must see.
pub(crate) fn check_raw_proto(n: u8) -> Result<(), String> {
    match n {
        0 | 255 => Err(format!("protocol {n} cannot be used with a raw socket")),
        1 | 6 | 17 | 58 => Err(format!(
            "protocol {n} has its own Proto variant (Tcp, Udp or Icmp); Raw is for the others"
        )),
        _ => Ok(()),
    }
}

/// Tracks names that must be unique across kinds.
struct Names {
    endpoints: HashSet<String>,
    netns: HashSet<String>,
}

impl Names {
    fn new(prefix: &str) -> Self {
        Self {
            endpoints: HashSet::new(),
            netns: HashSet::from([names::fabric_ns(prefix)]),
        }
    }

    fn endpoint(&mut self, name: &str, kind: &str) -> Result<(), LabError> {
        if name.is_empty() {
            return spec_err(format!("a {kind} has an empty name"));
        }
        if !self.endpoints.insert(name.to_owned()) {
            return spec_err(format!(
                "{kind} name {name:?} is already used by a node, pod or external"
            ));
        }
        Ok(())
    }

    fn netns(&mut self, ns: String) -> Result<(), LabError> {
        // Pods carry "-p<N>-" so only nodes and externals can clash, with each other or
        // with the fabric (seeded in `new`).
        if !self.netns.insert(ns.clone()) {
            return spec_err(format!(
                "netns name {ns} would not be unique; rename the node or external"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{HostSpec, NetworkSpec, NodeSpec, PodSpec};

    fn base() -> LabSpec {
        LabSpec {
            prefix: "tl1".into(),
            networks: vec![NetworkSpec { name: "pub".into() }],
            nodes: vec![NodeSpec {
                name: "n1".into(),
                interfaces: vec![IfaceSpec {
                    name: "eth0".into(),
                    network: "pub".into(),
                    addrs: vec!["10.0.0.1/24".parse().unwrap()],
                }],
                pods: vec![PodSpec {
                    name: "default/a".into(),
                    host_iface: "cali1".into(),
                    addrs: vec!["10.1.0.1".parse().unwrap()],
                    listen: vec![],
                }],
            }],
            externals: vec![],
        }
    }

    fn err(spec: &LabSpec) -> String {
        validate(spec).unwrap_err().to_string()
    }

    #[test]
    fn base_is_valid() {
        validate(&base()).unwrap();
    }

    #[test]
    fn rejects_unknown_network() {
        let mut s = base();
        s.nodes[0].interfaces[0].network = "nope".into();
        assert!(err(&s).contains("unknown network"), "{}", err(&s));
    }

    #[test]
    fn rejects_long_iface_and_addressless_pod() {
        let mut s = base();
        s.nodes[0].pods[0].host_iface = "cali1234567890ab".into();
        assert!(err(&s).contains("host_iface"));
        let mut s = base();
        s.nodes[0].pods[0].addrs.clear();
        assert!(err(&s).contains("no address"));
    }

    #[test]
    fn rejects_duplicates_across_kinds() {
        let mut s = base();
        s.externals.push(HostSpec {
            name: "default/a".into(),
            iface: IfaceSpec {
                name: "eth0".into(),
                network: "pub".into(),
                addrs: vec![],
            },
            listen: vec![],
        });
        assert!(err(&s).contains("already used"));
        let mut s = base();
        s.nodes[0].pods[0].addrs = vec!["10.0.0.1".parse().unwrap()];
        assert!(err(&s).contains("used twice"));
    }

    #[test]
    fn rejects_fabric_clash_and_bad_prefix() {
        let mut s = base();
        s.nodes[0].name = "fab".into();
        assert!(err(&s).contains("not be unique"));
        let mut s = base();
        s.prefix = "tl-1".into();
        assert!(err(&s).contains("prefix"));
    }

    #[test]
    fn rejects_raw_tcp() {
        let mut s = base();
        s.nodes[0].pods[0].listen = vec![Listen {
            proto: Proto::Raw(6),
            port: 0,
        }];
        assert!(err(&s).contains("own Proto variant"));
    }
}
