//! The Kubernetes e2e NetworkPolicy corpus (`../shared/conformance/k8s-e2e/`): its format, and
//! the manifests of its pod and namespace model, shared by the engine test and the live lab.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One case file.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    /// `14-ports`.
    pub id: String,
    /// The pods and namespaces.
    pub model: CaseModel,
    /// The steps, in order.
    pub steps: Vec<CaseStep>,
    #[serde(flatten)]
    _rest: BTreeMap<String, serde_json::Value>,
}

/// The topology of a case.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseModel {
    /// `x`, `y`, `z`.
    pub namespaces: Vec<String>,
    /// `ns/pod`, in matrix order.
    pub pods: Vec<String>,
    /// Ports served.
    pub ports: Vec<u16>,
    /// Protocols served.
    pub protocols: Vec<String>,
    /// Labels per namespace.
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Labels per pod.
    pub pod_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Container ports every pod has.
    pub container_ports: Vec<ContainerPort>,
    /// Pod addresses.
    pub pod_ips: BTreeMap<String, String>,
}

/// A container port.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// `serve-80-tcp`.
    pub name: String,
    /// Port.
    pub container_port: u16,
    /// `TCP`, `UDP`, `SCTP`.
    pub protocol: String,
}

/// One step.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseStep {
    /// 1-based.
    pub step: u32,
    /// `create-policy`, `update-policy`, `delete-all-policies`, `add-namespace-labels`,
    /// `add-pod-labels`, `probe`.
    pub action: String,
    /// The policy of a create/update.
    #[serde(default)]
    pub policy: Option<serde_json::Value>,
    /// Namespace of a label change.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Pod of a label change.
    #[serde(default)]
    pub pod: Option<String>,
    /// Labels to merge.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Probe port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Probe protocol.
    #[serde(default)]
    pub protocol: Option<String>,
    /// Expectation for the case's own pods.
    #[serde(default)]
    pub expect: Option<Expectation>,
    /// Expectation for all nine pods.
    #[serde(default)]
    pub full_model_expect: Option<Expectation>,
}

/// Which pairs must be denied.
#[derive(Clone, Debug, Deserialize)]
pub struct Expectation {
    /// `[from, to]` pairs.
    pub denied: Vec<(String, String)>,
    #[serde(flatten)]
    _rest: BTreeMap<String, serde_json::Value>,
}

/// The index file (the nine-pod address plan).
#[derive(Clone, Debug, Deserialize)]
pub struct Index {
    /// Addresses of all nine pods.
    pub pod_ips: BTreeMap<String, String>,
    /// The cases.
    pub cases: Vec<IndexEntry>,
    #[serde(flatten)]
    _rest: BTreeMap<String, serde_json::Value>,
}

/// One case in the index.
#[derive(Clone, Debug, Deserialize)]
pub struct IndexEntry {
    /// Case id.
    pub id: String,
    /// File name.
    pub file: String,
    #[serde(flatten)]
    _rest: BTreeMap<String, serde_json::Value>,
}

/// Reads the index and every case.
#[must_use]
pub fn load() -> (Index, Vec<Case>) {
    let index: Index = crate::read_yaml("conformance/k8s-e2e/index.yaml");
    let cases = index
        .cases
        .iter()
        .map(|c| crate::read_yaml(&format!("conformance/k8s-e2e/{}", c.file)))
        .collect();
    (index, cases)
}

/// Which topology of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// The case's own pods.
    Case,
    /// All nine pods x/a ... z/c.
    Full,
}

impl CaseModel {
    /// The pods of a topology, in matrix order.
    #[must_use]
    pub fn pods_for(&self, topology: Topology) -> Vec<String> {
        match topology {
            Topology::Case => self.pods.clone(),
            Topology::Full => ["x", "y", "z"]
                .iter()
                .flat_map(|ns| ["a", "b", "c"].iter().map(move |p| format!("{ns}/{p}")))
                .collect(),
        }
    }

    /// The manifest of a pod (labels as given, every container port, the planned address).
    #[must_use]
    pub fn pod_yaml(
        &self,
        pod: &str,
        labels: &BTreeMap<String, String>,
        ip: &str,
        node: &str,
    ) -> String {
        let (ns, name) = pod.split_once('/').expect("ns/pod");
        let ports: Vec<String> = self
            .container_ports
            .iter()
            .map(|p| {
                format!(
                    "{{name: {}, containerPort: {}, protocol: {}}}",
                    p.name, p.container_port, p.protocol
                )
            })
            .collect();
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k:?}: {v:?}"))
            .collect();
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{{}}}}}\nspec:\n  nodeName: {node}\n  containers: [{{name: server, image: agnhost, ports: [{}]}}]\nstatus: {{podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n",
            labels.join(", "),
            ports.join(", ")
        )
    }

    /// The manifest of a namespace.
    #[must_use]
    pub fn namespace_yaml(ns: &str, labels: &BTreeMap<String, String>) -> String {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k:?}: {v:?}"))
            .collect();
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{{}}}}}\n",
            labels.join(", ")
        )
    }
}

/// The protocol number of a corpus protocol name.
#[must_use]
pub fn protocol_number(p: &str) -> u8 {
    match p {
        "UDP" => 17,
        "SCTP" => 132,
        _ => 6,
    }
}
