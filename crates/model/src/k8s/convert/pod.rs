//! Pod -> WorkloadEndpoint (Calico's `podToDefaultWorkloadEndpoint`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use sha1::{Digest as _, Sha1};

use super::{
    ANNOTATION_ALLOWED_SOURCE_PREFIXES, ANNOTATION_AWS_POD_IPS, ANNOTATION_CONTAINER_ID,
    ANNOTATION_FLOATING_IPS, ANNOTATION_NETWORK_STATUS, ANNOTATION_POD_IP, ANNOTATION_POD_IPS,
    LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT, NAMESPACE_PROFILE_PREFIX,
    ORCHESTRATOR_K8S, service_account_profile_name,
};
use crate::k8s::core::{Container, Pod};
use crate::kinds::Object;
use crate::kinds::infra::{
    IpNat, WorkloadEndpointPort, WorkloadEndpointSpec, workload_endpoint_name,
};
use crate::meta::ObjectMeta;
use crate::numorstring::Protocol;

/// The host-side interface name of a pod: the prefix (first of a comma-separated list, `cali`
/// when empty) and the first 11 hex digits of SHA-1 of `<namespace>.<pod>`.
#[must_use]
pub fn interface_name(prefix: &str, namespace: &str, pod: &str) -> String {
    let prefix = if prefix.is_empty() {
        "cali"
    } else {
        prefix.split(',').next().unwrap_or_default()
    };
    let digest = Sha1::digest(format!("{namespace}.{pod}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{}", &hex[..11])
}

/// Whether a pod no longer owns its addresses: phase `Failed`, `Succeeded` or `Completed`, or
/// being deleted after the CNI plugin emptied its address annotation.
#[must_use]
pub fn is_finished(pod: &Pod) -> bool {
    let ann = &pod.metadata.annotations;
    if pod.metadata.deletion_timestamp.is_some() {
        let emptied = |key: &str| ann.get(key).is_some_and(String::is_empty);
        if emptied(ANNOTATION_POD_IP) || emptied(ANNOTATION_AWS_POD_IPS) {
            return true;
        }
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    matches!(phase, Some("Failed" | "Succeeded" | "Completed"))
}

/// Parses an address or CIDR as Calico does: an address is a /32 or /128, a CIDR is masked.
fn parse_cidr_or_ip(text: &str) -> Option<IpNet> {
    if text.contains('/') {
        return text.parse::<IpNet>().ok().map(|n| n.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

/// The pod's addresses as networks: `status.podIPs`, else `status.podIP`, else the Calico and
/// AWS CNI annotations.
///
/// # Errors
/// The first address that does not parse (Calico then fails the whole conversion).
pub fn pod_addresses(pod: &Pod) -> Result<Vec<IpNet>, String> {
    let ann = &pod.metadata.annotations;
    let non_empty = |key: &str| ann.get(key).filter(|v| !v.is_empty());
    let status = pod.status.as_ref();
    let listed: Vec<&str> = status
        .iter()
        .flat_map(|s| s.pod_ips.iter().flatten())
        .map(|p| p.ip.as_str())
        .collect();
    let texts: Vec<&str> = if !listed.is_empty() {
        listed
    } else if let Some(ip) = status
        .and_then(|s| s.pod_ip.as_deref())
        .filter(|s| !s.is_empty())
    {
        vec![ip]
    } else if let Some(ips) = non_empty(ANNOTATION_POD_IPS) {
        ips.split(',').collect()
    } else if let Some(ip) = non_empty(ANNOTATION_POD_IP) {
        vec![ip.as_str()]
    } else if let Some(ips) = non_empty(ANNOTATION_AWS_POD_IPS) {
        ips.split(',').collect()
    } else {
        Vec::new()
    };
    texts
        .into_iter()
        .map(|t| parse_cidr_or_ip(t).ok_or_else(|| format!("invalid pod address `{t}`")))
        .collect()
}

/// The labels of a pod's workload endpoint: the pod's labels plus the namespace, orchestrator
/// and (for names under 63 bytes) service-account labels.
#[must_use]
pub fn workload_pod_labels(pod: &Pod) -> BTreeMap<String, String> {
    let mut labels = pod.metadata.labels.clone();
    labels.insert(LABEL_NAMESPACE.to_string(), pod.metadata.namespace.clone());
    labels.insert(LABEL_ORCHESTRATOR.to_string(), ORCHESTRATOR_K8S.to_string());
    if let Some(sa) = service_account(pod)
        && sa.len() < 63
    {
        labels.insert(LABEL_SERVICE_ACCOUNT.to_string(), sa.to_string());
    }
    labels
}

fn service_account(pod: &Pod) -> Option<&str> {
    pod.spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
}

/// Named and host ports of containers, with the protocol canonicalised (`TCP` by default);
/// ports with another protocol are skipped.
fn endpoint_ports<'a>(
    containers: impl Iterator<Item = &'a Container>,
) -> Vec<WorkloadEndpointPort> {
    let mut out = Vec::new();
    for port in containers.flat_map(|c| c.ports.iter().flatten()) {
        let name = port.name.clone().unwrap_or_default();
        let host_port = port.host_port.unwrap_or_default();
        if port.container_port == 0 || (host_port == 0 && name.is_empty()) {
            continue;
        }
        let protocol = match port.protocol.as_deref().unwrap_or_default() {
            "" | "TCP" => "TCP",
            "UDP" => "UDP",
            "SCTP" => "SCTP",
            _ => continue,
        };
        // Kubernetes validation keeps ports in 1..=65535; Calico truncates to 16 bits.
        let truncate = |n: i32| u16::try_from(n & 0xffff).unwrap_or_default();
        out.push(WorkloadEndpointPort {
            name,
            protocol: Protocol::Name(protocol.to_string()),
            port: truncate(port.container_port),
            host_port: truncate(host_port),
            host_ip: port.host_ip.clone().unwrap_or_default(),
        });
    }
    out
}

/// The floating-IP NAT mappings of the annotation, or why they cannot be built.
fn floating_ips(pod: &Pod, nets: &[IpNet]) -> Result<Vec<IpNat>, String> {
    let Some(text) = pod.metadata.annotations.get(ANNOTATION_FLOATING_IPS) else {
        return Ok(Vec::new());
    };
    if nets.is_empty() {
        return Ok(Vec::new());
    }
    let ips: Vec<String> =
        serde_json::from_str(text).map_err(|e| format!("failed to parse '{text}' as json: {e}"))?;
    let (mut v4, mut v6) = (None, None);
    for net in nets {
        if net.prefix_len() != net.max_prefix_len() {
            return Err(format!("pod address {net} is not a single address"));
        }
        match net {
            IpNet::V4(_) => v4 = Some(net.addr()),
            IpNet::V6(_) => v6 = Some(net.addr()),
        }
    }
    let mut out = Vec::new();
    for ip in ips {
        let internal = if ip.contains(':') { v6 } else { v4 };
        if let Some(internal) = internal {
            out.push(IpNat {
                internal_ip: internal.to_string(),
                external_ip: ip,
                source: String::new(),
            });
        }
    }
    Ok(out)
}

/// The allowed source prefixes of the annotation, masked, or why they cannot be read.
fn allowed_source_prefixes(pod: &Pod) -> Result<Vec<String>, String> {
    let Some(text) = pod
        .metadata
        .annotations
        .get(ANNOTATION_ALLOWED_SOURCE_PREFIXES)
        .filter(|t| !t.is_empty())
    else {
        return Ok(Vec::new());
    };
    let prefixes: Vec<String> =
        serde_json::from_str(text).map_err(|e| format!("failed to parse '{text}' as json: {e}"))?;
    prefixes
        .iter()
        .map(|p| {
            crate::k8s::network_policy::parse_k8s_cidr(p)
                .map(|n| n.trunc().to_string())
                .ok_or_else(|| format!("failed to parse '{p}' as a cidr"))
        })
        .collect()
}

/// The workload endpoint Calico derives from a pod, or `None` when Calico has none: host-network
/// or unscheduled pods, unnamed pods, and pods whose addresses or annotations do not parse
/// (Calico fails those conversions). Finished pods get no addresses. QoS annotations are not
/// converted.
#[must_use]
pub fn pod_to_workload_endpoint(
    pod: &Pod,
    interface_prefix: &str,
) -> Option<Object<WorkloadEndpointSpec>> {
    let node = pod.spec.node_name.as_deref().unwrap_or_default();
    let meta = &pod.metadata;
    if pod.spec.uses_host_network() || node.is_empty() || meta.name.is_empty() {
        return None;
    }
    let mut nets = pod_addresses(pod).ok()?;
    if is_finished(pod) {
        nets.clear();
    }
    let ip_nats = floating_ips(pod, &nets).ok()?;
    let spoofed = allowed_source_prefixes(pod).ok()?;
    let mut profiles = vec![format!("{NAMESPACE_PROFILE_PREFIX}{}", meta.namespace)];
    if let Some(sa) = service_account(pod) {
        profiles.push(service_account_profile_name(&meta.namespace, sa));
    }
    let init = pod.spec.init_containers.iter().flatten();
    let spec = WorkloadEndpointSpec {
        orchestrator: ORCHESTRATOR_K8S.to_string(),
        node: node.to_string(),
        container_id: meta
            .annotations
            .get(ANNOTATION_CONTAINER_ID)
            .cloned()
            .unwrap_or_default(),
        pod: meta.name.clone(),
        endpoint: "eth0".to_string(),
        service_account_name: service_account(pod).unwrap_or_default().to_string(),
        ip_networks: nets.iter().map(ToString::to_string).collect(),
        ip_nats,
        profiles,
        interface_name: interface_name(interface_prefix, &meta.namespace, &meta.name),
        ports: endpoint_ports(pod.spec.containers.iter().chain(init)),
        allow_spoofed_source_prefixes: spoofed,
        ..WorkloadEndpointSpec::default()
    };
    let mut annotations = BTreeMap::new();
    if let Some(v) = meta.annotations.get(ANNOTATION_NETWORK_STATUS) {
        annotations.insert(ANNOTATION_NETWORK_STATUS.to_string(), v.clone());
    }
    let metadata = ObjectMeta {
        name: workload_endpoint_name(node, ORCHESTRATOR_K8S, "", &meta.name, "eth0"),
        generate_name: meta.generate_name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        creation_timestamp: meta.creation_timestamp.clone(),
        labels: workload_pod_labels(pod),
        annotations,
        ..ObjectMeta::default()
    };
    let mut wep: Object<WorkloadEndpointSpec> = Object::new("WorkloadEndpoint", "");
    wep.metadata = metadata;
    wep.spec = spec;
    Some(wep)
}
