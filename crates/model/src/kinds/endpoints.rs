//! Tier, HostEndpoint, Profile, NetworkSet and GlobalNetworkSet specs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::numorstring::Protocol;
use crate::rule::{Action, Rule};
use crate::serde_util::ser_opt_float;

/// `TierSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TierSpec {
    /// Order among tiers; lower first; none = last (defaulted to 1,000,000 on create).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_float"
    )]
    pub order: Option<f64>,
    /// Action at the end of the tier for traffic that matched no rule: `Deny` or `Pass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_action: Option<Action>,
}

/// `HostEndpointSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostEndpointSpec {
    /// The node the endpoint is on.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The interface (`*`: all interfaces of the host; empty: find by expected IPs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interface_name: String,
    /// The endpoint's addresses, used for selector matches.
    #[serde(default, rename = "expectedIPs", skip_serializing_if = "Vec::is_empty")]
    pub expected_ips: Vec<String>,
    /// Profiles applied after policies, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Named ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<EndpointPort>,
}

/// A named port of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointPort {
    /// Port name.
    pub name: String,
    /// Protocol (TCP, UDP or SCTP).
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
}

/// `ProfileSpec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileSpec {
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<Rule>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Rule>,
    /// Labels inherited by endpoints that use the profile.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels_to_apply: BTreeMap<String, String>,
}

/// `NetworkSetSpec` and `GlobalNetworkSetSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkSetSpec {
    /// The set's networks (CIDRs or addresses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nets: Vec<String>,
}
