//! `networking.k8s.io/v1` NetworkPolicy, with the API server's validation rules.
//!
//! Absent and empty are kept apart wherever Kubernetes gives them different meanings:
//! `ingress: []` and no `ingress` both allow nothing, but `from: []` and no `from` both allow
//! every source while `podSelector: {}` (every pod) differs from no `podSelector` (no pod
//! restriction); round-tripping keeps what the author wrote.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::core::{NameRule, validate_meta};
use crate::meta::{LabelSelector, ObjectMeta};
use crate::rule::PolicyType;
use crate::validate::Report;
use crate::validate::names::{is_port_name, label_key_problem, label_value_problem};
use crate::yaml::FieldPath;

/// `intstr.IntOrString`: a number or a string, as in ports and target ports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrString {
    /// A number.
    Int(i32),
    /// A string (a port name; percentages elsewhere).
    Str(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(n) => write!(f, "{n}"),
            IntOrString::Str(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(n) => s.serialize_i32(*n),
            IntOrString::Str(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IntOrStringVisitor;
        impl Visitor<'_> for IntOrStringVisitor {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("number {v} does not fit in 32 bits")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("number {v} does not fit in 32 bits")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::Str(v.to_string()))
            }
        }
        d.deserialize_any(IntOrStringVisitor)
    }
}

/// A Kubernetes `NetworkPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// `networking.k8s.io/v1`.
    pub api_version: String,
    /// `NetworkPolicy`.
    pub kind: String,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    #[serde(default)]
    pub spec: NetworkPolicySpec,
    /// Status (removed from the API in 1.28; kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

impl NetworkPolicy {
    /// The API group and version.
    pub const API_VERSION: &'static str = "networking.k8s.io/v1";
    /// The kind name.
    pub const KIND: &'static str = "NetworkPolicy";

    /// A policy with a namespace and name that selects every pod and has no rules.
    #[must_use]
    pub fn new(namespace: &str, name: &str) -> Self {
        NetworkPolicy {
            api_version: Self::API_VERSION.to_string(),
            kind: Self::KIND.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: namespace.to_string(),
                ..ObjectMeta::default()
            },
            spec: NetworkPolicySpec::default(),
            status: None,
        }
    }
}

/// `NetworkPolicySpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySpec {
    /// Pods of the policy's namespace the policy applies to (`{}`: all of them).
    #[serde(default)]
    pub pod_selector: LabelSelector,
    /// Ingress allow rules (ORed); absent or `[]` allow no ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<NetworkPolicyIngressRule>>,
    /// Egress allow rules (ORed); absent or `[]` allow no egress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<NetworkPolicyEgressRule>>,
    /// Directions governed; absent or empty means defaulted (see [`Self::effective_policy_types`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_types: Option<Vec<PolicyType>>,
}

impl NetworkPolicySpec {
    /// Directions after defaulting: `policyTypes`, else `Ingress` (+ `Egress` with egress rules).
    #[must_use]
    pub fn effective_policy_types(&self) -> Vec<PolicyType> {
        match &self.policy_types {
            Some(types) if !types.is_empty() => types.clone(),
            _ => {
                let mut types = vec![PolicyType::Ingress];
                if self.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                    types.push(PolicyType::Egress);
                }
                types
            }
        }
    }
}

/// One ingress rule: traffic matching both `ports` and `from` is allowed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicyIngressRule {
    /// Destination ports (ORed); absent or `[]` match every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<NetworkPolicyPort>>,
    /// Sources (ORed); absent or `[]` match every source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<NetworkPolicyPeer>>,
}

/// One egress rule: traffic matching both `ports` and `to` is allowed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicyEgressRule {
    /// Destination ports (ORed); absent or `[]` match every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<NetworkPolicyPort>>,
    /// Destinations (ORed); absent or `[]` match every destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<NetworkPolicyPeer>>,
}

/// A peer: pods by selector (in the policy's namespace, or in selected namespaces), or an IP block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicyPeer {
    /// Pods by label (`{}`: all pods; absent: no pod restriction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    /// Namespaces by label (`{}`: all namespaces; absent: the policy's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Addresses; cannot be combined with the selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// `IPBlock`: a CIDR minus some CIDRs inside it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpBlock {
    /// The block (`10.0.0.0/16`, `2001:db8::/64`).
    #[serde(default)]
    pub cidr: String,
    /// CIDRs strictly inside `cidr` to leave out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<Vec<String>>,
}

/// A port (or port range) and protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicyPort {
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// A port number or a named container port; absent: every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    /// Last port of a range starting at a numeric `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i32>,
}

/// Whether `selector` matches `labels` (empty matches all; unknown operators match nothing).
#[must_use]
pub fn label_selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = selector.match_expressions.iter().flatten().all(|req| {
        let values = req.values.as_deref().unwrap_or_default();
        let value = labels.get(&req.key);
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// Whether a label selector has no requirement at all (it selects everything).
#[must_use]
pub fn label_selector_is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// Validates a whole NetworkPolicy document (paths from the document root).
pub fn validate_network_policy(np: &NetworkPolicy, report: &mut Report) {
    validate_meta(
        &np.metadata,
        &FieldPath::root().key("metadata"),
        NameRule::Subdomain,
        true,
        report,
    );
    validate_network_policy_spec(&np.spec, &FieldPath::root().key("spec"), report);
}

/// Validates a NetworkPolicy spec found at `path`.
pub fn validate_network_policy_spec(
    spec: &NetworkPolicySpec,
    path: &FieldPath,
    report: &mut Report,
) {
    validate_label_selector(&spec.pod_selector, &path.key("podSelector"), report);
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        validate_ingress_rule(rule, &path.key("ingress").index(i), report);
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        validate_egress_rule(rule, &path.key("egress").index(i), report);
    }
    let types = spec.policy_types.as_deref().unwrap_or_default();
    validate_policy_types(types, &path.key("policyTypes"), report);
    if !types.is_empty() {
        let ignored = |rules: usize, t: PolicyType| rules > 0 && !types.contains(&t);
        if ignored(
            spec.ingress.as_ref().map_or(0, Vec::len),
            PolicyType::Ingress,
        ) {
            report.warn(
                path.key("ingress"),
                "ingress rules have no effect: `policyTypes` does not include `Ingress`",
            );
        }
        if ignored(spec.egress.as_ref().map_or(0, Vec::len), PolicyType::Egress) {
            report.warn(
                path.key("egress"),
                "egress rules have no effect: `policyTypes` does not include `Egress`",
            );
        }
    }
}

/// Checks `policyTypes` for duplicates (the type admits only `Ingress` and `Egress`).
pub fn validate_policy_types(types: &[PolicyType], path: &FieldPath, report: &mut Report) {
    for (i, t) in types.iter().enumerate() {
        if types[..i].contains(t) {
            report.error(
                path.index(i),
                format!("policy type `{t:?}` is listed twice"),
            );
        }
    }
}

/// Validates one ingress rule at `path`.
pub fn validate_ingress_rule(
    rule: &NetworkPolicyIngressRule,
    path: &FieldPath,
    report: &mut Report,
) {
    for (i, port) in rule.ports.iter().flatten().enumerate() {
        validate_port(port, &path.key("ports").index(i), report);
    }
    for (i, peer) in rule.from.iter().flatten().enumerate() {
        validate_peer(peer, &path.key("from").index(i), report);
    }
}

/// Validates one egress rule at `path`.
pub fn validate_egress_rule(rule: &NetworkPolicyEgressRule, path: &FieldPath, report: &mut Report) {
    for (i, port) in rule.ports.iter().flatten().enumerate() {
        validate_port(port, &path.key("ports").index(i), report);
    }
    for (i, peer) in rule.to.iter().flatten().enumerate() {
        validate_peer(peer, &path.key("to").index(i), report);
    }
}

/// Checks a protocol name: `TCP`, `UDP` or `SCTP`, case-sensitively.
pub(crate) fn validate_protocol(protocol: Option<&str>, path: &FieldPath, report: &mut Report) {
    if let Some(p) = protocol
        && !matches!(p, "TCP" | "UDP" | "SCTP")
    {
        report.error(
            path.clone(),
            format!("unsupported protocol `{p}`: use `TCP`, `UDP` or `SCTP`"),
        );
    }
}

/// Checks a port number: 1 to 65535.
pub(crate) fn validate_port_number(n: i32, path: &FieldPath, report: &mut Report) {
    if !(1..=65535).contains(&n) {
        report.error(
            path.clone(),
            format!("port `{n}` is out of range: it must be 1 to 65535"),
        );
    }
}

/// Checks a port name (IANA service name syntax).
pub(crate) fn validate_port_name(name: &str, path: &FieldPath, report: &mut Report) {
    if is_port_name(name) {
        return;
    }
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        report.error(
            path.clone(),
            format!("`{name}` is a quoted number, which Kubernetes reads as a port name and rejects: write the port without quotes"),
        );
    } else {
        report.error(
            path.clone(),
            format!(
                "invalid port name `{name}`: at most 15 lower-case letters, digits and `-`, with at least one letter and no leading, trailing or doubled `-`"
            ),
        );
    }
}

/// Checks a number-or-name port: a port number, or a port name.
pub(crate) fn validate_port_num_or_name(port: &IntOrString, path: &FieldPath, report: &mut Report) {
    match port {
        IntOrString::Int(n) => validate_port_number(*n, path, report),
        IntOrString::Str(s) => validate_port_name(s, path, report),
    }
}

fn validate_port(port: &NetworkPolicyPort, path: &FieldPath, report: &mut Report) {
    validate_protocol(port.protocol.as_deref(), &path.key("protocol"), report);
    if let Some(p) = &port.port {
        validate_port_num_or_name(p, &path.key("port"), report);
    }
    let Some(end) = port.end_port else { return };
    let at = path.key("endPort");
    match &port.port {
        None => report.error(at, "`endPort` needs a numeric `port` to start the range"),
        Some(IntOrString::Str(_)) => {
            report.error(at, "`endPort` cannot be used with a named `port`")
        }
        Some(IntOrString::Int(start)) => {
            if !(1..=65535).contains(&end) {
                report.error(
                    at,
                    format!("endPort `{end}` is out of range: it must be 1 to 65535"),
                );
            } else if end < *start {
                report.error(at, format!("endPort `{end}` is below port `{start}`"));
            }
        }
    }
}

fn validate_peer(peer: &NetworkPolicyPeer, path: &FieldPath, report: &mut Report) {
    let set = usize::from(peer.pod_selector.is_some())
        + usize::from(peer.namespace_selector.is_some())
        + usize::from(peer.ip_block.is_some());
    if set == 0 {
        report.error(
            path.clone(),
            "a peer must set `podSelector`, `namespaceSelector` or `ipBlock`",
        );
    } else if set > 1 && peer.ip_block.is_some() {
        report.error(
            path.clone(),
            "`ipBlock` cannot be combined with `podSelector` or `namespaceSelector` in one peer",
        );
    }
    if let Some(sel) = &peer.pod_selector {
        validate_label_selector(sel, &path.key("podSelector"), report);
    }
    if let Some(sel) = &peer.namespace_selector {
        validate_label_selector(sel, &path.key("namespaceSelector"), report);
    }
    if let Some(block) = &peer.ip_block {
        validate_ip_block(block, &path.key("ipBlock"), report);
    }
}

/// Parses a CIDR as Kubernetes does (a bare address is not a CIDR).
pub(crate) fn parse_k8s_cidr(s: &str) -> Option<ipnet::IpNet> {
    if s.contains('/') {
        s.parse().ok()
    } else {
        None
    }
}

fn validate_ip_block(block: &IpBlock, path: &FieldPath, report: &mut Report) {
    let at = path.key("cidr");
    if block.cidr.is_empty() {
        report.error(at, "`cidr` is required");
        return;
    }
    let Some(cidr) = parse_k8s_cidr(&block.cidr) else {
        report.error(
            at,
            format!(
                "`{}` is not a valid CIDR such as `10.0.0.0/16` or `2001:db8::/64`",
                block.cidr
            ),
        );
        return;
    };
    if cidr.trunc() != cidr {
        report.warn(
            at,
            format!("`{cidr}` has host bits set; it means `{}`", cidr.trunc()),
        );
    }
    let cidr = cidr.trunc();
    for (i, text) in block.except.iter().flatten().enumerate() {
        let at = path.key("except").index(i);
        let Some(except) = parse_k8s_cidr(text) else {
            report.error(
                at,
                format!("`{text}` is not a valid CIDR such as `10.0.1.0/24`"),
            );
            continue;
        };
        let except = except.trunc();
        let same_family = matches!(
            (cidr, except),
            (ipnet::IpNet::V4(_), ipnet::IpNet::V4(_)) | (ipnet::IpNet::V6(_), ipnet::IpNet::V6(_))
        );
        if !same_family {
            report.error(
                at,
                format!(
                    "except `{text}` is not in the same IP family as cidr `{}`",
                    block.cidr
                ),
            );
        } else if !cidr.contains(&except.network()) || except.prefix_len() <= cidr.prefix_len() {
            report.error(
                at,
                format!(
                    "except `{text}` must be strictly inside cidr `{}`",
                    block.cidr
                ),
            );
        }
    }
}

/// Validates a label selector at `path`: keys, values, and operators with their values.
pub fn validate_label_selector(selector: &LabelSelector, path: &FieldPath, report: &mut Report) {
    if let Some(labels) = &selector.match_labels {
        super::core::validate_labels(labels, &path.key("matchLabels"), report);
    }
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let at = path.key("matchExpressions").index(i);
        if let Some(p) = label_key_problem(&req.key) {
            report.error(at.key("key"), p);
        }
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => report.error(
                at.key("values"),
                format!("operator `{}` needs at least one value", req.operator),
            ),
            "Exists" | "DoesNotExist" if !values.is_empty() => report.error(
                at.key("values"),
                format!("operator `{}` takes no values", req.operator),
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            op => report.error(
                at.key("operator"),
                format!("unknown operator `{op}`: use `In`, `NotIn`, `Exists` or `DoesNotExist`"),
            ),
        }
        for (j, v) in values.iter().enumerate() {
            if let Some(p) = label_value_problem(v) {
                report.error(at.key("values").index(j), p);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
