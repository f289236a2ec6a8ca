//! `BGPFilter`: import and export filters applied to BGP peerings.

use serde::{Deserialize, Serialize};

use super::bgp::community_problem;
use super::common::{check_net, check_one_of, de_asn_list};
use crate::validate::Report;
use crate::yaml::FieldPath;

/// `BGPFilterSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BGPFilterSpec {
    /// IPv4 export rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub export_v4: Vec<BgpFilterRule>,
    /// IPv4 import rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub import_v4: Vec<BgpFilterRule>,
    /// IPv6 export rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub export_v6: Vec<BgpFilterRule>,
    /// IPv6 import rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub import_v6: Vec<BgpFilterRule>,
}

/// `BGPFilterRuleV4` and `BGPFilterRuleV6`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterRule {
    /// Prefix the route is compared with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cidr: String,
    /// Range of prefix lengths matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_length: Option<BgpFilterPrefixLength>,
    /// `RemotePeers`: only routes learned from peers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Outgoing interface of the route (`*` wildcards allowed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interface: String,
    /// `Equal`, `NotEqual`, `In` or `NotIn`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub match_operator: String,
    /// `eBGP` or `iBGP`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub peer_type: String,
    /// Community the route must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communities: Option<BgpFilterCommunityMatch>,
    /// AS numbers the route's AS path must start with.
    #[serde(
        default,
        deserialize_with = "de_asn_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub as_path_prefix: Vec<u32>,
    /// Route priority matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// `Accept` or `Reject` (required).
    #[serde(default)]
    pub action: String,
    /// Changes made to accepted routes, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<BgpFilterOperation>,
}

/// `BGPFilterPrefixLengthV4` and `BGPFilterPrefixLengthV6`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterPrefixLength {
    /// Shortest prefix length matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    /// Longest prefix length matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

/// `BGPFilterCommunityMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterCommunityMatch {
    /// Community values (`aa:nn` or `aa:nn:mm`); exactly one.
    #[serde(default)]
    pub values: Vec<String>,
}

/// `BGPFilterOperation`: exactly one route change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterOperation {
    /// Add a community.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_community: Option<BgpFilterValue<String>>,
    /// Prepend AS numbers to the AS path.
    #[serde(
        default,
        rename = "prependASPath",
        skip_serializing_if = "Option::is_none"
    )]
    pub prepend_as_path: Option<BgpFilterPrependAsPath>,
    /// Set the route's priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_priority: Option<BgpFilterValue<i64>>,
}

/// `BGPFilterAddCommunity` (`T` = community string) and `BGPFilterSetPriority` (`T` = number).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterValue<T> {
    /// The value.
    pub value: T,
}

/// `BGPFilterPrependASPath`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpFilterPrependAsPath {
    /// AS numbers to prepend, in order.
    #[serde(deserialize_with = "de_asn_list")]
    pub prefix: Vec<u32>,
}

/// Validates a `BGPFilterSpec` with Calico's rules; `path` points at `spec`.
pub fn validate_bgp_filter_spec(spec: &BGPFilterSpec, path: &FieldPath, report: &mut Report) {
    for (field, rules, version) in [
        ("exportV4", &spec.export_v4, 4),
        ("importV4", &spec.import_v4, 4),
        ("exportV6", &spec.export_v6, 6),
        ("importV6", &spec.import_v6, 6),
    ] {
        for (i, rule) in rules.iter().enumerate() {
            validate_filter_rule(rule, version, &path.key(field).index(i), report);
        }
    }
}

fn validate_filter_rule(rule: &BgpFilterRule, version: u8, path: &FieldPath, report: &mut Report) {
    check_net(&rule.cidr, Some(version), &path.key("cidr"), report);
    if !rule.cidr.is_empty() && rule.match_operator.is_empty() {
        report.error(
            path.key("matchOperator"),
            "matchOperator must be set when cidr is set",
        );
    }
    if rule.cidr.is_empty() && !rule.match_operator.is_empty() {
        report.error(
            path.key("cidr"),
            "cidr must be set when matchOperator is set",
        );
    }
    check_one_of(
        &rule.match_operator,
        &["Equal", "NotEqual", "In", "NotIn"],
        &path.key("matchOperator"),
        report,
    );
    if let Some(pl) = &rule.prefix_length {
        let p = path.key("prefixLength");
        if rule.cidr.is_empty() {
            report.error(p.clone(), "cidr must be set when prefixLength is set");
        }
        let max_len = if version == 4 { 32 } else { 128 };
        for (field, v) in [("min", pl.min), ("max", pl.max)] {
            if let Some(v) = v
                && !(0..=max_len).contains(&v)
            {
                report.error(p.key(field), format!("{v} is outside 0 to {max_len}"));
            }
        }
    }
    check_one_of(&rule.source, &["RemotePeers"], &path.key("source"), report);
    let iface_ok = rule.interface.len() <= 15
        && rule
            .interface
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.*-".contains(&b));
    if !iface_ok {
        report.error(
            path.key("interface"),
            format!(
                "`{}` is not an interface name or pattern: 1 to 15 letters, digits, `_`, `.`, \
                 `-` or `*`",
                rule.interface
            ),
        );
    }
    check_one_of(
        &rule.peer_type,
        &["eBGP", "iBGP"],
        &path.key("peerType"),
        report,
    );
    if let Some(c) = &rule.communities {
        let p = path.key("communities").key("values");
        if c.values.len() != 1 {
            report.error(p.clone(), "exactly one community value must be given");
        }
        for (i, v) in c.values.iter().enumerate() {
            if let Some(problem) = community_problem(v) {
                report.error(p.index(i), problem);
            }
        }
    }
    if let Some(prio) = rule.priority
        && !(1..=2_147_483_646).contains(&prio)
    {
        report.error(
            path.key("priority"),
            format!("{prio} is outside 1 to 2147483646"),
        );
    }
    if rule.action.is_empty() {
        report.error(
            path.key("action"),
            "the action must be given: `Accept` or `Reject`",
        );
    } else {
        check_one_of(
            &rule.action,
            &["Accept", "Reject"],
            &path.key("action"),
            report,
        );
    }
    if !rule.operations.is_empty() && rule.action != "Accept" {
        report.error(
            path.key("operations"),
            "operations may only be used with action `Accept`",
        );
    }
    if rule.operations.len() > 10 {
        report.error(path.key("operations"), "at most 10 operations may be given");
    }
    for (i, op) in rule.operations.iter().enumerate() {
        let p = path.key("operations").index(i);
        let set = usize::from(op.add_community.is_some())
            + usize::from(op.prepend_as_path.is_some())
            + usize::from(op.set_priority.is_some());
        if set != 1 {
            report.error(p.clone(), "exactly one operation must be set");
        }
        if let Some(c) = &op.add_community
            && let Some(problem) = community_problem(&c.value)
        {
            report.error(p.key("addCommunity").key("value"), problem);
        }
        if let Some(pp) = &op.prepend_as_path
            && !(1..=10).contains(&pp.prefix.len())
        {
            report.error(
                p.key("prependASPath").key("prefix"),
                "give 1 to 10 AS numbers",
            );
        }
        if let Some(sp) = &op.set_priority
            && !(1..=2_147_483_646).contains(&sp.value)
        {
            report.error(
                p.key("setPriority").key("value"),
                format!("{} is outside 1 to 2147483646", sp.value),
            );
        }
    }
}
