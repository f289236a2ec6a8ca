//! `WorkloadEndpoint`: a pod's or VM's interface on a node, with its addresses, profiles and
//! named ports. Tortie applies policy to these.

use serde::{Deserialize, Serialize};

use super::common::{
    Dscp, check_ip, check_name, check_net, ip_version, is_container_id, is_interface_name, is_mac,
    is_zero,
};
use crate::numorstring::{PROTOCOL_NAMES, Protocol};
use crate::validate::Report;
use crate::validate::names::{is_port_name, parse_cidr, parse_ip};
use crate::yaml::FieldPath;

/// `WorkloadEndpointSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadEndpointSpec {
    /// The orchestrator (`k8s`, `cni`, `libnetwork`, `openstack`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub orchestrator: String,
    /// The workload's ID (orchestrators other than Kubernetes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workload: String,
    /// The node the endpoint is on.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The container ID (CNI).
    #[serde(
        default,
        rename = "containerID",
        skip_serializing_if = "String::is_empty"
    )]
    pub container_id: String,
    /// The pod name (Kubernetes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod: String,
    /// The endpoint's name within the workload (`eth0`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// The pod's service account (Kubernetes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account_name: String,
    /// The endpoint's addresses, each a /32 or /128.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_networks: Vec<String>,
    /// 1:1 NAT mappings (floating IPs).
    #[serde(default, rename = "ipNATs", skip_serializing_if = "Vec::is_empty")]
    pub ip_nats: Vec<IpNat>,
    /// IPv4 gateway for the workload's traffic.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipv4_gateway: String,
    /// IPv6 gateway for the workload's traffic.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipv6_gateway: String,
    /// Profiles applied after policies, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// The host-side interface (`cali0123456789a`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interface_name: String,
    /// MAC address of the workload-side interface.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    /// Named and host ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<WorkloadEndpointPort>,
    /// Source prefixes the workload may send from besides its own addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_spoofed_source_prefixes: Vec<String>,
    /// Bandwidth, packet-rate and connection limits and DSCP marking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos_controls: Option<QosControls>,
}

/// `IPNAT`: a 1:1 NAT mapping of a workload endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpNat {
    /// The endpoint's own address (within its `ipNetworks`).
    #[serde(default, rename = "internalIP")]
    pub internal_ip: String,
    /// The external (floating) address.
    #[serde(default, rename = "externalIP")]
    pub external_ip: String,
    /// Where the mapping comes from (`openstack`); only some Calico builds define it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// `WorkloadEndpointPort`: a named port and/or host port of a workload endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadEndpointPort {
    /// Port name (may be empty when `hostPort` is set).
    #[serde(default)]
    pub name: String,
    /// Protocol (TCP, UDP or SCTP).
    pub protocol: Protocol,
    /// The port in the workload.
    #[serde(default)]
    pub port: u16,
    /// The host port mapped to it (0: none).
    #[serde(default)]
    pub host_port: u16,
    /// The host address the host port binds (empty: all).
    #[serde(default, rename = "hostIP")]
    pub host_ip: String,
}

/// `QoSControls`: limits applied to a workload endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QosControls {
    /// Ingress bandwidth limit, bits per second (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_bandwidth: i64,
    /// Ingress burst size, bits.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_burst: i64,
    /// Ingress peak rate, bits per second.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_peakrate: i64,
    /// Ingress minimum burst, bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_minburst: i64,
    /// Egress bandwidth limit, bits per second (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_bandwidth: i64,
    /// Egress burst size, bits.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_burst: i64,
    /// Egress peak rate, bits per second.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_peakrate: i64,
    /// Egress minimum burst, bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_minburst: i64,
    /// Ingress packet rate limit, packets per second (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_packet_rate: i64,
    /// Ingress packet burst, packets.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_packet_burst: i64,
    /// Egress packet rate limit, packets per second (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_packet_rate: i64,
    /// Egress packet burst, packets.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_packet_burst: i64,
    /// Maximum ingress connections (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ingress_max_connections: i64,
    /// Maximum egress connections (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub egress_max_connections: i64,
    /// DSCP marking of egress traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dscp: Option<Dscp>,
}

/// Calico's workload endpoint name: `node`, `orchestrator`, then `<pod>` for `k8s`,
/// `libnetwork` again for `libnetwork`, or `<workload>` otherwise (for `cni` pass the container
/// ID as `workload`), then `endpoint`; each segment's `-` doubled, segments joined by `-`.
#[must_use]
pub fn workload_endpoint_name(
    node: &str,
    orchestrator: &str,
    workload: &str,
    pod: &str,
    endpoint: &str,
) -> String {
    let third = match orchestrator {
        "k8s" => pod,
        "libnetwork" => "libnetwork",
        _ => workload,
    };
    [node, orchestrator, third, endpoint]
        .iter()
        .map(|s| s.replace('-', "--"))
        .collect::<Vec<_>>()
        .join("-")
}

impl WorkloadEndpointSpec {
    /// The name Calico requires for this endpoint, or why it cannot be computed (a segment is
    /// empty, or starts or ends with `-`).
    ///
    /// # Errors
    /// A sentence naming the spec field at fault.
    pub fn expected_name(&self) -> Result<String, String> {
        let third = match self.orchestrator.as_str() {
            "k8s" => ("pod", self.pod.as_str()),
            "cni" => ("containerID", self.container_id.as_str()),
            "libnetwork" => ("orchestrator", "libnetwork"),
            _ => ("workload", self.workload.as_str()),
        };
        let segments = [
            ("node", self.node.as_str()),
            ("orchestrator", self.orchestrator.as_str()),
            third,
            ("endpoint", self.endpoint.as_str()),
        ];
        for (field, value) in segments {
            if value.is_empty() {
                return Err(format!("`{field}` must be set to name the endpoint"));
            }
            if value.starts_with('-') || value.ends_with('-') {
                return Err(format!("`{field}` must not start or end with `-`"));
            }
        }
        let workload = if self.orchestrator == "cni" {
            &self.container_id
        } else {
            &self.workload
        };
        Ok(workload_endpoint_name(
            &self.node,
            &self.orchestrator,
            workload,
            &self.pod,
            &self.endpoint,
        ))
    }
}

/// Checks that a workload endpoint's `metadata.name` is the one Calico derives from its spec
/// (Calico refuses to store it otherwise); `path` points at `metadata.name`.
pub fn validate_workload_endpoint_name(
    name: &str,
    spec: &WorkloadEndpointSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    match spec.expected_name() {
        Ok(expected) if expected != name => report.error(
            path.clone(),
            format!("the name of this workload endpoint must be `{expected}`, not `{name}`"),
        ),
        Ok(_) => {}
        Err(why) => report.error(path.clone(), format!("cannot check the name: {why}")),
    }
}

/// Validates a `WorkloadEndpointSpec` with Calico's rules; `path` points at `spec`.
pub fn validate_workload_endpoint_spec(
    spec: &WorkloadEndpointSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    check_name(
        &spec.orchestrator,
        "orchestrator",
        &path.key("orchestrator"),
        report,
    );
    check_name(&spec.workload, "workload", &path.key("workload"), report);
    check_name(&spec.node, "node name", &path.key("node"), report);
    if !spec.container_id.is_empty() && !is_container_id(&spec.container_id) {
        report.error(
            path.key("containerID"),
            format!(
                "container ID `{}` is invalid: it must be letters, digits and `-`, starting and \
                 ending with a letter or digit",
                spec.container_id
            ),
        );
    }
    check_name(&spec.pod, "pod name", &path.key("pod"), report);
    check_name(
        &spec.endpoint,
        "endpoint name",
        &path.key("endpoint"),
        report,
    );
    check_name(
        &spec.service_account_name,
        "service account name",
        &path.key("serviceAccountName"),
        report,
    );

    let mut networks = Vec::new();
    for (i, n) in spec.ip_networks.iter().enumerate() {
        let p = path.key("ipNetworks").index(i);
        let before = report.violations.len();
        check_net(n, None, &p, report);
        if report.violations.len() > before {
            continue;
        }
        if let Some((net, _)) = parse_cidr(n) {
            if net.prefix_len() != net.max_prefix_len() {
                report.error(
                    p,
                    format!("`{n}` contains several addresses; only /32 and /128 are supported"),
                );
            } else {
                networks.push(net);
            }
        }
    }

    for (i, nat) in spec.ip_nats.iter().enumerate() {
        let p = path.key("ipNATs").index(i);
        let internal = nat_address(&nat.internal_ip, &p.key("internalIP"), report);
        let external = nat_address(&nat.external_ip, &p.key("externalIP"), report);
        if let (Some(int), Some(ext)) = (internal, external)
            && ip_version(int) != ip_version(ext)
        {
            report.error(
                p.key("externalIP"),
                format!(
                    "`{}` and `{}` are of different IP versions",
                    nat.internal_ip, nat.external_ip
                ),
            );
        }
        if let Some(int) = internal
            && !networks.iter().any(|n| n.contains(&int))
        {
            report.error(
                p.key("internalIP"),
                format!(
                    "`{}` is not one of the endpoint's ipNetworks",
                    nat.internal_ip
                ),
            );
        }
    }

    check_ip(
        &spec.ipv4_gateway,
        Some(4),
        &path.key("ipv4Gateway"),
        report,
    );
    check_ip(
        &spec.ipv6_gateway,
        Some(6),
        &path.key("ipv6Gateway"),
        report,
    );
    for (i, profile) in spec.profiles.iter().enumerate() {
        check_name(
            profile,
            "profile name",
            &path.key("profiles").index(i),
            report,
        );
    }
    if spec.interface_name.is_empty() {
        report.error(
            path.key("interfaceName"),
            "the interface name must be given",
        );
    } else if !is_interface_name(&spec.interface_name) {
        report.error(
            path.key("interfaceName"),
            format!(
                "interface name `{}` is invalid: it must be 1 to 15 letters, digits, `_`, `.` or \
                 `-`",
                spec.interface_name
            ),
        );
    }
    if !spec.mac.is_empty() && !is_mac(&spec.mac) {
        report.error(
            path.key("mac"),
            format!("`{}` is not a MAC address", spec.mac),
        );
    }
    for (i, port) in spec.ports.iter().enumerate() {
        validate_port(port, &path.key("ports").index(i), report);
    }
    for (i, prefix) in spec.allow_spoofed_source_prefixes.iter().enumerate() {
        let p = path.key("allowSpoofedSourcePrefixes").index(i);
        if parse_cidr(prefix).is_none() {
            report.error(p, format!("`{prefix}` is not a CIDR or IP address"));
        }
    }
    if let Some(qos) = &spec.qos_controls {
        validate_qos(qos, &path.key("qosControls"), report);
    }
}

fn nat_address(text: &str, path: &FieldPath, report: &mut Report) -> Option<std::net::IpAddr> {
    if text.is_empty() {
        report.error(path.clone(), "the address must be given");
        return None;
    }
    let ip = parse_ip(text);
    if ip.is_none() {
        report.error(path.clone(), format!("`{text}` is not an IP address"));
    }
    ip
}

fn validate_port(port: &WorkloadEndpointPort, path: &FieldPath, report: &mut Report) {
    if !port.name.is_empty() && !is_port_name(&port.name) {
        report.error(
            path.key("name"),
            format!(
                "port name `{}` is invalid: it must be at most 15 lower-case letters, digits and \
                 `-`, with at least one letter",
                port.name
            ),
        );
    }
    if port.name.is_empty() && port.host_port == 0 {
        report.error(
            path.key("name"),
            "a port needs a name unless it has a hostPort",
        );
    }
    match &port.protocol {
        Protocol::Number(0) => {
            report.error(path.key("protocol"), "protocol number 0 is invalid");
        }
        Protocol::Name(n) if !PROTOCOL_NAMES.iter().any(|(name, _)| name == n) => {
            report.error(
                path.key("protocol"),
                format!(
                    "protocol `{n}` is invalid: use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a \
                     number"
                ),
            );
        }
        p if !p.has_ports() => report.error(
            path.key("protocol"),
            format!("protocol `{p}` has no ports: use TCP, UDP or SCTP"),
        ),
        _ => {}
    }
    if port.port == 0 {
        report.error(path.key("port"), "the port must be from 1 to 65535");
    }
    check_net(&port.host_ip, None, &path.key("hostIP"), report);
}

/// Warns about QoS values outside the ranges Felix applies (Calico's API accepts them).
fn validate_qos(q: &QosControls, path: &FieldPath, report: &mut Report) {
    let mut range = |field: &str, v: i64, min: i64, max: i64, zero_ok: bool| {
        if (v != 0 || !zero_ok) && !(min..=max).contains(&v) {
            report.warn(
                path.key(field),
                format!("{v} is outside {min} to {max}; Felix ignores it"),
            );
        }
    };
    for (dir, bw, burst, peak, minburst, rate, pburst, conns) in [
        (
            "ingress",
            q.ingress_bandwidth,
            q.ingress_burst,
            q.ingress_peakrate,
            q.ingress_minburst,
            q.ingress_packet_rate,
            q.ingress_packet_burst,
            q.ingress_max_connections,
        ),
        (
            "egress",
            q.egress_bandwidth,
            q.egress_burst,
            q.egress_peakrate,
            q.egress_minburst,
            q.egress_packet_rate,
            q.egress_packet_burst,
            q.egress_max_connections,
        ),
    ] {
        if bw != 0 {
            range(
                &format!("{dir}Bandwidth"),
                bw,
                1_000,
                1_000_000_000_000_000,
                false,
            );
            range(&format!("{dir}Burst"), burst, 1_000, 34_359_738_360, true);
            range(
                &format!("{dir}Peakrate"),
                peak,
                1_010,
                1_010_000_000_000_000,
                true,
            );
            range(
                &format!("{dir}Minburst"),
                minburst,
                1_000,
                100_000_000,
                true,
            );
        }
        if rate != 0 {
            range(&format!("{dir}PacketRate"), rate, 1, 10_000, false);
            range(&format!("{dir}PacketBurst"), pburst, 1, 10_000, true);
        }
        range(
            &format!("{dir}MaxConnections"),
            conns,
            1,
            4_294_967_295,
            true,
        );
    }
    if let Some(d) = &q.dscp
        && d.value().is_none()
    {
        report.error(
            path.key("dscp"),
            format!(
                "`{d}` is not a DSCP value: use 0 to 63 or a class name such as `EF` or `AF11`"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_orchestrator() {
        assert_eq!(
            workload_endpoint_name("node1", "k8s", "", "my-nginx-b1337a", "eth0"),
            "node1-k8s-my--nginx--b1337a-eth0"
        );
        assert_eq!(
            workload_endpoint_name("node-1", "cni", "abc123", "", "eth0"),
            "node--1-cni-abc123-eth0"
        );
        assert_eq!(
            workload_endpoint_name("node1", "libnetwork", "ignored", "", "ep-1"),
            "node1-libnetwork-libnetwork-ep--1"
        );
        assert_eq!(
            workload_endpoint_name("host", "openstack", "vm-7", "", "tap-1"),
            "host-openstack-vm--7-tap--1"
        );
    }

    #[test]
    fn expected_name_uses_container_id_for_cni() {
        let spec = WorkloadEndpointSpec {
            node: "n".into(),
            orchestrator: "cni".into(),
            container_id: "c-1".into(),
            workload: "w".into(),
            endpoint: "eth0".into(),
            ..WorkloadEndpointSpec::default()
        };
        assert_eq!(spec.expected_name().as_deref(), Ok("n-cni-c--1-eth0"));
        let bad = WorkloadEndpointSpec {
            container_id: "-c".into(),
            ..spec.clone()
        };
        assert!(bad.expected_name().unwrap_err().contains("containerID"));
        let missing = WorkloadEndpointSpec {
            endpoint: String::new(),
            ..spec
        };
        assert!(missing.expected_name().unwrap_err().contains("endpoint"));
    }
}
