//! BGP kinds: `BGPConfiguration` and `BGPPeer` (`BGPFilter` is in its own module).

use serde::{Deserialize, Serialize};

use super::common::{
    BgpPassword, check_bgp_password, check_duration, check_ip, check_name, check_net, check_one_of,
    check_selector, de_asn, de_opt_asn, ip_version, is_zero,
};
use crate::serde_util::is_false;
use crate::validate::Report;
use crate::validate::names::{parse_cidr, parse_ip};
use crate::yaml::FieldPath;

/// `BGPConfigurationSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BGPConfigurationSpec {
    /// BIRD log level: `Trace`, `Debug`, `Info` (default), `Warning`, `Error`, `Fatal`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_severity_screen: String,
    /// Full node-to-node BGP mesh (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_to_node_mesh_enabled: Option<bool>,
    /// Default AS number of nodes (default 64512).
    #[serde(
        default,
        deserialize_with = "de_opt_asn",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_number: Option<u32>,
    /// CIDRs of LoadBalancer service addresses to advertise.
    #[serde(
        default,
        rename = "serviceLoadBalancerIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub service_load_balancer_ips: Vec<ServiceCidrBlock>,
    /// CIDRs of service external IPs to advertise.
    #[serde(
        default,
        rename = "serviceExternalIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub service_external_ips: Vec<ServiceCidrBlock>,
    /// CIDRs of service cluster IPs to advertise.
    #[serde(
        default,
        rename = "serviceClusterIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub service_cluster_ips: Vec<ServiceCidrBlock>,
    /// Named BGP community values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<Community>,
    /// Communities to attach to advertised prefixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_advertisements: Vec<PrefixAdvertisement>,
    /// BGP listen port (default 179).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub listen_port: u16,
    /// Password of node-to-node mesh sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_mesh_password: Option<BgpPassword>,
    /// Graceful restart time of mesh sessions (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_mesh_max_restart_time: Option<String>,
    /// `None` (listen on all addresses) or `NodeIP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_mode: Option<String>,
    /// Interfaces whose device routes are not exported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_interfaces: Vec<String>,
    /// IPv4 address nodes use to peer with local workloads.
    #[serde(
        default,
        rename = "localWorkloadPeeringIPV4",
        skip_serializing_if = "String::is_empty"
    )]
    pub local_workload_peering_ipv4: String,
    /// IPv6 address nodes use to peer with local workloads.
    #[serde(
        default,
        rename = "localWorkloadPeeringIPV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub local_workload_peering_ipv6: String,
    /// `Enabled` or `Disabled`: program routes to other nodes' blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_cluster_routes: Option<String>,
    /// `Enabled` (default) or `Disabled`: advertise LoadBalancer addresses aggregated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_load_balancer_aggregation: Option<String>,
}

/// `ServiceLoadBalancerIPBlock`, `ServiceExternalIPBlock`, `ServiceClusterIPBlock`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceCidrBlock {
    /// The CIDR.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cidr: String,
}

/// `Community`: a named BGP community value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Community {
    /// The name used in `prefixAdvertisements`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `aa:nn` (standard) or `aa:nn:mm` (large).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// `PrefixAdvertisement`: communities for one prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrefixAdvertisement {
    /// The prefix.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cidr: String,
    /// Community names or values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<String>,
}

/// `BGPPeerSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BGPPeerSpec {
    /// The node that peers (empty with no nodeSelector: all nodes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The nodes that peer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_selector: String,
    /// The peer's address, optionally with a port (`10.0.0.1:1179`, `[fd00::1]:1179`).
    #[serde(default, rename = "peerIP", skip_serializing_if = "String::is_empty")]
    pub peer_ip: String,
    /// The peer's AS number.
    #[serde(default, deserialize_with = "de_asn", skip_serializing_if = "is_zero")]
    pub as_number: u32,
    /// Calico nodes to peer with instead of peerIP.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub peer_selector: String,
    /// Deprecated: keep the original next hop (use nextHopMode `Keep`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_original_next_hop: bool,
    /// Session password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<BgpPassword>,
    /// `UseNodeIP` (default) or `None`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_address: String,
    /// Graceful restart time (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restart_time: Option<String>,
    /// How many times the local AS may appear in received paths.
    #[serde(
        default,
        rename = "numAllowedLocalASNumbers",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_allowed_local_as_numbers: Option<i32>,
    /// GTSM: the number of hops to the peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_security: Option<u8>,
    /// Gateway through which the peer is reached (adds a /32 or /128 route).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reachable_by: String,
    /// BGPFilter names applied to the sessions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    /// Local workloads to peer with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_workload_selector: String,
    /// `Auto`, `Self` or `Keep`: next hop of advertised routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hop_mode: Option<String>,
    /// `Auto` (default) or `Manual`: whether selected nodes peer back automatically.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reverse_peering: String,
    /// Keepalive time (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_time: Option<String>,
    /// Local AS number to use for these sessions.
    #[serde(
        default,
        rename = "localASNumber",
        deserialize_with = "de_opt_asn",
        skip_serializing_if = "Option::is_none"
    )]
    pub local_as_number: Option<u32>,
}

/// Parses a community value: `aa:nn` with 16-bit parts or `aa:nn:mm` with 32-bit parts.
pub(super) fn community_problem(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.split(':').collect();
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !matches!(parts.len(), 2 | 3) || !parts.iter().all(digits) {
        return Some(format!(
            "`{value}` is not a community value `aa:nn` or `aa:nn:mm`"
        ));
    }
    let fits = |p: &&str| {
        if parts.len() == 2 {
            p.parse::<u16>().is_ok()
        } else {
            p.parse::<u32>().is_ok()
        }
    };
    if parts.iter().all(fits) {
        None
    } else {
        let bits = if parts.len() == 2 { 16 } else { 32 };
        Some(format!(
            "community value `{value}` has a part above the {bits}-bit limit"
        ))
    }
}

/// Validates a `BGPConfigurationSpec` with Calico's rules; `path` points at `spec`.
pub fn validate_bgp_configuration_spec(
    spec: &BGPConfigurationSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    check_one_of(
        &spec.log_severity_screen,
        &["Trace", "Debug", "Info", "Warning", "Error", "Fatal"],
        &path.key("logSeverityScreen"),
        report,
    );
    for (field, blocks) in [
        ("serviceLoadBalancerIPs", &spec.service_load_balancer_ips),
        ("serviceExternalIPs", &spec.service_external_ips),
        ("serviceClusterIPs", &spec.service_cluster_ips),
    ] {
        for (i, b) in blocks.iter().enumerate() {
            check_net(&b.cidr, None, &path.key(field).index(i).key("cidr"), report);
        }
    }
    for (i, c) in spec.communities.iter().enumerate() {
        let p = path.key("communities").index(i);
        if c.name.is_empty() {
            report.error(p.key("name"), "the community name must be given");
        }
        check_name(&c.name, "community name", &p.key("name"), report);
        if c.value.is_empty() {
            report.error(p.key("value"), "the community value must be given");
        } else if let Some(problem) = community_problem(&c.value) {
            report.error(p.key("value"), problem);
        }
    }
    if spec.prefix_advertisements.is_empty() && !spec.communities.is_empty() {
        report.error(
            path.key("communities"),
            "communities are defined but no prefixAdvertisements use them",
        );
    }
    for (i, pa) in spec.prefix_advertisements.iter().enumerate() {
        let p = path.key("prefixAdvertisements").index(i);
        if pa.cidr.is_empty() {
            report.error(p.key("cidr"), "the CIDR must be given");
        } else if parse_cidr(&pa.cidr).is_none() {
            report.error(p.key("cidr"), format!("`{}` is not a valid CIDR", pa.cidr));
        }
        if pa.communities.is_empty() {
            report.error(p.key("communities"), "at least one community must be given");
        }
        for (j, c) in pa.communities.iter().enumerate() {
            let looks_like_value = c.contains(':');
            let defined = spec.communities.iter().any(|d| d.name == *c);
            if looks_like_value {
                if let Some(problem) = community_problem(c) {
                    report.error(p.key("communities").index(j), problem);
                }
            } else if !defined {
                report.error(
                    p.key("communities").index(j),
                    format!("community `{c}` is neither a value `aa:nn` nor a name defined in communities"),
                );
            }
        }
    }
    let mesh_off = spec.node_to_node_mesh_enabled == Some(false);
    if let Some(pw) = &spec.node_mesh_password {
        if mesh_off {
            report.error(
                path.key("nodeMeshPassword"),
                "nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false",
            );
        }
        check_bgp_password(pw, &path.key("nodeMeshPassword"), report);
    }
    if spec.node_mesh_max_restart_time.is_some() && mesh_off {
        report.error(
            path.key("nodeMeshMaxRestartTime"),
            "nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false",
        );
    }
    check_duration(
        spec.node_mesh_max_restart_time.as_deref(),
        &path.key("nodeMeshMaxRestartTime"),
        report,
    );
    if let Some(m) = &spec.bind_mode {
        check_one_of(m, &["None", "NodeIP"], &path.key("bindMode"), report);
    }
    for (i, iface) in spec.ignored_interfaces.iter().enumerate() {
        let ok = iface != "*"
            && !iface.is_empty()
            && iface.len() <= 15
            && iface
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.*-".contains(&b));
        if !ok {
            report.error(
                path.key("ignoredInterfaces").index(i),
                format!(
                    "`{iface}` is not an interface name or pattern: 1 to 15 letters, digits, \
                     `_`, `.`, `-` or `*`, and not `*` alone"
                ),
            );
        }
    }
    check_ip(
        &spec.local_workload_peering_ipv4,
        Some(4),
        &path.key("localWorkloadPeeringIPV4"),
        report,
    );
    check_ip(
        &spec.local_workload_peering_ipv6,
        Some(6),
        &path.key("localWorkloadPeeringIPV6"),
        report,
    );
    if let Some(v) = &spec.program_cluster_routes {
        check_one_of(
            v,
            &["Enabled", "Disabled"],
            &path.key("programClusterRoutes"),
            report,
        );
    }
    if let Some(v) = &spec.service_load_balancer_aggregation {
        check_one_of(
            v,
            &["Enabled", "Disabled"],
            &path.key("serviceLoadBalancerAggregation"),
            report,
        );
    }
}

/// Splits a peer address `ip`, `ipv4:port` or `[ipv6]:port` into the address and port, or
/// says why it is invalid.
fn parse_peer_ip(text: &str) -> Result<(std::net::IpAddr, Option<u16>), String> {
    let bad = || format!("`{text}` is not an IP address, `<IPv4>:<port>` or `[<IPv6>]:<port>`");
    if let Some(ip) = parse_ip(text) {
        return Ok((ip, None));
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        rest.split_once("]:").ok_or_else(bad)?
    } else {
        let (h, p) = text.rsplit_once(':').ok_or_else(bad)?;
        if !h.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(bad());
        }
        (h, p)
    };
    let ip = parse_ip(host).ok_or_else(bad)?;
    if text.starts_with('[') != ip.is_ipv6() {
        return Err(bad());
    }
    match port.parse::<u16>() {
        Ok(p) if p >= 1 && port.bytes().all(|b| b.is_ascii_digit()) => Ok((ip, Some(p))),
        _ => Err(format!(
            "`{text}` has an invalid port: it must be from 1 to 65535"
        )),
    }
}

/// Validates a `BGPPeerSpec` with Calico's rules; `path` points at `spec`.
pub fn validate_bgp_peer_spec(spec: &BGPPeerSpec, path: &FieldPath, report: &mut Report) {
    check_name(&spec.node, "node name", &path.key("node"), report);
    check_selector(&spec.node_selector, &path.key("nodeSelector"), report);
    check_selector(&spec.peer_selector, &path.key("peerSelector"), report);
    check_selector(
        &spec.local_workload_selector,
        &path.key("localWorkloadSelector"),
        report,
    );
    let peer = if spec.peer_ip.is_empty() {
        None
    } else {
        match parse_peer_ip(&spec.peer_ip) {
            Ok((ip, _)) => Some(ip),
            Err(why) => {
                report.error(path.key("peerIP"), why);
                None
            }
        }
    };
    if !spec.node.is_empty() && !spec.node_selector.is_empty() {
        report.error(
            path.key("node"),
            "node must be empty when nodeSelector is set",
        );
    }
    if !spec.peer_ip.is_empty() && !spec.peer_selector.is_empty() {
        report.error(
            path.key("peerIP"),
            "peerIP must be empty when peerSelector is set",
        );
    }
    if spec.as_number != 0 && !spec.peer_selector.is_empty() {
        report.error(
            path.key("asNumber"),
            "asNumber must be empty when peerSelector is set",
        );
    }
    if !spec.local_workload_selector.is_empty() {
        if spec.as_number == 0 {
            report.error(
                path.key("asNumber"),
                "asNumber must be set when localWorkloadSelector is set",
            );
        }
        if !spec.peer_ip.is_empty() {
            report.error(
                path.key("peerIP"),
                "peerIP must be empty when localWorkloadSelector is set",
            );
        }
        if !spec.peer_selector.is_empty() {
            report.error(
                path.key("peerSelector"),
                "peerSelector must be empty when localWorkloadSelector is set",
            );
        }
    }
    if !spec.reachable_by.is_empty() {
        let p = path.key("reachableBy");
        match parse_ip(&spec.reachable_by) {
            None => report.error(p, format!("`{}` is not an IP address", spec.reachable_by)),
            Some(_) if spec.peer_ip.is_empty() => {
                report.error(p, "reachableBy must be empty when peerIP is empty");
            }
            Some(gw) => {
                if let Some(peer) = peer
                    && ip_version(gw) != ip_version(peer)
                {
                    report.error(p, "reachableBy and peerIP must be of the same IP version");
                }
            }
        }
    }
    if spec.keep_original_next_hop && spec.next_hop_mode.is_some() {
        report.error(
            path.key("keepOriginalNextHop"),
            "keepOriginalNextHop is deprecated and must not be true when nextHopMode is set",
        );
    }
    if let Some(pw) = &spec.password {
        check_bgp_password(pw, &path.key("password"), report);
    }
    check_one_of(
        &spec.source_address,
        &["UseNodeIP", "None"],
        &path.key("sourceAddress"),
        report,
    );
    check_duration(
        spec.max_restart_time.as_deref(),
        &path.key("maxRestartTime"),
        report,
    );
    check_duration(
        spec.keepalive_time.as_deref(),
        &path.key("keepaliveTime"),
        report,
    );
    for (i, f) in spec.filters.iter().enumerate() {
        check_name(f, "filter name", &path.key("filters").index(i), report);
    }
    if let Some(m) = &spec.next_hop_mode {
        check_one_of(
            m,
            &["Auto", "Self", "Keep"],
            &path.key("nextHopMode"),
            report,
        );
    }
    check_one_of(
        &spec.reverse_peering,
        &["Auto", "Manual"],
        &path.key("reversePeering"),
        report,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_values() {
        assert_eq!(community_problem("65000:100"), None);
        assert_eq!(community_problem("4294967295:1:2"), None);
        assert!(community_problem("65536:1").unwrap().contains("16-bit"));
        assert!(
            community_problem("4294967296:1:1")
                .unwrap()
                .contains("32-bit")
        );
        assert!(community_problem("1:2:3:4").is_some());
        assert!(community_problem("a:b").is_some());
        assert!(community_problem("100").is_some());
    }

    #[test]
    fn peer_ips() {
        assert!(parse_peer_ip("10.0.0.1").is_ok());
        assert_eq!(parse_peer_ip("10.0.0.1:1179").unwrap().1, Some(1179));
        assert_eq!(parse_peer_ip("[fd00::1]:1179").unwrap().1, Some(1179));
        assert!(parse_peer_ip("fd00::1").is_ok());
        assert!(parse_peer_ip("10.0.0.1:0").is_err());
        assert!(parse_peer_ip("10.0.0.1:70000").is_err());
        assert!(parse_peer_ip("[10.0.0.1]:179").is_err());
        assert!(parse_peer_ip("host:179").is_err());
        assert!(parse_peer_ip("10.0.0.300").is_err());
    }
}
