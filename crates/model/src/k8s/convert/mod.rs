//! Kubernetes -> Calico conversions, as Calico's `libcalico-go` k8s backend performs them:
//! NetworkPolicy -> Calico NetworkPolicy, Namespace and ServiceAccount -> Profile, Pod ->
//! WorkloadEndpoint, and label selectors -> Calico selector text.
//!
//! The output strings are byte-compatible with Calico's (the conformance vectors in
//! `shared/conformance/k8s-conversion` compare them as strings). Every function is pure.

mod network_policy;
mod pod;
mod ports;
mod profiles;
mod selectors;

pub use network_policy::{
    Conversion, DroppedRule, K8sRule, PeerFields, StagedConversion, k8s_name_of_knp, knp_name,
    network_policy_to_calico, peer_to_calico_fields, staged_k8s_policy_to_calico,
};
pub use pod::{
    interface_name, is_finished, pod_addresses, pod_to_workload_endpoint, workload_pod_labels,
};
pub use ports::{port_from_string, protocol_from_string, simplify_ports};
pub use profiles::{
    convert_uid, namespace_to_profile, parse_namespace_profile_name,
    parse_service_account_profile_name, service_account_profile_name, service_account_to_profile,
};
pub use selectors::{SelectorTarget, label_selector_to_calico};

/// Prefix of namespace labels inherited through `kns.` profiles (`pcns.`).
pub const NAMESPACE_LABEL_PREFIX: &str = "pcns.";
/// Prefix of namespace-backed profile names (`kns.`).
pub const NAMESPACE_PROFILE_PREFIX: &str = "kns.";
/// Prefix of service-account labels inherited through `ksa.` profiles (`pcsa.`).
pub const SERVICE_ACCOUNT_LABEL_PREFIX: &str = "pcsa.";
/// Prefix of service-account-backed profile names (`ksa.`).
pub const SERVICE_ACCOUNT_PROFILE_PREFIX: &str = "ksa.";
/// Label (after the `pcns.`/`pcsa.` prefix) holding the namespace or service-account name.
pub const NAME_LABEL: &str = "projectcalico.org/name";
/// Label Calico puts on every workload endpoint: its namespace.
pub const LABEL_NAMESPACE: &str = "projectcalico.org/namespace";
/// Label Calico puts on every workload endpoint: its orchestrator.
pub const LABEL_ORCHESTRATOR: &str = "projectcalico.org/orchestrator";
/// Label Calico puts on a workload endpoint: its service account (names under 63 bytes).
pub const LABEL_SERVICE_ACCOUNT: &str = "projectcalico.org/serviceaccount";
/// The orchestrator name of Kubernetes workloads.
pub const ORCHESTRATOR_K8S: &str = "k8s";
/// Prefix kube-controllers gives Kubernetes policies it writes to etcd (`knp.default.`).
pub const KNP_NAME_PREFIX: &str = "knp.default.";
/// The tier converted Kubernetes policies are placed in.
pub const KNP_TIER: &str = "default";
/// The order converted Kubernetes policies get.
pub const KNP_ORDER: f64 = 1000.0;
/// Pod annotation the Calico CNI plugin writes with the pod's address.
pub const ANNOTATION_POD_IP: &str = "cni.projectcalico.org/podIP";
/// Pod annotation the Calico CNI plugin writes with the pod's addresses (comma-separated).
pub const ANNOTATION_POD_IPS: &str = "cni.projectcalico.org/podIPs";
/// Pod annotation the Amazon VPC CNI plugin writes with the pod's addresses.
pub const ANNOTATION_AWS_POD_IPS: &str = "vpc.amazonaws.com/pod-ips";
/// Pod annotation holding the container ID.
pub const ANNOTATION_CONTAINER_ID: &str = "cni.projectcalico.org/containerID";
/// Pod annotation listing floating IPs (JSON list).
pub const ANNOTATION_FLOATING_IPS: &str = "cni.projectcalico.org/floatingIPs";
/// Pod annotation listing extra source prefixes the pod may send from (JSON list).
pub const ANNOTATION_ALLOWED_SOURCE_PREFIXES: &str = "cni.projectcalico.org/allowedSourcePrefixes";
/// Pod annotation Multus writes; Calico copies it onto the workload endpoint.
pub const ANNOTATION_NETWORK_STATUS: &str = "k8s.v1.cni.cncf.io/network-status";

#[cfg(test)]
mod tests;
