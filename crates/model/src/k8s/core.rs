//! `v1` Namespace, ServiceAccount, Service and Pod, with the API server's validation rules for
//! the parts that matter to policy (names, labels, ports, addresses).
//!
//! Pods and Services live in submodules and are re-exported here, so every type is reachable
//! as `crate::k8s::core::Name`.

mod pod;
mod service;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::network_policy::IntOrString;
pub use pod::{
    Container, ContainerPort, EphemeralContainer, HostIp, Pod, PodIp, PodSpec, PodStatus,
    PodTemplateSpec, validate_pod, validate_pod_spec,
};
pub use service::{
    LoadBalancerIngress, LoadBalancerStatus, PortStatus, Service, ServicePort, ServiceSpec,
    ServiceStatus, validate_service,
};

use crate::meta::ObjectMeta;
use crate::validate::Report;
use crate::validate::names::{
    is_dns1123_label, is_dns1123_subdomain, label_key_problem, label_value_problem,
};
use crate::yaml::FieldPath;

/// A Kubernetes `Namespace`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Namespace {
    /// `v1`.
    pub api_version: String,
    /// `Namespace`.
    pub kind: String,
    /// Metadata; the labels are what `namespaceSelector`s match.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<NamespaceSpec>,
    /// Status, written by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NamespaceStatus>,
}

impl Namespace {
    /// The API version.
    pub const API_VERSION: &'static str = "v1";
    /// The kind name.
    pub const KIND: &'static str = "Namespace";

    /// A namespace with a name.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Namespace {
            api_version: Self::API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            spec: None,
            status: None,
        }
    }

    /// The labels Kubernetes gives the namespace: its own, plus `kubernetes.io/metadata.name`
    /// set to its name (the API server sets that label on every namespace since 1.21).
    #[must_use]
    pub fn effective_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.metadata.labels.clone();
        if !self.metadata.name.is_empty() {
            labels.insert(NAMESPACE_NAME_LABEL.to_string(), self.metadata.name.clone());
        }
        labels
    }
}

/// The label the API server sets on every namespace to its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// `NamespaceSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSpec {
    /// Finalizers that must run before the namespace is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalizers: Option<Vec<String>>,
}

/// `NamespaceStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceStatus {
    /// `Active` or `Terminating`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Conditions, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<serde_json::Value>>,
}

/// A Kubernetes `ServiceAccount` (Calico exposes its labels to `serviceAccountSelector`s).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    /// `v1`.
    pub api_version: String,
    /// `ServiceAccount`.
    pub kind: String,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Secrets pods running as this account may use (legacy token secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<ObjectReference>>,
    /// Image pull secrets added to pods running as this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    /// Whether pods get an API token mounted by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
}

impl ServiceAccount {
    /// The API version.
    pub const API_VERSION: &'static str = "v1";
    /// The kind name.
    pub const KIND: &'static str = "ServiceAccount";

    /// A service account with a namespace and name.
    #[must_use]
    pub fn new(namespace: &str, name: &str) -> Self {
        ServiceAccount {
            api_version: Self::API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: namespace.to_string(),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        }
    }
}

/// `LocalObjectReference`: an object in the same namespace, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalObjectReference {
    /// The object's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `ObjectReference`: any object, by kind, namespace and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectReference {
    /// Kind of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Namespace of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// UID of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// API version of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Resource version of the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// A field within the referent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
}

/// Which syntax a kind's names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameRule {
    /// DNS-1123 label (namespaces).
    Label,
    /// DNS-1123 subdomain (most kinds).
    Subdomain,
    /// DNS-1035 label (services).
    Dns1035,
}

/// DNS-1035 label: a DNS-1123 label that starts with a letter (service names).
#[must_use]
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// Why `name` breaks `rule`, or `None`.
pub(crate) fn name_problem(name: &str, rule: NameRule) -> Option<String> {
    let ok = match rule {
        NameRule::Label => is_dns1123_label(name),
        NameRule::Subdomain => is_dns1123_subdomain(name),
        NameRule::Dns1035 => is_dns1035_label(name),
    };
    if ok {
        return None;
    }
    Some(match rule {
        NameRule::Label => format!(
            "invalid name `{name}`: it must be a DNS-1123 label (at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit)"
        ),
        NameRule::Subdomain => format!(
            "invalid name `{name}`: it must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit)"
        ),
        NameRule::Dns1035 => format!(
            "invalid name `{name}`: it must be a DNS-1035 label (at most 63 lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit)"
        ),
    })
}

/// Checks metadata at `path`: name by `rule`, namespace by scope, labels and annotation keys.
pub(crate) fn validate_meta(
    meta: &ObjectMeta,
    path: &FieldPath,
    rule: NameRule,
    namespaced: bool,
    report: &mut Report,
) {
    if meta.name.is_empty() {
        if meta.generate_name.is_empty() {
            report.error(path.key("name"), "a name is required");
        }
    } else if let Some(p) = name_problem(&meta.name, rule) {
        report.error(path.key("name"), p);
    }
    if namespaced {
        if !meta.namespace.is_empty() && !is_dns1123_label(&meta.namespace) {
            report.error(
                path.key("namespace"),
                format!(
                    "invalid namespace `{}`: it must be a DNS-1123 label",
                    meta.namespace
                ),
            );
        }
    } else if !meta.namespace.is_empty() {
        report.warn(
            path.key("namespace"),
            "this kind is cluster-scoped, so `namespace` is ignored",
        );
    }
    validate_labels(&meta.labels, &path.key("labels"), report);
    for k in meta.annotations.keys() {
        if let Some(p) = label_key_problem(&k.to_ascii_lowercase()) {
            report.error(
                path.key("annotations").key(k),
                p.replace("label key", "annotation key"),
            );
        }
    }
}

/// Checks label keys and values under `path`.
pub(crate) fn validate_labels(
    labels: &BTreeMap<String, String>,
    path: &FieldPath,
    report: &mut Report,
) {
    for (k, v) in labels {
        if let Some(p) = label_key_problem(k) {
            report.error(path.key(k), p);
        }
        if let Some(p) = label_value_problem(v) {
            report.error(path.key(k), p);
        }
    }
}

/// Checks a name reference (`serviceAccountName`, `nodeName`, ...) against `rule`.
pub(crate) fn validate_ref_name(
    name: Option<&str>,
    rule: NameRule,
    path: &FieldPath,
    report: &mut Report,
) {
    if let Some(n) = name
        && !n.is_empty()
        && let Some(p) = name_problem(n, rule)
    {
        report.error(path.clone(), p.replacen("invalid name", "invalid value", 1));
    }
}

/// Validates a Namespace document: a DNS-1123 label name and its labels.
pub fn validate_namespace(ns: &Namespace, report: &mut Report) {
    let meta = FieldPath::root().key("metadata");
    validate_meta(&ns.metadata, &meta, NameRule::Label, false, report);
    if let Some(v) = ns.metadata.labels.get(NAMESPACE_NAME_LABEL)
        && !ns.metadata.name.is_empty()
        && *v != ns.metadata.name
    {
        report.warn(
            meta.key("labels").key(NAMESPACE_NAME_LABEL),
            format!(
                "the API server sets this label to the namespace name, so `{v}` will be replaced by `{}`",
                ns.metadata.name
            ),
        );
    }
}

/// Validates a ServiceAccount document: a DNS-1123 subdomain name and labels.
pub fn validate_service_account(sa: &ServiceAccount, report: &mut Report) {
    validate_meta(
        &sa.metadata,
        &FieldPath::root().key("metadata"),
        NameRule::Subdomain,
        true,
        report,
    );
}

#[cfg(test)]
mod tests;
