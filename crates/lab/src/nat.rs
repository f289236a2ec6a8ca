//! A stand-in for kube-proxy inside a node netns: destination NAT from a service VIP or a
//! node port to one backend, in its own nftables table so it never touches the tables
//! the agent under test owns.
//!
//! Deliberately minimal: one backend per service, no load balancing. As kube-proxy does for
//! `externalTrafficPolicy: Cluster`, traffic arriving from outside the node's pods for a
//! backend on another node can be masqueraded as the node ([`ServiceNat::masquerade`]), so
//! the backend's reply comes back through the node that did the DNAT.

use std::fmt::Write;
use std::net::IpAddr;

use crate::cmd;
use crate::error::LabError;
use crate::topology::Proto;

/// The table this module owns, in the `inet` family so one table covers IPv4 and IPv6.
pub const NAT_TABLE: &str = "kube-proxy-lab";

/// One service with a single backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNat {
    /// Shown as the rule comment, to make `nft list ruleset` readable.
    pub name: String,
    /// Cluster IP or load-balancer IP, matched with `port`.
    pub vip: Option<IpAddr>,
    /// The service port on `vip`.
    pub port: u16,
    /// [`Proto::Tcp`] or [`Proto::Udp`].
    pub proto: Proto,
    /// Matched on any address local to the node (`fib daddr type local`).
    pub node_port: Option<u16>,
    /// Where traffic goes: address and port; its family decides which packets match.
    pub backend: (IpAddr, u16),
    /// Source-NAT to the node's outgoing address when the packet did not come from a pod
    /// (`iifname` not `cali*`): set when the backend runs on another node.
    pub masquerade: bool,
}

/// The conntrack mark bit that asks for masquerade; kube-proxy's own value, well away from
/// the bits the agent's table uses.
const MASQUERADE_MARK: u32 = 0x4000;

/// Replaces the [`NAT_TABLE`] in `netns` with rules for `services`, atomically (a single
/// `nft -f -` transaction that creates, deletes and redefines the table). An empty list
/// leaves an empty table.
///
/// # Errors
/// A service that is not TCP/UDP, mixes address families or has neither VIP nor node
/// port; or `nft` rejecting the script (the script is included in the error).
pub fn install_service_nat(netns: &str, services: &[ServiceNat]) -> Result<(), LabError> {
    let script = nat_script(services)?;
    cmd::run(
        "ip",
        &["netns", "exec", netns, "nft", "-f", "-"],
        Some(&script),
    )
    .map(drop)
}

fn nat_script(services: &[ServiceNat]) -> Result<String, LabError> {
    let mut rules = String::new();
    for s in services {
        let l4 = match s.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            other => {
                return Err(LabError::Spec(format!(
                    "service {}: NAT supports TCP and UDP, not {other:?}",
                    s.name
                )));
            }
        };
        if s.vip.is_none() && s.node_port.is_none() {
            return Err(LabError::Spec(format!(
                "service {}: needs a vip, a node_port or both",
                s.name
            )));
        }
        let (baddr, bport) = s.backend;
        let (fam, nfproto, to) = match baddr {
            IpAddr::V4(a) => ("ip", "ipv4", format!("{a}:{bport}")),
            IpAddr::V6(a) => ("ip6", "ipv6", format!("[{a}]:{bport}")),
        };
        let comment = s.name.replace(['"', '\\', '\n'], "_");
        let mut matches = Vec::new();
        if let Some(vip) = s.vip {
            if vip.is_ipv4() != baddr.is_ipv4() {
                return Err(LabError::Spec(format!(
                    "service {}: vip {vip} and backend {baddr} are different families",
                    s.name
                )));
            }
            matches.push((format!("{fam} daddr {vip} {l4} dport {}", s.port), ""));
        }
        if let Some(np) = s.node_port {
            matches.push((
                format!("meta nfproto {nfproto} fib daddr type local {l4} dport {np}"),
                " nodeport",
            ));
        }
        for (m, what) in matches {
            // Marking is its own rule: traffic from pods must still be DNATed, unmarked.
            if s.masquerade {
                let _ = writeln!(
                    rules,
                    "\t\t{m} iifname != \"cali*\" ct mark set ct mark or {MASQUERADE_MARK:#x}"
                );
            }
            let _ = writeln!(
                rules,
                "\t\t{m} dnat {fam} to {to} comment \"{comment}{what}\""
            );
        }
    }
    // The leading empty definition makes the delete succeed on the first run, so the
    // whole replacement stays one transaction.
    Ok(format!(
        "table inet {NAT_TABLE} {{}}\n\
         delete table inet {NAT_TABLE}\n\
         table inet {NAT_TABLE} {{\n\
         \tchain services {{\n{rules}\t}}\n\
         \tchain prerouting {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}}\n\
         \tchain output {{\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}}\n\
         \tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tct mark and {MASQUERADE_MARK:#x} == {MASQUERADE_MARK:#x} masquerade\n\t}}\n\
         }}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> ServiceNat {
        ServiceNat {
            name: "default/web".into(),
            vip: Some("10.96.0.10".parse().unwrap()),
            port: 80,
            proto: Proto::Tcp,
            node_port: Some(30080),
            backend: ("10.1.0.5".parse().unwrap(), 8080),
            masquerade: false,
        }
    }

    #[test]
    fn script_has_vip_and_nodeport_rules() {
        let s = nat_script(&[svc()]).unwrap();
        assert!(s.contains(
            "ip daddr 10.96.0.10 tcp dport 80 dnat ip to 10.1.0.5:8080 comment \"default/web\""
        ));
        assert!(s.contains(
            "meta nfproto ipv4 fib daddr type local tcp dport 30080 dnat ip to 10.1.0.5:8080"
        ));
        assert!(s.starts_with("table inet kube-proxy-lab {}\ndelete table inet kube-proxy-lab\n"));
    }

    #[test]
    fn masquerade_marks_traffic_from_outside_the_pods() {
        let mut v = svc();
        v.masquerade = true;
        let s = nat_script(&[v]).unwrap();
        assert!(s.contains("tcp dport 30080 iifname != \"cali*\" ct mark set ct mark or 0x4000\n"));
        assert!(s.contains("tcp dport 30080 dnat ip to 10.1.0.5:8080"));
        assert!(s.contains("ct mark and 0x4000 == 0x4000 masquerade"));
        assert!(!nat_script(&[svc()]).unwrap().contains("ct mark set"));
    }

    #[test]
    fn v6_backend_is_bracketed() {
        let mut v = svc();
        v.vip = Some("fd96::10".parse().unwrap());
        v.backend = ("fd01::5".parse().unwrap(), 8080);
        let s = nat_script(&[v]).unwrap();
        assert!(s.contains("ip6 daddr fd96::10 tcp dport 80 dnat ip6 to [fd01::5]:8080"));
    }

    #[test]
    fn rejects_mixed_families_and_icmp() {
        let mut v = svc();
        v.backend = ("fd01::5".parse().unwrap(), 1);
        assert!(nat_script(&[v]).is_err());
        let mut v = svc();
        v.proto = Proto::Icmp;
        assert!(nat_script(&[v]).is_err());
    }
}
