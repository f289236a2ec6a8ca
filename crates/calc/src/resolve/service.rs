//! Kubernetes Services: addresses, ports and how they map to backends.

use std::collections::BTreeMap;
use std::net::IpAddr;

use tortie_model::k8s::core::Service as K8sService;
use tortie_model::k8s::network_policy::IntOrString;

/// One port of a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// Port name.
    pub name: String,
    /// Protocol number.
    pub protocol: u8,
    /// The Service port (on cluster and load-balancer addresses).
    pub port: u16,
    /// The port on the node, for NodePort and LoadBalancer Services.
    pub node_port: Option<u16>,
    /// The backend port: a number, or a named port of the backends.
    pub target: Target,
}

/// A backend port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A port number.
    Number(u16),
    /// A container port name.
    Named(String),
}

/// A Service.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    pub service_type: String,
    /// Cluster addresses.
    pub cluster_ips: Vec<IpAddr>,
    /// External and load-balancer addresses (handled on the node like cluster addresses).
    pub external_ips: Vec<IpAddr>,
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// Pods it sends traffic to (none: no backends managed by Kubernetes).
    pub selector: Option<BTreeMap<String, String>>,
    /// `Local` keeps external traffic on the receiving node (no source NAT).
    pub external_traffic_local: bool,
}

fn proto(p: Option<&str>) -> u8 {
    match p.map(str::to_ascii_uppercase).as_deref() {
        Some("UDP") => 17,
        Some("SCTP") => 132,
        _ => 6,
    }
}

fn ips<'a>(list: impl IntoIterator<Item = &'a String>) -> Vec<IpAddr> {
    list.into_iter().filter_map(|s| s.parse().ok()).collect()
}

/// A Service from its resource.
#[must_use]
pub fn from_k8s(s: &K8sService) -> Service {
    let spec = &s.spec;
    let mut cluster: Vec<IpAddr> = ips(spec.cluster_ips.iter().flatten());
    for ip in ips(spec.cluster_ip.iter()) {
        if !cluster.contains(&ip) {
            cluster.push(ip);
        }
    }
    let mut external = ips(spec.external_ips.iter().flatten());
    external.extend(ips(spec.load_balancer_ip.iter()));
    if let Some(status) = &s.status {
        for ing in status
            .load_balancer
            .iter()
            .flat_map(|lb| lb.ingress.iter().flatten())
        {
            external.extend(ips(ing.ip.iter()));
        }
    }
    external.dedup();
    let ports = spec
        .ports
        .iter()
        .flatten()
        .filter_map(|p| {
            let port = u16::try_from(p.port).ok()?;
            let target = match &p.target_port {
                None => Target::Number(port),
                Some(IntOrString::Int(n)) => Target::Number(u16::try_from(*n).ok()?),
                Some(IntOrString::Str(name)) => name
                    .parse()
                    .map_or_else(|_| Target::Named(name.clone()), Target::Number),
            };
            Some(ServicePort {
                name: p.name.clone().unwrap_or_default(),
                protocol: proto(p.protocol.as_deref()),
                port,
                node_port: p.node_port.and_then(|n| u16::try_from(n).ok()),
                target,
            })
        })
        .collect();
    Service {
        namespace: s.metadata.namespace.clone(),
        name: s.metadata.name.clone(),
        service_type: spec
            .service_type
            .clone()
            .unwrap_or_else(|| "ClusterIP".into()),
        cluster_ips: cluster,
        external_ips: external,
        ports,
        selector: spec.selector.clone().filter(|s| !s.is_empty()),
        external_traffic_local: spec.external_traffic_policy.as_deref() == Some("Local"),
    }
}
