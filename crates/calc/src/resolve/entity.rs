//! Entities: the things selectors match. Endpoints (workload and host) carry policy; network
//! sets only stand for addresses in rules.

use std::collections::BTreeMap;

use ipnet::IpNet;
use tortie_model::k8s::convert::{
    LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT, NAMESPACE_PROFILE_PREFIX,
    SERVICE_ACCOUNT_PROFILE_PREFIX,
};
use tortie_model::k8s::core::{PodSpec, PodTemplateSpec};
use tortie_model::kinds::Object;
use tortie_model::kinds::endpoints::{HostEndpointSpec, NetworkSetSpec};
use tortie_model::kinds::infra::WorkloadEndpointSpec;
use tortie_model::meta::ObjectMeta;

use crate::ids::EntityId;

/// A named port an endpoint exposes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamedPort {
    /// Name.
    pub name: String,
    /// Protocol number.
    pub protocol: u8,
    /// Port.
    pub port: u16,
}

/// What kind of thing an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// A workload (pod, VM, container), with or without an address.
    Workload,
    /// A host interface (or all of a host's interfaces).
    Host,
    /// A set of networks.
    NetworkSet,
}

/// An endpoint or network set, as selectors see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    /// Identity.
    pub id: EntityId,
    /// What it is.
    pub kind: EntityKind,
    /// Where it came from, for people (`Pod prod/web-1`, `HostEndpoint node1-eth0`).
    pub source: String,
    /// Namespace (workloads and namespaced network sets).
    pub namespace: Option<String>,
    /// Node (endpoints).
    pub node: Option<String>,
    /// Interface: a workload's host-side interface, a host endpoint's interface (`*`: all).
    pub interface: Option<String>,
    /// Addresses: workload IPs, host endpoint expected IPs, network set nets.
    pub addresses: Vec<IpNet>,
    /// The entity's own labels (with the labels Calico adds).
    pub labels: BTreeMap<String, String>,
    /// Profiles, in order.
    pub profiles: Vec<String>,
    /// Named ports.
    pub ports: Vec<NamedPort>,
    /// Labels of the Pod itself (for Service selectors), when the entity is a pod.
    pub pod_labels: Option<BTreeMap<String, String>>,
}

impl Entity {
    /// Whether the entity has this address (or, for networks, contains it).
    #[must_use]
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        self.addresses.iter().any(|n| n.contains(&ip))
    }
}

fn protocol_number(p: &str) -> u8 {
    match p.to_ascii_uppercase().as_str() {
        "UDP" => 17,
        "SCTP" => 132,
        _ => 6,
    }
}

fn host_net(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// A WorkloadEndpoint.
#[must_use]
pub fn from_workload_endpoint(w: &Object<WorkloadEndpointSpec>) -> Entity {
    let ns = w.metadata.namespace.clone();
    let mut labels = w.metadata.labels.clone();
    labels
        .entry(LABEL_NAMESPACE.into())
        .or_insert_with(|| ns.clone());
    if !w.spec.orchestrator.is_empty() {
        labels
            .entry(LABEL_ORCHESTRATOR.into())
            .or_insert_with(|| w.spec.orchestrator.clone());
    }
    let is_pod = w.spec.orchestrator == "k8s" && !w.spec.pod.is_empty();
    let source = if is_pod {
        format!("Pod {ns}/{}", w.spec.pod)
    } else {
        format!("WorkloadEndpoint {ns}/{}", w.metadata.name)
    };
    let pod_labels = is_pod.then(|| {
        labels
            .iter()
            .filter(|(k, _)| !k.starts_with("projectcalico.org/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    Entity {
        id: EntityId::Workload {
            namespace: ns.clone(),
            name: w.metadata.name.clone(),
        },
        kind: EntityKind::Workload,
        source,
        namespace: Some(ns),
        node: (!w.spec.node.is_empty()).then(|| w.spec.node.clone()),
        interface: (!w.spec.interface_name.is_empty()).then(|| w.spec.interface_name.clone()),
        addresses: w
            .spec
            .ip_networks
            .iter()
            .filter_map(|n| host_net(n))
            .collect(),
        labels,
        profiles: w.spec.profiles.clone(),
        ports: w
            .spec
            .ports
            .iter()
            .filter(|p| !p.name.is_empty())
            .filter_map(|p| {
                p.protocol.number().map(|proto| NamedPort {
                    name: p.name.clone(),
                    protocol: proto,
                    port: p.port,
                })
            })
            .collect(),
        pod_labels,
    }
}

/// A HostEndpoint.
#[must_use]
pub fn from_host_endpoint(h: &Object<HostEndpointSpec>) -> Entity {
    Entity {
        id: EntityId::Host {
            name: h.metadata.name.clone(),
        },
        kind: EntityKind::Host,
        source: format!("HostEndpoint {}", h.metadata.name),
        namespace: None,
        node: Some(h.spec.node.clone()),
        interface: (!h.spec.interface_name.is_empty()).then(|| h.spec.interface_name.clone()),
        addresses: h
            .spec
            .expected_ips
            .iter()
            .filter_map(|i| host_net(i))
            .collect(),
        labels: h.metadata.labels.clone(),
        profiles: h.spec.profiles.clone(),
        ports: h
            .spec
            .ports
            .iter()
            .filter_map(|p| {
                p.protocol.number().map(|proto| NamedPort {
                    name: p.name.clone(),
                    protocol: proto,
                    port: p.port,
                })
            })
            .collect(),
        pod_labels: None,
    }
}

/// A namespaced NetworkSet: it carries its namespace label and inherits the namespace's
/// profile labels, as Calico's network-set processor gives it.
#[must_use]
pub fn from_network_set(meta: &ObjectMeta, spec: &NetworkSetSpec) -> Entity {
    let ns = meta.namespace.clone();
    let mut labels = meta.labels.clone();
    labels.insert(LABEL_NAMESPACE.into(), ns.clone());
    Entity {
        id: EntityId::NetworkSet {
            namespace: ns.clone(),
            name: meta.name.clone(),
        },
        kind: EntityKind::NetworkSet,
        source: format!("NetworkSet {ns}/{}", meta.name),
        namespace: Some(ns.clone()),
        node: None,
        interface: None,
        addresses: spec
            .nets
            .iter()
            .filter_map(|n| host_net(n).map(|n| n.trunc()))
            .collect(),
        labels,
        profiles: vec![format!("{NAMESPACE_PROFILE_PREFIX}{ns}")],
        ports: Vec::new(),
        pod_labels: None,
    }
}

/// A GlobalNetworkSet: only its own labels.
#[must_use]
pub fn from_global_network_set(meta: &ObjectMeta, spec: &NetworkSetSpec) -> Entity {
    Entity {
        id: EntityId::GlobalNetworkSet {
            name: meta.name.clone(),
        },
        kind: EntityKind::NetworkSet,
        source: format!("GlobalNetworkSet {}", meta.name),
        namespace: None,
        node: None,
        interface: None,
        addresses: spec
            .nets
            .iter()
            .filter_map(|n| host_net(n).map(|n| n.trunc()))
            .collect(),
        labels: meta.labels.clone(),
        profiles: Vec::new(),
        ports: Vec::new(),
        pod_labels: None,
    }
}

/// A workload known only from a pod spec: a Pod without an address or node yet, or the pod
/// template of a controller. It has labels, profiles and named ports, but no address, so rules
/// on networks never match it.
#[must_use]
pub fn from_pod_spec(
    kind: &'static str,
    namespace: &str,
    name: &str,
    meta: Option<&ObjectMeta>,
    spec: &PodSpec,
) -> Entity {
    let pod_labels = meta.map(|m| m.labels.clone()).unwrap_or_default();
    let mut labels = pod_labels.clone();
    labels.insert(LABEL_NAMESPACE.into(), namespace.into());
    labels.insert(LABEL_ORCHESTRATOR.into(), "k8s".into());
    let sa = spec
        .service_account_name
        .clone()
        .or_else(|| spec.service_account.clone())
        .filter(|s| !s.is_empty());
    let mut profiles = vec![format!("{NAMESPACE_PROFILE_PREFIX}{namespace}")];
    if let Some(sa) = &sa {
        if sa.len() < 63 {
            labels.insert(LABEL_SERVICE_ACCOUNT.into(), sa.clone());
        }
        profiles.push(format!("{SERVICE_ACCOUNT_PROFILE_PREFIX}{namespace}.{sa}"));
    }
    let ports = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            let name = p.name.clone().filter(|n| !n.is_empty())?;
            let port = u16::try_from(p.container_port).ok().filter(|p| *p != 0)?;
            Some(NamedPort {
                name,
                protocol: protocol_number(p.protocol.as_deref().unwrap_or("TCP")),
                port,
            })
        })
        .collect();
    Entity {
        id: EntityId::Template {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        },
        kind: EntityKind::Workload,
        source: format!("{kind} {namespace}/{name}"),
        namespace: Some(namespace.into()),
        node: spec.node_name.clone(),
        interface: None,
        addresses: Vec::new(),
        labels,
        profiles,
        ports,
        pod_labels: Some(pod_labels),
    }
}

/// A controller's pod template as an entity.
#[must_use]
pub fn from_template(kind: &'static str, meta: &ObjectMeta, template: &PodTemplateSpec) -> Entity {
    from_pod_spec(
        kind,
        &meta.namespace,
        &meta.name,
        Some(&template.metadata),
        &template.spec,
    )
}

/// Label inheritance: the entity's own labels win, then profiles in order (earlier wins).
#[must_use]
pub fn effective_labels(
    own: &BTreeMap<String, String>,
    profile_labels: &[&BTreeMap<String, String>],
) -> BTreeMap<String, String> {
    let mut out = own.clone();
    for labels in profile_labels {
        for (k, v) in *labels {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    out
}
