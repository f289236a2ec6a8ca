//! `v1` Service: every `ServiceSpec` field of Kubernetes 1.29 to 1.34, typed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::pod::one_of;
use super::{IntOrString, NameRule, validate_labels, validate_meta};
use crate::k8s::network_policy::{
    parse_k8s_cidr, validate_port_name, validate_port_number, validate_protocol,
};
use crate::meta::ObjectMeta;
use crate::validate::Report;
use crate::validate::names::{is_dns1123_label, is_dns1123_subdomain, parse_ip};
use crate::yaml::FieldPath;

/// A Kubernetes `Service`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// `v1`.
    pub api_version: String,
    /// `Service`.
    pub kind: String,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The spec.
    #[serde(default)]
    pub spec: ServiceSpec,
    /// Status, written by the server and load-balancer controllers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServiceStatus>,
}

impl Service {
    /// The API version.
    pub const API_VERSION: &'static str = "v1";
    /// The kind name.
    pub const KIND: &'static str = "Service";

    /// A ClusterIP service with a namespace and name and no ports.
    #[must_use]
    pub fn new(namespace: &str, name: &str) -> Self {
        Service {
            api_version: Self::API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: namespace.to_string(),
                ..ObjectMeta::default()
            },
            spec: ServiceSpec::default(),
            status: None,
        }
    }
}

/// `ServiceSpec`, every field of Kubernetes 1.29 to 1.34 in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    /// Ports the service exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<ServicePort>>,
    /// Pods backing the service, by label (absent: endpoints are managed by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<BTreeMap<String, String>>,
    /// Primary cluster address, `None` for a headless service.
    #[serde(default, rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// Cluster addresses, one per family; the first equals `clusterIP`.
    #[serde(
        default,
        rename = "clusterIPs",
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_ips: Option<Vec<String>>,
    /// `ClusterIP` (default), `NodePort`, `LoadBalancer` or `ExternalName`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Extra addresses nodes accept traffic for.
    #[serde(
        default,
        rename = "externalIPs",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_ips: Option<Vec<String>>,
    /// `None` or `ClientIP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<String>,
    /// Requested load-balancer address (deprecated).
    #[serde(
        default,
        rename = "loadBalancerIP",
        skip_serializing_if = "Option::is_none"
    )]
    pub load_balancer_ip: Option<String>,
    /// Client CIDRs a cloud load balancer admits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
    /// DNS name an `ExternalName` service aliases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
    /// `Cluster` or `Local` (keeps the client source address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<String>,
    /// Node port for load-balancer health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_node_port: Option<i32>,
    /// Whether not-ready pods are published in DNS and endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_not_ready_addresses: Option<bool>,
    /// Session affinity settings, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_config: Option<serde_json::Value>,
    /// `IPv4` and/or `IPv6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_families: Option<Vec<String>>,
    /// `SingleStack`, `PreferDualStack` or `RequireDualStack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_family_policy: Option<String>,
    /// Whether a load balancer gets node ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate_load_balancer_node_ports: Option<bool>,
    /// Load-balancer implementation class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_class: Option<String>,
    /// `Cluster` or `Local`, for traffic from inside the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_traffic_policy: Option<String>,
    /// `PreferClose`, `PreferSameZone` or `PreferSameNode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_distribution: Option<String>,
}

impl ServiceSpec {
    /// The type, defaulted to `ClusterIP`.
    #[must_use]
    pub fn type_or_default(&self) -> &str {
        self.service_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("ClusterIP")
    }

    /// Whether the service is headless (`clusterIP: None`).
    #[must_use]
    pub fn is_headless(&self) -> bool {
        self.cluster_ip.as_deref() == Some("None")
    }
}

/// `ServicePort`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    /// Name (a DNS-1123 label), required when there is more than one port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Application protocol hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    /// The service port, 1 to 65535.
    #[serde(default)]
    pub port: i32,
    /// The pod port: a number or a container port name (default: `port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    /// Port on every node (`NodePort` and `LoadBalancer` types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i32>,
}

impl ServicePort {
    /// The protocol, defaulted to `TCP`.
    #[must_use]
    pub fn protocol_or_default(&self) -> &str {
        self.protocol
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("TCP")
    }

    /// The target port, defaulted to the service port.
    #[must_use]
    pub fn target_port_or_default(&self) -> IntOrString {
        match &self.target_port {
            None | Some(IntOrString::Int(0)) => IntOrString::Int(self.port),
            Some(IntOrString::Str(s)) if s.is_empty() => IntOrString::Int(self.port),
            Some(t) => t.clone(),
        }
    }
}

/// `ServiceStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceStatus {
    /// Load-balancer addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerStatus>,
    /// Conditions, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<serde_json::Value>>,
}

/// `LoadBalancerStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerStatus {
    /// Ingress points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<LoadBalancerIngress>>,
}

/// `LoadBalancerIngress`: one load-balancer address or host name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerIngress {
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// `VIP` or `Proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_mode: Option<String>,
    /// Per-port status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortStatus>>,
}

/// `PortStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortStatus {
    /// Port number.
    #[serde(default)]
    pub port: i32,
    /// Protocol.
    #[serde(default)]
    pub protocol: String,
    /// Error, if the port could not be set up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

const TYPES: [&str; 4] = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

/// Validates a Service document: name, type, ports, addresses, selector and type-bound fields.
pub fn validate_service(svc: &Service, report: &mut Report) {
    let root = FieldPath::root();
    validate_meta(
        &svc.metadata,
        &root.key("metadata"),
        NameRule::Dns1035,
        true,
        report,
    );
    let spec = &svc.spec;
    let at = root.key("spec");
    one_of(
        spec.service_type.as_deref(),
        &TYPES,
        &at.key("type"),
        report,
    );
    let ty = spec.type_or_default();
    let ports = spec.ports.as_deref().unwrap_or_default();
    if ports.is_empty() && ty != "ExternalName" && !spec.is_headless() {
        report.error(
            at.key("ports"),
            "a service needs at least one port unless it is headless (`clusterIP: None`) or of type `ExternalName`",
        );
    }
    validate_ports(ports, ty, &at.key("ports"), report);
    if let Some(sel) = &spec.selector {
        validate_labels(sel, &at.key("selector"), report);
    }
    validate_cluster_ips(spec, ty, &at, report);
    if ty == "ExternalName" {
        match spec.external_name.as_deref() {
            None | Some("") => report.error(
                at.key("externalName"),
                "a service of type `ExternalName` needs `externalName`",
            ),
            Some(n) if !is_dns1123_subdomain(n.strip_suffix('.').unwrap_or(n)) => report.error(
                at.key("externalName"),
                format!("`{n}` is not a valid DNS name (lower-case letters, digits, `-` and `.`)"),
            ),
            Some(_) => {}
        }
    }
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        if parse_ip(ip).is_none() {
            report.error(
                at.key("externalIPs").index(i),
                format!("`{ip}` is not a valid IP address"),
            );
        }
    }
    if let Some(ip) = spec.load_balancer_ip.as_deref().filter(|s| !s.is_empty())
        && parse_ip(ip).is_none()
    {
        report.error(
            at.key("loadBalancerIP"),
            format!("`{ip}` is not a valid IP address"),
        );
    }
    if let Some(ranges) = spec
        .load_balancer_source_ranges
        .as_ref()
        .filter(|r| !r.is_empty())
    {
        if ty != "LoadBalancer" {
            report.error(
                at.key("loadBalancerSourceRanges"),
                "`loadBalancerSourceRanges` can only be used when `type` is `LoadBalancer`",
            );
        }
        for (i, r) in ranges.iter().enumerate() {
            if parse_k8s_cidr(r.trim()).is_none() {
                report.error(
                    at.key("loadBalancerSourceRanges").index(i),
                    format!("`{r}` is not a valid CIDR"),
                );
            }
        }
    }
    one_of(
        spec.session_affinity.as_deref(),
        &["ClientIP", "None"],
        &at.key("sessionAffinity"),
        report,
    );
    one_of(
        spec.external_traffic_policy.as_deref(),
        &["Cluster", "Local"],
        &at.key("externalTrafficPolicy"),
        report,
    );
    if spec
        .external_traffic_policy
        .as_deref()
        .is_some_and(|p| !p.is_empty())
        && !matches!(ty, "NodePort" | "LoadBalancer")
    {
        report.error(
            at.key("externalTrafficPolicy"),
            "`externalTrafficPolicy` can only be set when `type` is `NodePort` or `LoadBalancer`",
        );
    }
    one_of(
        spec.internal_traffic_policy.as_deref(),
        &["Cluster", "Local"],
        &at.key("internalTrafficPolicy"),
        report,
    );
    one_of(
        spec.ip_family_policy.as_deref(),
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
        &at.key("ipFamilyPolicy"),
        report,
    );
    let families = spec.ip_families.as_deref().unwrap_or_default();
    for (i, f) in families.iter().enumerate() {
        let fat = at.key("ipFamilies").index(i);
        if !matches!(f.as_str(), "IPv4" | "IPv6") {
            report.error(
                fat,
                format!("unsupported IP family `{f}`: use `IPv4` or `IPv6`"),
            );
        } else if families[..i].contains(f) {
            report.error(fat, format!("duplicate IP family `{f}`"));
        }
    }
    one_of(
        spec.traffic_distribution.as_deref(),
        &["PreferClose", "PreferSameZone", "PreferSameNode"],
        &at.key("trafficDistribution"),
        report,
    );
    if let Some(p) = spec.health_check_node_port.filter(|p| *p != 0) {
        validate_port_number(p, &at.key("healthCheckNodePort"), report);
    }
}

fn validate_ports(ports: &[ServicePort], ty: &str, path: &FieldPath, report: &mut Report) {
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut node_ports = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let at = path.index(i);
        match p.name.as_deref().filter(|n| !n.is_empty()) {
            None if ports.len() > 1 => {
                report.error(at.key("name"), "a port name is required when a service has more than one port");
            }
            None => {}
            Some(n) if !is_dns1123_label(n) => report.error(
                at.key("name"),
                format!("invalid port name `{n}`: it must be a DNS-1123 label (lower-case letters, digits and `-`)"),
            ),
            Some(n) if !names.insert(n) => {
                report.error(at.key("name"), format!("port name `{n}` is used twice"));
            }
            Some(_) => {}
        }
        if p.port == 0 {
            report.error(at.key("port"), "`port` is required");
        } else {
            validate_port_number(p.port, &at.key("port"), report);
        }
        // An empty protocol is defaulted to TCP.
        let protocol = p.protocol.as_deref().filter(|p| !p.is_empty());
        validate_protocol(protocol, &at.key("protocol"), report);
        match &p.target_port {
            None | Some(IntOrString::Int(0)) => {}
            Some(IntOrString::Int(n)) => validate_port_number(*n, &at.key("targetPort"), report),
            Some(IntOrString::Str(s)) if s.is_empty() => {}
            Some(IntOrString::Str(s)) => validate_port_name(s, &at.key("targetPort"), report),
        }
        let proto = p.protocol_or_default();
        if p.port != 0 && !seen.insert((p.port, proto)) {
            report.error(
                at.clone(),
                format!("port {}/{proto} is listed twice", p.port),
            );
        }
        if let Some(np) = p.node_port.filter(|n| *n != 0) {
            validate_port_number(np, &at.key("nodePort"), report);
            if ty == "ClusterIP" {
                report.error(
                    at.key("nodePort"),
                    "`nodePort` cannot be used when `type` is `ClusterIP`",
                );
            } else if !node_ports.insert((np, proto)) {
                report.error(
                    at.key("nodePort"),
                    format!("node port {np}/{proto} is listed twice"),
                );
            }
        }
    }
}

fn validate_cluster_ips(spec: &ServiceSpec, ty: &str, at: &FieldPath, report: &mut Report) {
    let primary = spec.cluster_ip.as_deref().filter(|s| !s.is_empty());
    let list = spec.cluster_ips.as_deref().unwrap_or_default();
    if ty == "ExternalName" {
        if primary.is_some() || !list.is_empty() {
            report.error(
                at.key("clusterIP"),
                "a service of type `ExternalName` cannot have a cluster IP",
            );
        }
        return;
    }
    if let Some(ip) = primary
        && ip != "None"
        && parse_ip(ip).is_none()
    {
        report.error(
            at.key("clusterIP"),
            format!("`{ip}` is not a valid IP address or `None`"),
        );
    }
    if primary == Some("None") && matches!(ty, "NodePort" | "LoadBalancer") {
        report.error(
            at.key("clusterIP"),
            format!("a service of type `{ty}` cannot be headless (`clusterIP: None`)"),
        );
    }
    let mut v4 = None;
    for (i, ip) in list.iter().enumerate() {
        let iat = at.key("clusterIPs").index(i);
        if ip == "None" {
            if i > 0 || list.len() > 1 {
                report.error(iat, "`None` must be the only entry of `clusterIPs`");
            }
            continue;
        }
        match parse_ip(ip) {
            None => report.error(iat, format!("`{ip}` is not a valid IP address or `None`")),
            Some(addr) => {
                let is_v4 = matches!(addr, IpAddr::V4(_));
                if v4 == Some(is_v4) {
                    report.error(
                        iat,
                        format!("`{ip}` is a second address of the same IP family"),
                    );
                }
                v4 = Some(is_v4);
            }
        }
    }
    if let (Some(p), Some(first)) = (primary, list.first())
        && p != first
    {
        report.error(
            at.key("clusterIPs").index(0),
            format!("the first of `clusterIPs` must equal `clusterIP` (`{p}`), not `{first}`"),
        );
    }
}
