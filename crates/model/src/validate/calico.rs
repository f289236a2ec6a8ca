//! Validation of Calico objects: metadata (names per kind, labels, annotations) and the specs of
//! the policy-related kinds.

use std::collections::BTreeMap;

use super::Report;
use super::names::{
    is_dns1123_label, is_dns1123_subdomain, label_key_problem, label_value_problem, parse_cidr,
    parse_ip,
};
use super::rules::{RuleContext, rules, selector};
use crate::kinds::endpoints::{HostEndpointSpec, NetworkSetSpec, ProfileSpec, TierSpec};
use crate::kinds::policy::{
    GlobalNetworkPolicySpec, NetworkPolicySpec, PerformanceHint, StagedAction,
    StagedGlobalNetworkPolicySpec, StagedNetworkPolicySpec,
};
use crate::meta::ObjectMeta;
use crate::rule::{Action, PolicyType};
use crate::yaml::FieldPath;

/// Which naming rule a kind's names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// NetworkPolicy: at most one dot, or the `knp.default.`/`ossg.default.` prefixes.
    NamespacedPolicy,
    /// GlobalNetworkPolicy: at most one dot.
    GlobalPolicy,
    /// Tier: a DNS-1123 label (no dots), at most 63 characters.
    Tier,
    /// Everything else: a DNS-1123 subdomain, at most 253 characters.
    Subdomain,
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit (Calico's policy-name label).
fn is_policy_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn name_problem(name: &str, rule: NameRule) -> Option<String> {
    if name.is_empty() {
        return Some("a name is required".into());
    }
    if name.len() > 253 {
        return Some(format!(
            "name is {} characters long; the limit is 253",
            name.len()
        ));
    }
    let ok = match rule {
        NameRule::NamespacedPolicy => {
            let legacy_k8s = ["knp.default.", "ossg.default."]
                .iter()
                .any(|p| name.strip_prefix(p).is_some_and(is_dns1123_subdomain));
            legacy_k8s || policy_name_ok(name)
        }
        NameRule::GlobalPolicy => policy_name_ok(name),
        NameRule::Tier => is_dns1123_label(name),
        NameRule::Subdomain => is_dns1123_subdomain(name),
    };
    if ok {
        return None;
    }
    Some(match rule {
        NameRule::NamespacedPolicy | NameRule::GlobalPolicy => format!(
            "invalid name `{name}`: a policy name is lower-case letters, digits and `-`, with at most one `.` (a tier prefix)"
        ),
        NameRule::Tier => format!(
            "invalid tier name `{name}`: lower-case letters, digits and `-`, no dots, at most 63 characters"
        ),
        NameRule::Subdomain => format!(
            "invalid name `{name}`: lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit"
        ),
    })
}

fn policy_name_ok(name: &str) -> bool {
    let mut parts = name.split('.');
    let first = parts.next().is_some_and(is_policy_label);
    let second = parts.next().is_none_or(is_policy_label);
    first && second && parts.next().is_none()
}

/// Checks labels (Kubernetes syntax) under `path`.
pub fn labels(map: &BTreeMap<String, String>, path: &FieldPath, report: &mut Report) {
    for (k, v) in map {
        if let Some(p) = label_key_problem(k) {
            report.error(path.key(k), p);
        }
        if let Some(p) = label_value_problem(v) {
            report.error(path.key(k), p);
        }
    }
}

/// Checks metadata: the name by `rule`, namespace by scope, labels and annotations.
pub fn object_meta(meta: &ObjectMeta, rule: NameRule, namespaced: bool, report: &mut Report) {
    let at = FieldPath::root().key("metadata");
    if let Some(p) = name_problem(&meta.name, rule) {
        report.error(at.key("name"), p);
    }
    if namespaced {
        if !meta.namespace.is_empty() && !is_dns1123_label(&meta.namespace) {
            report.error(
                at.key("namespace"),
                format!(
                    "invalid namespace `{}`: must be a DNS-1123 label",
                    meta.namespace
                ),
            );
        }
    } else if !meta.namespace.is_empty() {
        report.error(
            at.key("namespace"),
            "this kind is cluster-wide: remove `namespace`",
        );
    }
    labels(&meta.labels, &at.key("labels"), report);
    let mut total = 0;
    for (k, v) in &meta.annotations {
        total += k.len() + v.len();
        if let Some(p) = label_key_problem(&k.to_ascii_lowercase()) {
            report.error(
                at.key("annotations").key(k),
                p.replace("label key", "annotation key"),
            );
        }
    }
    if total > 256 * 1024 {
        report.error(
            at.key("annotations"),
            "annotations may total at most 256 KiB",
        );
    }
}

fn types(list: &[PolicyType], path: &FieldPath, report: &mut Report) {
    for (i, t) in list.iter().enumerate() {
        if list[..i].contains(t) {
            report.error(path.index(i), format!("duplicate policy type `{t:?}`"));
        }
    }
}

fn hints(list: &[PerformanceHint], path: &FieldPath, report: &mut Report) {
    for (i, h) in list.iter().enumerate() {
        if list[..i].contains(h) {
            report.error(path.index(i), format!("duplicate performance hint `{h:?}`"));
        }
    }
}

fn tier_ref(tier: &str, path: &FieldPath, report: &mut Report) {
    if !tier.is_empty() && !is_dns1123_label(tier) {
        report.error(path.clone(), format!("invalid tier name `{tier}`"));
    }
}

/// The parts shared by every policy spec.
struct Common<'a> {
    tier: &'a str,
    selector: &'a str,
    service_account_selector: &'a str,
    types: &'a [PolicyType],
    ingress: &'a [crate::rule::Rule],
    egress: &'a [crate::rule::Rule],
    hints: &'a [PerformanceHint],
}

fn common(c: &Common<'_>, global: bool, report: &mut Report) {
    let spec = FieldPath::root().key("spec");
    tier_ref(c.tier, &spec.key("tier"), report);
    selector(c.selector, &spec.key("selector"), false, report);
    if !c.service_account_selector.is_empty() {
        selector(
            c.service_account_selector,
            &spec.key("serviceAccountSelector"),
            false,
            report,
        );
    }
    types(c.types, &spec.key("types"), report);
    hints(c.hints, &spec.key("performanceHints"), report);
    let (ing, eg) = if global {
        (RuleContext::GlobalIngress, RuleContext::GlobalEgress)
    } else {
        (
            RuleContext::NamespacedIngress,
            RuleContext::NamespacedEgress,
        )
    };
    rules(c.ingress, &spec.key("ingress"), ing, report);
    rules(c.egress, &spec.key("egress"), eg, report);
}

/// Checks a NetworkPolicy spec.
pub fn network_policy_spec(s: &NetworkPolicySpec, report: &mut Report) {
    let c = Common {
        tier: &s.tier,
        selector: &s.selector,
        service_account_selector: &s.service_account_selector,
        types: &s.types,
        ingress: &s.ingress,
        egress: &s.egress,
        hints: &s.performance_hints,
    };
    common(&c, false, report);
}

/// Checks a GlobalNetworkPolicy spec, including the preDNAT/doNotTrack/applyOnForward rules.
pub fn global_network_policy_spec(s: &GlobalNetworkPolicySpec, report: &mut Report) {
    let c = Common {
        tier: &s.tier,
        selector: &s.selector,
        service_account_selector: &s.service_account_selector,
        types: &s.types,
        ingress: &s.ingress,
        egress: &s.egress,
        hints: &s.performance_hints,
    };
    common(&c, true, report);
    let spec = FieldPath::root().key("spec");
    if !s.namespace_selector.is_empty() {
        selector(
            &s.namespace_selector,
            &spec.key("namespaceSelector"),
            false,
            report,
        );
    }
    if s.pre_dnat && s.do_not_track {
        report.error(
            spec.key("preDNAT"),
            "preDNAT and doNotTrack cannot both be true",
        );
    }
    if s.pre_dnat && !s.egress.is_empty() {
        report.error(
            spec.key("egress"),
            "preDNAT policy cannot have any egress rules",
        );
    }
    if s.pre_dnat && s.types.contains(&PolicyType::Egress) {
        report.error(
            spec.key("types"),
            "preDNAT policy cannot have 'Egress' type",
        );
    }
    if (s.pre_dnat || s.do_not_track) && !s.apply_on_forward {
        let field = if s.pre_dnat { "preDNAT" } else { "doNotTrack" };
        report.error(
            spec.key("applyOnForward"),
            format!("applyOnForward must be true if {field} is true"),
        );
    }
}

/// A `Delete` staged policy may set nothing but its tier.
fn staged_delete_is_bare(set_fields: &[(&str, bool)], report: &mut Report) {
    let spec = FieldPath::root().key("spec");
    for (field, set) in set_fields {
        if *set {
            report.error(
                spec.key(field),
                format!("a staged policy with stagedAction `Delete` cannot set `{field}`"),
            );
        }
    }
}

/// Checks a StagedNetworkPolicy spec.
pub fn staged_network_policy_spec(s: &StagedNetworkPolicySpec, report: &mut Report) {
    if s.staged_action == Some(StagedAction::Delete) {
        staged_delete_is_bare(
            &[
                ("order", s.order.is_some()),
                ("ingress", !s.ingress.is_empty()),
                ("egress", !s.egress.is_empty()),
                ("selector", !s.selector.is_empty()),
                ("types", !s.types.is_empty()),
                (
                    "serviceAccountSelector",
                    !s.service_account_selector.is_empty(),
                ),
                ("performanceHints", !s.performance_hints.is_empty()),
            ],
            report,
        );
        tier_ref(&s.tier, &FieldPath::root().key("spec").key("tier"), report);
        return;
    }
    network_policy_spec(&NetworkPolicySpec::from(s), report);
}

/// Checks a StagedGlobalNetworkPolicy spec.
pub fn staged_global_network_policy_spec(s: &StagedGlobalNetworkPolicySpec, report: &mut Report) {
    if s.staged_action == Some(StagedAction::Delete) {
        staged_delete_is_bare(
            &[
                ("order", s.order.is_some()),
                ("ingress", !s.ingress.is_empty()),
                ("egress", !s.egress.is_empty()),
                ("selector", !s.selector.is_empty()),
                ("types", !s.types.is_empty()),
                ("doNotTrack", s.do_not_track),
                ("preDNAT", s.pre_dnat),
                ("applyOnForward", s.apply_on_forward),
                (
                    "serviceAccountSelector",
                    !s.service_account_selector.is_empty(),
                ),
                ("namespaceSelector", !s.namespace_selector.is_empty()),
                ("performanceHints", !s.performance_hints.is_empty()),
            ],
            report,
        );
        tier_ref(&s.tier, &FieldPath::root().key("spec").key("tier"), report);
        return;
    }
    global_network_policy_spec(&GlobalNetworkPolicySpec::from(s), report);
}

/// The built-in tiers: name, required order, required default action.
pub const BUILTIN_TIERS: [(&str, f64, Action); 3] = [
    ("kube-admin", 1_000.0, Action::Pass),
    ("default", 1_000_000.0, Action::Deny),
    ("kube-baseline", 10_000_000.0, Action::Pass),
];

/// Checks a Tier: default action Deny or Pass; the built-in tiers keep their order and action.
pub fn tier_spec(name: &str, s: &TierSpec, report: &mut Report) {
    let spec = FieldPath::root().key("spec");
    if let Some(a) = s.default_action
        && a != Action::Deny
        && a != Action::Pass
    {
        report.error(
            spec.key("defaultAction"),
            format!(
                "invalid default action `{}`: must be Deny or Pass",
                a.as_str()
            ),
        );
    }
    if let Some((_, order, action)) = BUILTIN_TIERS.iter().find(|(n, _, _)| *n == name) {
        if s.order.is_some_and(|o| o != *order) {
            report.error(
                spec.key("order"),
                format!("the built-in tier `{name}` must have order {order}"),
            );
        }
        if s.default_action.is_some_and(|a| a != *action) {
            report.error(
                spec.key("defaultAction"),
                format!(
                    "the built-in tier `{name}` must have default action {}",
                    action.as_str()
                ),
            );
        }
    }
}

fn interface_name_ok(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.len() <= 15
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
}

/// Checks a HostEndpoint spec (`path` points at `spec`).
pub fn host_endpoint_spec(s: &HostEndpointSpec, path: &FieldPath, report: &mut Report) {
    if s.node.is_empty() {
        report.error(path.key("node"), "node must be specified");
    } else if !is_dns1123_subdomain(&s.node) {
        report.error(path.key("node"), format!("invalid node name `{}`", s.node));
    }
    if s.interface_name.is_empty() && s.expected_ips.is_empty() {
        report.error(
            path.clone(),
            "at least one of interfaceName or expectedIPs must be specified",
        );
    }
    if !s.interface_name.is_empty() && !interface_name_ok(&s.interface_name) {
        report.error(
            path.key("interfaceName"),
            format!(
                "invalid interface name `{}`: `*` or 1 to 15 letters, digits, `_`, `.` or `-`",
                s.interface_name
            ),
        );
    }
    for (i, ip) in s.expected_ips.iter().enumerate() {
        if parse_ip(ip).is_none() {
            report.error(
                path.key("expectedIPs").index(i),
                format!("invalid IP address `{ip}`"),
            );
        }
    }
    for (i, p) in s.profiles.iter().enumerate() {
        if !is_dns1123_subdomain(p) {
            report.error(
                path.key("profiles").index(i),
                format!("invalid profile name `{p}`"),
            );
        }
    }
    for (i, p) in s.ports.iter().enumerate() {
        let at = path.key("ports").index(i);
        if !super::names::is_port_name(&p.name) {
            report.error(
                at.key("name"),
                format!(
                    "invalid port name `{}`: every endpoint port needs a valid name",
                    p.name
                ),
            );
        }
        super::rules::protocol(&p.protocol, &at.key("protocol"), report);
        if !p.protocol.has_ports() {
            report.error(
                at.key("protocol"),
                format!(
                    "protocol `{}` has no ports: use TCP, UDP or SCTP",
                    p.protocol
                ),
            );
        }
        if p.port == 0 {
            report.error(at.key("port"), "port must be between 1 and 65535");
        }
    }
}

/// Checks a Profile spec (`path` points at `spec`).
pub fn profile_spec(s: &ProfileSpec, path: &FieldPath, report: &mut Report) {
    rules(
        &s.ingress,
        &path.key("ingress"),
        RuleContext::Standalone,
        report,
    );
    rules(
        &s.egress,
        &path.key("egress"),
        RuleContext::Standalone,
        report,
    );
    labels(&s.labels_to_apply, &path.key("labelsToApply"), report);
}

/// Checks a (Global)NetworkSet spec: every entry an address or CIDR (host bits allowed; Calico
/// masks them).
pub fn network_set_spec(s: &NetworkSetSpec, path: &FieldPath, report: &mut Report) {
    for (i, n) in s.nets.iter().enumerate() {
        if parse_cidr(n.trim()).is_none() {
            report.error(
                path.key("nets").index(i),
                format!("invalid network `{n}`: not an IP address or CIDR"),
            );
        }
    }
}

/// Network sets may not carry the namespace label (Calico sets it itself).
pub fn network_set_labels(meta: &ObjectMeta, report: &mut Report) {
    if meta.labels.contains_key("projectcalico.org/namespace") {
        report.error(
            FieldPath::root()
                .key("metadata")
                .key("labels")
                .key("projectcalico.org/namespace"),
            "the label `projectcalico.org/namespace` is reserved",
        );
    }
}

/// Name rule check usable from other modules.
#[must_use]
pub fn name_ok(name: &str, rule: NameRule) -> bool {
    name_problem(name, rule).is_none()
}
