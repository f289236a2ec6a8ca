//! The v3 -> Felix ("v1 model") translation of Calico's update processors
//! (`libcalico-go/lib/backend/syncersv1/updateprocessors`): the selector strings Felix matches
//! endpoints with, built exactly as Calico builds them.
//!
//! Two ways of building text meet here, and the output keeps both: concatenation keeps the
//! user's text as written (`(app == 'web') && projectcalico.org/namespace == 'prod'`), while
//! label prefixing re-prints a parsed selector in canonical form (`pcns.team == "a"`).

use ipnet::IpNet;
use tortie_selector::Selector;

use crate::k8s::convert::{
    KNP_TIER, LABEL_NAMESPACE, LABEL_SERVICE_ACCOUNT, NAMESPACE_LABEL_PREFIX,
    SERVICE_ACCOUNT_LABEL_PREFIX,
};
use crate::kinds::Object;
use crate::kinds::policy::{GlobalNetworkPolicySpec, NetworkPolicySpec};
use crate::numorstring::{Port, Protocol};
use crate::rule::{Action, EntityRule, PolicyType, Rule, ServiceAccountMatch};

/// What Felix matches "is a workload in some namespace" with (`all()` of a namespace selector).
const HAS_NAMESPACE: &str = "has(projectcalico.org/namespace)";
/// What Felix matches "is not in a namespace" with (`global()` of a namespace selector).
const NOT_HAS_NAMESPACE: &str = "!has(projectcalico.org/namespace)";
/// What an `all()` service-account selector of a global policy becomes.
const HAS_SERVICE_ACCOUNT: &str = "has(projectcalico.org/serviceaccount)";

/// A policy as Felix sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FelixPolicy {
    /// The namespace (empty for a global policy).
    pub namespace: String,
    /// The tier.
    pub tier: String,
    /// The order (none: last).
    pub order: Option<f64>,
    /// The endpoint selector.
    pub selector: String,
    /// Directions, lower case (`ingress`, `egress`).
    pub types: Vec<String>,
    /// Ingress rules.
    pub inbound_rules: Vec<FelixRule>,
    /// Egress rules.
    pub outbound_rules: Vec<FelixRule>,
    /// Untracked policy.
    pub do_not_track: bool,
    /// Pre-DNAT policy.
    pub pre_dnat: bool,
    /// Applies to forwarded traffic.
    pub apply_on_forward: bool,
}

/// A rule as Felix sees it: entity selectors combined with namespaces and service accounts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FelixRule {
    /// `allow`, `deny`, `log` or `next-tier`.
    pub action: String,
    /// IP version restriction.
    pub ip_version: Option<u8>,
    /// Protocol, lower case (`tcp`).
    pub protocol: Option<Protocol>,
    /// Negated protocol, lower case.
    pub not_protocol: Option<Protocol>,
    /// ICMP type and code.
    pub icmp: Option<(Option<i64>, Option<i64>)>,
    /// Negated ICMP type and code.
    pub not_icmp: Option<(Option<i64>, Option<i64>)>,
    /// Source networks, masked.
    pub src_nets: Vec<String>,
    /// Source selector.
    pub src_selector: String,
    /// Source ports.
    pub src_ports: Vec<Port>,
    /// Destination networks, masked.
    pub dst_nets: Vec<String>,
    /// Destination selector.
    pub dst_selector: String,
    /// Destination ports.
    pub dst_ports: Vec<Port>,
    /// Negated source networks.
    pub not_src_nets: Vec<String>,
    /// Negated source selector (passed through unchanged).
    pub not_src_selector: String,
    /// Negated source ports.
    pub not_src_ports: Vec<Port>,
    /// Negated destination networks.
    pub not_dst_nets: Vec<String>,
    /// Negated destination selector (passed through unchanged).
    pub not_dst_selector: String,
    /// Negated destination ports.
    pub not_dst_ports: Vec<Port>,
    /// Source service name and namespace.
    pub src_service: (String, String),
    /// Destination service name and namespace.
    pub dst_service: (String, String),
    /// The v3 `source.selector`.
    pub original_src_selector: String,
    /// The v3 `source.namespaceSelector`.
    pub original_src_namespace_selector: String,
    /// The v3 `destination.selector`.
    pub original_dst_selector: String,
    /// The v3 `destination.namespaceSelector`.
    pub original_dst_namespace_selector: String,
}

/// Parses `text`, prefixes every label with `prefix` and prints it canonically; `""` when it
/// does not parse (Calico drops such selectors).
#[must_use]
pub fn prefixed_selector(text: &str, prefix: &str) -> String {
    Selector::parse(text).map_or_else(
        |_| String::new(),
        |s| s.with_label_prefix(prefix).canonical().to_string(),
    )
}

/// Appends `(current) && <prefixed new>` when `new` is set and parses.
fn prefix_and_append(current: String, new: &str, prefix: &str) -> String {
    if new.is_empty() {
        return current;
    }
    let prefixed = prefixed_selector(new, prefix);
    match (prefixed.is_empty(), current.is_empty()) {
        (true, _) => current,
        (false, true) => prefixed,
        (false, false) => format!("({current}) && {prefixed}"),
    }
}

/// The endpoint selector of a namespaced policy: limited to its namespace, then ANDed with the
/// `pcsa.`-prefixed service-account selector.
#[must_use]
pub fn namespaced_policy_selector(namespace: &str, selector: &str, sa_selector: &str) -> String {
    let mut out = selector.to_string();
    if !namespace.is_empty() {
        let ns = format!("{LABEL_NAMESPACE} == '{namespace}'");
        out = if out.is_empty() {
            ns
        } else {
            format!("({out}) && {ns}")
        };
    }
    prefix_and_append(out, sa_selector, SERVICE_ACCOUNT_LABEL_PREFIX)
}

/// The endpoint selector of a global policy: ANDed with the `pcns.`-prefixed namespace selector
/// (every `all()` then meaning "in a namespace") and the `pcsa.`-prefixed service-account
/// selector (every `all()` then meaning "has a service account").
#[must_use]
pub fn global_policy_selector(selector: &str, ns_selector: &str, sa_selector: &str) -> String {
    let mut out = selector.to_string();
    if !ns_selector.is_empty() {
        out = prefix_and_append(out, ns_selector, NAMESPACE_LABEL_PREFIX);
        out = out.replace("all()", HAS_NAMESPACE);
    }
    if !sa_selector.is_empty() {
        out = prefix_and_append(out, sa_selector, SERVICE_ACCOUNT_LABEL_PREFIX);
        out = out.replace("all()", HAS_SERVICE_ACCOUNT);
    }
    out
}

/// The selector a `serviceAccounts` match stands for: the `pcsa.`-prefixed selector and/or
/// `projectcalico.org/serviceaccount in {...}` (canonical), ANDed.
#[must_use]
pub fn service_account_selector(sam: &ServiceAccountMatch) -> String {
    let prefixed = if sam.selector.is_empty() {
        String::new()
    } else {
        prefixed_selector(&sam.selector, SERVICE_ACCOUNT_LABEL_PREFIX)
    };
    if sam.names.is_empty() {
        return prefixed;
    }
    let text = format!(
        "{LABEL_SERVICE_ACCOUNT} in {{ '{}' }}",
        sam.names.join("', '")
    );
    let Ok(names) = Selector::parse(&text) else {
        return String::new();
    };
    let names = names.canonical();
    if prefixed.is_empty() {
        names.to_string()
    } else {
        format!("({prefixed}) && ({names})")
    }
}

/// The positive selector Felix matches an entity rule's peers with, in a policy of `namespace`
/// (empty for global policies and profiles).
#[must_use]
pub fn entity_rule_selector(er: &EntityRule, namespace: &str) -> String {
    let ns_sel = if !er.namespace_selector.is_empty() {
        prefixed_selector(&er.namespace_selector, NAMESPACE_LABEL_PREFIX)
            .replace("all()", HAS_NAMESPACE)
            .replace("global()", NOT_HAS_NAMESPACE)
    } else if !namespace.is_empty() {
        format!("{LABEL_NAMESPACE} == '{namespace}'")
    } else {
        String::new()
    };
    let sa_sel = er
        .service_accounts
        .as_ref()
        .map(service_account_selector)
        .unwrap_or_default();
    let parts: Vec<&str> = [sa_sel.as_str(), er.selector.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let sel = match parts.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        many => format!("({})", many.join(") && (")),
    };
    let scoped =
        !sel.is_empty() || !er.not_selector.is_empty() || !er.namespace_selector.is_empty();
    if ns_sel.is_empty() || !scoped {
        sel
    } else if sel.is_empty() {
        ns_sel
    } else {
        format!("({ns_sel}) && ({sel})")
    }
}

/// The (selector, not-selector) pair Felix matches an entity rule with; the not-selector is
/// passed through unchanged.
#[must_use]
pub fn entity_rule_selectors(er: &EntityRule, namespace: &str) -> (String, String) {
    (entity_rule_selector(er, namespace), er.not_selector.clone())
}

/// Felix's rule-scanner folding: with a positive selector, the negated one becomes
/// `(<pos>) && (!(<neg>))`; without, the negated selector stays a separate negated match.
#[must_use]
pub fn combine_matches(positive: &str, negated: &str) -> (String, String) {
    if positive.is_empty() || negated.is_empty() {
        return (positive.to_string(), negated.to_string());
    }
    (format!("({positive}) && (!({negated}))"), String::new())
}

fn v1_protocol(p: Option<&Protocol>) -> Option<Protocol> {
    p.map(|p| match p {
        Protocol::Name(n) => Protocol::Name(n.to_lowercase()),
        Protocol::Number(n) => Protocol::Number(*n),
    })
}

/// Networks as Felix holds them: masked, unparsable ones left out.
fn nets(list: &[String]) -> Vec<String> {
    let parse = |t: &str| -> Option<IpNet> {
        if t.contains('/') {
            t.parse::<IpNet>().ok().map(|n| n.trunc())
        } else {
            t.parse::<std::net::IpAddr>().ok().map(IpNet::from)
        }
    };
    list.iter()
        .filter_map(|t| parse(t))
        .map(|n| n.to_string())
        .collect()
}

fn service(er: &EntityRule) -> (String, String) {
    er.services
        .as_ref()
        .map(|s| (s.name.clone(), s.namespace.clone()))
        .unwrap_or_default()
}

/// Translates one v3 rule of a policy in `namespace` to Felix's form.
#[must_use]
pub fn rule_to_felix(rule: &Rule, namespace: &str) -> FelixRule {
    let (src, dst) = (&rule.source, &rule.destination);
    let action = match rule.action {
        Action::Pass => "next-tier".to_string(),
        other => other.as_str().to_lowercase(),
    };
    FelixRule {
        action,
        ip_version: rule.ip_version,
        protocol: v1_protocol(rule.protocol.as_ref()),
        not_protocol: v1_protocol(rule.not_protocol.as_ref()),
        icmp: rule.icmp.map(|i| (i.icmp_type, i.code)),
        not_icmp: rule.not_icmp.map(|i| (i.icmp_type, i.code)),
        src_nets: nets(&src.nets),
        src_selector: entity_rule_selector(src, namespace),
        src_ports: src.ports.clone(),
        dst_nets: nets(&dst.nets),
        dst_selector: entity_rule_selector(dst, namespace),
        dst_ports: dst.ports.clone(),
        not_src_nets: nets(&src.not_nets),
        not_src_selector: src.not_selector.clone(),
        not_src_ports: src.not_ports.clone(),
        not_dst_nets: nets(&dst.not_nets),
        not_dst_selector: dst.not_selector.clone(),
        not_dst_ports: dst.not_ports.clone(),
        src_service: service(src),
        dst_service: service(dst),
        original_src_selector: src.selector.clone(),
        original_src_namespace_selector: src.namespace_selector.clone(),
        original_dst_selector: dst.selector.clone(),
        original_dst_namespace_selector: dst.namespace_selector.clone(),
    }
}

fn types(types: &[PolicyType]) -> Vec<String> {
    types
        .iter()
        .map(|t| match t {
            PolicyType::Ingress => "ingress".to_string(),
            PolicyType::Egress => "egress".to_string(),
        })
        .collect()
}

fn tier(t: &str) -> String {
    if t.is_empty() { KNP_TIER } else { t }.to_string()
}

/// Felix's view of a (Calico or converted Kubernetes) NetworkPolicy.
#[must_use]
pub fn network_policy_to_felix(p: &Object<NetworkPolicySpec>) -> FelixPolicy {
    let ns = p.metadata.namespace.as_str();
    let s = &p.spec;
    FelixPolicy {
        namespace: ns.to_string(),
        tier: tier(&s.tier),
        order: s.order,
        selector: namespaced_policy_selector(ns, &s.selector, &s.service_account_selector),
        types: types(&s.types),
        inbound_rules: s.ingress.iter().map(|r| rule_to_felix(r, ns)).collect(),
        outbound_rules: s.egress.iter().map(|r| rule_to_felix(r, ns)).collect(),
        ..FelixPolicy::default()
    }
}

/// Felix's view of a GlobalNetworkPolicy.
#[must_use]
pub fn global_network_policy_to_felix(p: &Object<GlobalNetworkPolicySpec>) -> FelixPolicy {
    let s = &p.spec;
    FelixPolicy {
        namespace: String::new(),
        tier: tier(&s.tier),
        order: s.order,
        selector: global_policy_selector(
            &s.selector,
            &s.namespace_selector,
            &s.service_account_selector,
        ),
        types: types(&s.types),
        inbound_rules: s.ingress.iter().map(|r| rule_to_felix(r, "")).collect(),
        outbound_rules: s.egress.iter().map(|r| rule_to_felix(r, "")).collect(),
        do_not_track: s.do_not_track,
        pre_dnat: s.pre_dnat,
        apply_on_forward: s.apply_on_forward,
    }
}

#[cfg(test)]
mod tests;
