//! Policy kinds: NetworkPolicy, GlobalNetworkPolicy and their staged variants.

use serde::{Deserialize, Serialize};

use crate::rule::{PolicyType, Rule};
use crate::serde_util::{is_false, ser_opt_float};

/// What a staged policy would do to its enforced counterpart.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum StagedAction {
    /// Create or replace the enforced policy.
    #[default]
    Set,
    /// Delete the enforced policy.
    Delete,
    /// Learn (recommendation engine).
    Learn,
    /// Ignore.
    Ignore,
}

/// Calico accepts an empty `stagedAction` and treats it as absent.
fn de_staged_action<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<StagedAction>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    match text.as_deref() {
        None | Some("") => Ok(None),
        Some(other) => {
            StagedAction::deserialize(serde::de::value::StrDeserializer::new(other)).map(Some)
        }
    }
}

/// The only performance hint Calico defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PerformanceHint {
    /// Program the policy on every node whether or not a local endpoint needs it.
    AssumeNeededOnEveryNode,
}

/// Declares a policy spec struct: the fields shared by every Calico policy kind, plus extras.
/// Field order follows Calico's Go structs so JSON output matches calicoctl.
macro_rules! policy_spec {
    (
        $(#[$meta:meta])* $name:ident {
            $( $(#[$pre_meta:meta])* pub $pre:ident : $pre_ty:ty, )*
        } then {
            $( $(#[$post_meta:meta])* pub $post:ident : $post_ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $( $(#[$pre_meta])* pub $pre: $pre_ty, )*
            /// Tier (defaulted to `default`).
            #[serde(default, skip_serializing_if = "String::is_empty")]
            pub tier: String,
            /// Order within the tier; lower first; none = last.
            #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_float")]
            pub order: Option<f64>,
            /// Ingress rules, in order.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub ingress: Vec<Rule>,
            /// Egress rules, in order.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub egress: Vec<Rule>,
            /// Endpoints the policy applies to (empty: all).
            #[serde(default, skip_serializing_if = "String::is_empty")]
            pub selector: String,
            /// Directions governed (defaulted from the rules).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub types: Vec<PolicyType>,
            $( $(#[$post_meta])* pub $post: $post_ty, )*
        }
    };
}

policy_spec! {
    /// `NetworkPolicySpec`: a namespaced policy; selects workload endpoints of its namespace.
    NetworkPolicySpec {} then {
        /// Extra selector over the pod's service-account labels.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub service_account_selector: String,
        /// Hints for the policy engine; never change enforcement.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub performance_hints: Vec<PerformanceHint>,
    }
}

policy_spec! {
    /// `StagedNetworkPolicySpec`: a NetworkPolicy that is evaluated and reported, not enforced.
    StagedNetworkPolicySpec {
        /// What the staged policy would do (empty: `Set`).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_staged_action")]
        pub staged_action: Option<StagedAction>,
    } then {
        /// Extra selector over the pod's service-account labels.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub service_account_selector: String,
        /// Hints for the policy engine.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub performance_hints: Vec<PerformanceHint>,
    }
}

policy_spec! {
    /// `GlobalNetworkPolicySpec`: a cluster-wide policy; selects workload and host endpoints.
    GlobalNetworkPolicySpec {} then {
        /// Apply in the raw table, before connection tracking (host endpoints only).
        #[serde(default, skip_serializing_if = "is_false")]
        pub do_not_track: bool,
        /// Apply on ingress before kube-proxy's DNAT (host endpoints only).
        #[serde(default, rename = "preDNAT", skip_serializing_if = "is_false")]
        pub pre_dnat: bool,
        /// Also apply to traffic forwarded through a host endpoint.
        #[serde(default, skip_serializing_if = "is_false")]
        pub apply_on_forward: bool,
        /// Extra selector over the pod's service-account labels.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub service_account_selector: String,
        /// Restricts the policy to workload endpoints in matching namespaces.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub namespace_selector: String,
        /// Hints for the policy engine.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub performance_hints: Vec<PerformanceHint>,
    }
}

policy_spec! {
    /// `StagedGlobalNetworkPolicySpec`.
    StagedGlobalNetworkPolicySpec {
        /// What the staged policy would do (empty: `Set`).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_staged_action")]
        pub staged_action: Option<StagedAction>,
    } then {
        /// Apply in the raw table, before connection tracking.
        #[serde(default, skip_serializing_if = "is_false")]
        pub do_not_track: bool,
        /// Apply before DNAT.
        #[serde(default, rename = "preDNAT", skip_serializing_if = "is_false")]
        pub pre_dnat: bool,
        /// Also apply to forwarded traffic.
        #[serde(default, skip_serializing_if = "is_false")]
        pub apply_on_forward: bool,
        /// Extra selector over service-account labels.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub service_account_selector: String,
        /// Restricts the policy to matching namespaces.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub namespace_selector: String,
        /// Hints for the policy engine.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub performance_hints: Vec<PerformanceHint>,
    }
}

/// `StagedKubernetesNetworkPolicySpec`: a Kubernetes NetworkPolicy spec plus a staged action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StagedKubernetesNetworkPolicySpec {
    /// What the staged policy would do (empty: `Set`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_staged_action"
    )]
    pub staged_action: Option<StagedAction>,
    /// Pods the policy selects.
    #[serde(default)]
    pub pod_selector: crate::meta::LabelSelector,
    /// Ingress rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<crate::k8s::network_policy::NetworkPolicyIngressRule>>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<crate::k8s::network_policy::NetworkPolicyEgressRule>>,
    /// Directions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_types: Option<Vec<PolicyType>>,
}

impl StagedKubernetesNetworkPolicySpec {
    /// The Kubernetes spec this staged policy would enforce.
    #[must_use]
    pub fn to_enforced(&self) -> crate::k8s::network_policy::NetworkPolicySpec {
        crate::k8s::network_policy::NetworkPolicySpec {
            pod_selector: self.pod_selector.clone(),
            ingress: self.ingress.clone(),
            egress: self.egress.clone(),
            policy_types: self.policy_types.clone(),
        }
    }
}

/// Converts a staged spec to the spec it would enforce (Calico's `ConvertStagedPolicyToEnforced`).
impl From<&StagedNetworkPolicySpec> for NetworkPolicySpec {
    fn from(s: &StagedNetworkPolicySpec) -> Self {
        NetworkPolicySpec {
            tier: s.tier.clone(),
            order: s.order,
            ingress: s.ingress.clone(),
            egress: s.egress.clone(),
            selector: s.selector.clone(),
            types: s.types.clone(),
            service_account_selector: s.service_account_selector.clone(),
            performance_hints: s.performance_hints.clone(),
        }
    }
}

impl From<&StagedGlobalNetworkPolicySpec> for GlobalNetworkPolicySpec {
    fn from(s: &StagedGlobalNetworkPolicySpec) -> Self {
        GlobalNetworkPolicySpec {
            tier: s.tier.clone(),
            order: s.order,
            ingress: s.ingress.clone(),
            egress: s.egress.clone(),
            selector: s.selector.clone(),
            types: s.types.clone(),
            do_not_track: s.do_not_track,
            pre_dnat: s.pre_dnat,
            apply_on_forward: s.apply_on_forward,
            service_account_selector: s.service_account_selector.clone(),
            namespace_selector: s.namespace_selector.clone(),
            performance_hints: s.performance_hints.clone(),
        }
    }
}
