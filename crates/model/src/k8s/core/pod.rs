//! `v1` Pod: every `PodSpec` and `Container` field name of Kubernetes 1.29 to 1.34 is known;
//! the parts that matter to networking (ports, host networking, addresses, names) are typed,
//! the rest is kept as given.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{LocalObjectReference, NameRule, validate_labels, validate_meta, validate_ref_name};
use crate::k8s::network_policy::{validate_port_name, validate_port_number, validate_protocol};
use crate::meta::ObjectMeta;
use crate::validate::Report;
use crate::validate::names::parse_ip;
use crate::yaml::FieldPath;

/// Kept-as-given value of a sub-structure that does not affect networking.
type Any = serde_json::Value;

/// A Kubernetes `Pod`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pod {
    /// `v1`.
    pub api_version: String,
    /// `Pod`.
    pub kind: String,
    /// Metadata; the labels are what `podSelector`s match.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The spec.
    #[serde(default)]
    pub spec: PodSpec,
    /// Status, written by the kubelet (addresses, phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PodStatus>,
}

impl Pod {
    /// The API version.
    pub const API_VERSION: &'static str = "v1";
    /// The kind name.
    pub const KIND: &'static str = "Pod";

    /// A pod with a namespace and name and an empty spec.
    #[must_use]
    pub fn new(namespace: &str, name: &str) -> Self {
        Pod {
            api_version: Self::API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: namespace.to_string(),
                ..ObjectMeta::default()
            },
            spec: PodSpec::default(),
            status: None,
        }
    }
}

/// `PodTemplateSpec`: the pods a workload controller creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    /// Metadata of the pods (labels, annotations).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec of the pods.
    #[serde(default)]
    pub spec: PodSpec,
}

/// `PodSpec`, every field of Kubernetes 1.29 to 1.34 in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    /// Volumes, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Any>>,
    /// Init containers (a `restartPolicy: Always` one is a sidecar that keeps running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    /// Containers; at least one.
    #[serde(default)]
    pub containers: Vec<Container>,
    /// Ephemeral (debug) containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_containers: Option<Vec<EphemeralContainer>>,
    /// `Always`, `OnFailure` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// Grace period on termination, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    /// Deadline for the pod to run, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// `ClusterFirst`, `ClusterFirstWithHostNet`, `Default` or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<String>,
    /// Node labels the pod needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// The service account the pod runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Deprecated alias of `serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Whether an API token is mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// The node the pod runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// Whether the pod uses the node's network namespace (and so the node's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// Whether the pod uses the node's PID namespace.
    #[serde(default, rename = "hostPID", skip_serializing_if = "Option::is_none")]
    pub host_pid: Option<bool>,
    /// Whether the pod uses the node's IPC namespace.
    #[serde(default, rename = "hostIPC", skip_serializing_if = "Option::is_none")]
    pub host_ipc: Option<bool>,
    /// Whether containers share one PID namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Option<bool>,
    /// Pod security context, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Any>,
    /// Image pull secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    /// Hostname (a DNS-1123 label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Subdomain under a headless service (a DNS-1123 label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain: Option<String>,
    /// Scheduling affinity, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Any>,
    /// Scheduler name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Tolerations, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Any>>,
    /// Extra `/etc/hosts` entries, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_aliases: Option<Vec<Any>>,
    /// Priority class name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Priority (set from the priority class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// DNS configuration, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<Any>,
    /// Readiness gates, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_gates: Option<Vec<Any>>,
    /// Runtime class name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// Whether service environment variables are injected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,
    /// `PreemptLowerPriority` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    /// Runtime-class resource overhead, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Any>,
    /// Topology spread constraints, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_spread_constraints: Option<Vec<Any>>,
    /// Whether the hostname is the pod's FQDN.
    #[serde(
        default,
        rename = "setHostnameAsFQDN",
        skip_serializing_if = "Option::is_none"
    )]
    pub set_hostname_as_fqdn: Option<bool>,
    /// Operating system, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Any>,
    /// Whether the pod uses the node's user namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
    /// Scheduling gates, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_gates: Option<Vec<Any>>,
    /// Dynamic resource claims, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claims: Option<Vec<Any>>,
    /// Pod-level resources, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Any>,
    /// Hostname override (1.34, alpha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_override: Option<String>,
}

impl PodSpec {
    /// Init containers then regular containers: the ones that may listen on ports.
    pub fn port_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers
            .iter()
            .flatten()
            .chain(&self.containers)
    }

    /// Every declared port with its container, init containers first.
    pub fn container_ports(&self) -> impl Iterator<Item = (&Container, &ContainerPort)> {
        self.port_containers()
            .flat_map(|c| c.ports.iter().flatten().map(move |p| (c, p)))
    }

    /// The service account the pod runs as: `serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default`.
    #[must_use]
    pub fn effective_service_account(&self) -> &str {
        [&self.service_account_name, &self.service_account]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map_or("default", String::as_str)
    }

    /// Whether the pod uses the node's network namespace.
    #[must_use]
    pub fn uses_host_network(&self) -> bool {
        self.host_network == Some(true)
    }
}

/// Declares a container struct: the `Container` fields in Go order, then extras.
macro_rules! container_struct {
    (
        $(#[$meta:meta])* $name:ident {
            $( $(#[$extra_meta:meta])* pub $extra:ident : $extra_ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// Name, a DNS-1123 label unique in the pod.
            #[serde(default)]
            pub name: String,
            /// Image reference.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image: Option<String>,
            /// Entrypoint.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub command: Option<Vec<String>>,
            /// Entrypoint arguments.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub args: Option<Vec<String>>,
            /// Working directory.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub working_dir: Option<String>,
            /// Declared ports (named ports resolve against these).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ports: Option<Vec<ContainerPort>>,
            /// Environment sources, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub env_from: Option<Vec<Any>>,
            /// Environment variables, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub env: Option<Vec<Any>>,
            /// Resource requests and limits, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub resources: Option<Any>,
            /// In-place resize policy, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub resize_policy: Option<Vec<Any>>,
            /// Container restart policy (`Always` makes an init container a sidecar).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub restart_policy: Option<String>,
            /// Container restart rules (1.34, alpha), as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub restart_policy_rules: Option<Vec<Any>>,
            /// Volume mounts, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub volume_mounts: Option<Vec<Any>>,
            /// Block devices, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub volume_devices: Option<Vec<Any>>,
            /// Liveness probe, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub liveness_probe: Option<Any>,
            /// Readiness probe, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub readiness_probe: Option<Any>,
            /// Startup probe, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub startup_probe: Option<Any>,
            /// Lifecycle hooks, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub lifecycle: Option<Any>,
            /// Termination message path.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub termination_message_path: Option<String>,
            /// `File` or `FallbackToLogsOnError`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub termination_message_policy: Option<String>,
            /// `Always`, `Never` or `IfNotPresent`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image_pull_policy: Option<String>,
            /// Security context, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub security_context: Option<Any>,
            /// Whether stdin is kept open.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stdin: Option<bool>,
            /// Whether stdin closes after the first attach.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stdin_once: Option<bool>,
            /// Whether a TTY is allocated.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub tty: Option<bool>,
            $( $(#[$extra_meta])* pub $extra: $extra_ty, )*
        }
    };
}

container_struct! {
    /// `Container`, every field of Kubernetes 1.29 to 1.34 in Go struct order.
    Container {}
}

container_struct! {
    /// `EphemeralContainer`: the `Container` fields (ports are rejected) plus a target.
    EphemeralContainer {
        /// The container whose namespaces the ephemeral container joins.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target_container_name: Option<String>,
    }
}

/// `ContainerPort`: a port a container listens on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    /// Port name (IANA service name syntax), for named ports in policies and services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Port exposed on the node (0 or absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    /// Port on the pod's address, 1 to 65535.
    #[serde(default)]
    pub container_port: i32,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Node address the host port binds to.
    #[serde(default, rename = "hostIP", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
}

impl ContainerPort {
    /// The protocol, defaulted to `TCP`.
    #[must_use]
    pub fn protocol_or_default(&self) -> &str {
        self.protocol
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("TCP")
    }
}

/// `PodStatus`, every field of Kubernetes 1.29 to 1.34 in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodStatus {
    /// Generation the status reflects (1.33+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Conditions, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Any>>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Node the pod may preempt onto.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominated_node_name: Option<String>,
    /// Primary address of the node.
    #[serde(default, rename = "hostIP", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// Node addresses, one per family.
    #[serde(default, rename = "hostIPs", skip_serializing_if = "Option::is_none")]
    pub host_ips: Option<Vec<HostIp>>,
    /// Primary address of the pod.
    #[serde(default, rename = "podIP", skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<String>,
    /// Pod addresses, one per family; the first equals `podIP`.
    #[serde(default, rename = "podIPs", skip_serializing_if = "Option::is_none")]
    pub pod_ips: Option<Vec<PodIp>>,
    /// Start time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Init container statuses, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_container_statuses: Option<Vec<Any>>,
    /// Container statuses, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_statuses: Option<Vec<Any>>,
    /// `Guaranteed`, `Burstable` or `BestEffort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos_class: Option<String>,
    /// Ephemeral container statuses, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_container_statuses: Option<Vec<Any>>,
    /// Resize status (deprecated in 1.33).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resize: Option<String>,
    /// Resource claim statuses, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_statuses: Option<Vec<Any>>,
    /// Extended resource claim status (1.34), as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_resource_claim_status: Option<Any>,
}

impl PodStatus {
    /// The pod's addresses: `podIPs`, or `podIP` when `podIPs` is empty.
    #[must_use]
    pub fn addresses(&self) -> Vec<&str> {
        let ips: Vec<&str> = self
            .pod_ips
            .iter()
            .flatten()
            .map(|p| p.ip.as_str())
            .collect();
        if ips.is_empty() {
            self.pod_ip.as_deref().into_iter().collect()
        } else {
            ips
        }
    }
}

/// `PodIP`: one pod address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodIp {
    /// The address.
    #[serde(default)]
    pub ip: String,
}

/// `HostIP`: one node address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostIp {
    /// The address.
    #[serde(default)]
    pub ip: String,
}

/// Validates a Pod document: metadata, spec and the addresses in its status.
pub fn validate_pod(pod: &Pod, report: &mut Report) {
    let root = FieldPath::root();
    validate_meta(
        &pod.metadata,
        &root.key("metadata"),
        NameRule::Subdomain,
        true,
        report,
    );
    validate_pod_spec(&pod.spec, &root.key("spec"), report);
    if let Some(status) = &pod.status {
        validate_pod_status(status, &root.key("status"), report);
    }
}

/// Validates a pod spec at `path` (a Pod's `spec` or a template's `spec`): names and ports.
pub fn validate_pod_spec(spec: &PodSpec, path: &FieldPath, report: &mut Report) {
    if spec.containers.is_empty() {
        report.error(path.key("containers"), "a pod needs at least one container");
    }
    let host_network = spec.uses_host_network();
    let groups: [(&str, Vec<&Container>); 2] = [
        (
            "initContainers",
            spec.init_containers.iter().flatten().collect(),
        ),
        ("containers", spec.containers.iter().collect()),
    ];
    let mut names = BTreeSet::new();
    let mut port_names: BTreeMap<&str, (&str, i32, &str)> = BTreeMap::new();
    let mut host_ports = BTreeSet::new();
    for (field, containers) in &groups {
        for (i, c) in containers.iter().enumerate() {
            let at = path.key(field).index(i);
            container_name(&c.name, &at.key("name"), &mut names, report);
            let mut local_names = BTreeSet::new();
            for (j, port) in c.ports.iter().flatten().enumerate() {
                let pat = at.key("ports").index(j);
                container_port(port, &pat, host_network, report);
                if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
                    let here = (
                        c.name.as_str(),
                        port.container_port,
                        port.protocol_or_default(),
                    );
                    if !local_names.insert(name) {
                        report.error(
                            pat.key("name"),
                            format!("port name `{name}` is used twice in this container"),
                        );
                    } else if let Some((other, num, proto)) = port_names.get(name) {
                        if (*num, *proto) != (here.1, here.2) {
                            report.warn(
                                pat.key("name"),
                                format!(
                                    "port name `{name}` is also used by container `{other}` for {num}/{proto}, so policies naming it match both ports"
                                ),
                            );
                        }
                    } else {
                        port_names.insert(name, here);
                    }
                }
                if let Some(hp) = port.host_port.filter(|p| *p != 0) {
                    let key = (
                        hp,
                        port.protocol_or_default(),
                        port.host_ip.as_deref().unwrap_or_default(),
                    );
                    if !host_ports.insert(key) {
                        report.error(
                            pat.key("hostPort"),
                            format!(
                                "host port {hp}/{} is already used by another container of the pod",
                                key.1
                            ),
                        );
                    }
                }
            }
        }
    }
    for (i, c) in spec.ephemeral_containers.iter().flatten().enumerate() {
        let at = path.key("ephemeralContainers").index(i);
        container_name(&c.name, &at.key("name"), &mut names, report);
        if c.ports.as_ref().is_some_and(|p| !p.is_empty()) {
            report.error(at.key("ports"), "ephemeral containers cannot have ports");
        }
    }
    one_of(
        spec.restart_policy.as_deref(),
        &["Always", "OnFailure", "Never"],
        &path.key("restartPolicy"),
        report,
    );
    one_of(
        spec.dns_policy.as_deref(),
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        &path.key("dnsPolicy"),
        report,
    );
    validate_ref_name(
        spec.service_account_name.as_deref(),
        NameRule::Subdomain,
        &path.key("serviceAccountName"),
        report,
    );
    validate_ref_name(
        spec.service_account.as_deref(),
        NameRule::Subdomain,
        &path.key("serviceAccount"),
        report,
    );
    if let (Some(old), Some(new)) = (&spec.service_account, &spec.service_account_name)
        && !old.is_empty()
        && !new.is_empty()
        && old != new
    {
        report.warn(
            path.key("serviceAccount"),
            format!("deprecated `serviceAccount` `{old}` differs from `serviceAccountName` `{new}`, which wins"),
        );
    }
    validate_ref_name(
        spec.node_name.as_deref(),
        NameRule::Subdomain,
        &path.key("nodeName"),
        report,
    );
    validate_ref_name(
        spec.hostname.as_deref(),
        NameRule::Label,
        &path.key("hostname"),
        report,
    );
    validate_ref_name(
        spec.subdomain.as_deref(),
        NameRule::Label,
        &path.key("subdomain"),
        report,
    );
    validate_ref_name(
        spec.hostname_override.as_deref(),
        NameRule::Subdomain,
        &path.key("hostnameOverride"),
        report,
    );
    if let Some(sel) = &spec.node_selector {
        validate_labels(sel, &path.key("nodeSelector"), report);
    }
}

fn container_name<'a>(
    name: &'a str,
    path: &FieldPath,
    seen: &mut BTreeSet<&'a str>,
    report: &mut Report,
) {
    if name.is_empty() {
        report.error(path.clone(), "a container name is required");
    } else if let Some(p) = super::name_problem(name, NameRule::Label) {
        report.error(
            path.clone(),
            p.replacen("invalid name", "invalid container name", 1),
        );
    } else if !seen.insert(name) {
        report.error(
            path.clone(),
            format!("container name `{name}` is used twice in the pod"),
        );
    }
}

fn container_port(port: &ContainerPort, path: &FieldPath, host_network: bool, report: &mut Report) {
    if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
        validate_port_name(name, &path.key("name"), report);
    }
    if port.container_port == 0 {
        report.error(path.key("containerPort"), "`containerPort` is required");
    } else {
        validate_port_number(port.container_port, &path.key("containerPort"), report);
    }
    if let Some(hp) = port.host_port.filter(|p| *p != 0) {
        validate_port_number(hp, &path.key("hostPort"), report);
        if host_network && hp != port.container_port {
            report.error(
                path.key("hostPort"),
                format!(
                    "with `hostNetwork: true`, hostPort `{hp}` must equal containerPort `{}`",
                    port.container_port
                ),
            );
        }
    }
    // An empty protocol is defaulted to TCP.
    let protocol = port.protocol.as_deref().filter(|p| !p.is_empty());
    validate_protocol(protocol, &path.key("protocol"), report);
    if let Some(ip) = port.host_ip.as_deref().filter(|s| !s.is_empty())
        && parse_ip(ip).is_none()
    {
        report.error(
            path.key("hostIP"),
            format!("`{ip}` is not a valid IP address"),
        );
    }
}

/// Reports a value that is not one of `allowed` (empty values are defaulted, so accepted).
pub(crate) fn one_of(value: Option<&str>, allowed: &[&str], path: &FieldPath, report: &mut Report) {
    if let Some(v) = value
        && !v.is_empty()
        && !allowed.contains(&v)
    {
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        report.error(
            path.clone(),
            format!("unsupported value `{v}`: use one of {list}"),
        );
    }
}

/// Checks a primary address and its per-family list (`podIP`/`podIPs`, `hostIP`/`hostIPs`).
fn address_pair(
    primary: Option<&str>,
    list: &[&str],
    path: &FieldPath,
    names: (&str, &str),
    report: &mut Report,
) {
    if let Some(ip) = primary.filter(|s| !s.is_empty())
        && parse_ip(ip).is_none()
    {
        report.error(
            path.key(names.0),
            format!("`{ip}` is not a valid IP address"),
        );
    }
    let mut families = BTreeSet::new();
    for (i, ip) in list.iter().enumerate() {
        let at = path.key(names.1).index(i).key("ip");
        match parse_ip(ip) {
            None => report.error(at, format!("`{ip}` is not a valid IP address")),
            Some(addr) => {
                if !families.insert(matches!(addr, IpAddr::V4(_))) {
                    report.error(
                        at,
                        format!("`{ip}` is a second address of the same IP family"),
                    );
                }
            }
        }
    }
    if let (Some(p), Some(first)) = (primary.filter(|s| !s.is_empty()), list.first())
        && p != *first
    {
        report.error(
            path.key(names.1).index(0).key("ip"),
            format!(
                "the first of `{}` must equal `{}` (`{p}`), not `{first}`",
                names.1, names.0
            ),
        );
    }
}

fn validate_pod_status(status: &PodStatus, path: &FieldPath, report: &mut Report) {
    let pod_ips: Vec<&str> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.as_str())
        .collect();
    address_pair(
        status.pod_ip.as_deref(),
        &pod_ips,
        path,
        ("podIP", "podIPs"),
        report,
    );
    let host_ips: Vec<&str> = status
        .host_ips
        .iter()
        .flatten()
        .map(|p| p.ip.as_str())
        .collect();
    address_pair(
        status.host_ip.as_deref(),
        &host_ips,
        path,
        ("hostIP", "hostIPs"),
        report,
    );
}
