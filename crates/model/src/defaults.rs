//! Calico's defaulting, applied when an object is created or updated (clientv3 plus the CRD
//! defaults that calicoctl applies in etcd mode): policy tier and `types`, the tier label,
//! staged action, tier order and default action.

use crate::kinds::policy::StagedAction;
use crate::resource::Resource;
use crate::rule::{Action, PolicyType, Rule};

/// The label Calico puts on every policy naming its tier.
pub const TIER_LABEL: &str = "projectcalico.org/tier";
/// The tier a policy is in when it names none.
pub const DEFAULT_TIER: &str = "default";
/// The order a tier gets when it names none.
pub const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;

/// `types` when none are given: Ingress unless there are only egress rules; both when both.
#[must_use]
pub fn infer_types(ingress: &[Rule], egress: &[Rule]) -> Vec<PolicyType> {
    match (ingress.is_empty(), egress.is_empty()) {
        (_, true) => vec![PolicyType::Ingress],
        (true, false) => vec![PolicyType::Egress],
        (false, false) => vec![PolicyType::Ingress, PolicyType::Egress],
    }
}

fn policy_common(
    tier: &mut String,
    types: &mut Vec<PolicyType>,
    ingress: &[Rule],
    egress: &[Rule],
) {
    if tier.is_empty() {
        *tier = DEFAULT_TIER.to_string();
    }
    if types.is_empty() {
        *types = infer_types(ingress, egress);
    }
}

/// Applies Calico's defaults in place. Idempotent.
pub fn apply(resource: &mut Resource) {
    let tier = match resource {
        Resource::NetworkPolicy(p) => {
            let s = &mut p.spec;
            policy_common(&mut s.tier, &mut s.types, &s.ingress, &s.egress);
            Some(s.tier.clone())
        }
        Resource::GlobalNetworkPolicy(p) => {
            let s = &mut p.spec;
            policy_common(&mut s.tier, &mut s.types, &s.ingress, &s.egress);
            Some(s.tier.clone())
        }
        Resource::StagedNetworkPolicy(p) => {
            let s = &mut p.spec;
            s.staged_action.get_or_insert(StagedAction::Set);
            if s.staged_action == Some(StagedAction::Delete) {
                if s.tier.is_empty() {
                    s.tier = DEFAULT_TIER.to_string();
                }
            } else {
                policy_common(&mut s.tier, &mut s.types, &s.ingress, &s.egress);
            }
            Some(s.tier.clone())
        }
        Resource::StagedGlobalNetworkPolicy(p) => {
            let s = &mut p.spec;
            s.staged_action.get_or_insert(StagedAction::Set);
            if s.staged_action == Some(StagedAction::Delete) {
                if s.tier.is_empty() {
                    s.tier = DEFAULT_TIER.to_string();
                }
            } else {
                policy_common(&mut s.tier, &mut s.types, &s.ingress, &s.egress);
            }
            Some(s.tier.clone())
        }
        Resource::StagedKubernetesNetworkPolicy(p) => {
            p.spec.staged_action.get_or_insert(StagedAction::Set);
            None
        }
        Resource::Tier(t) => {
            let builtin = crate::validate::calico::BUILTIN_TIERS
                .iter()
                .find(|(n, _, _)| *n == t.metadata.name);
            let (order, action) =
                builtin.map_or((DEFAULT_TIER_ORDER, Action::Deny), |(_, o, a)| (*o, *a));
            t.spec.order.get_or_insert(order);
            t.spec.default_action.get_or_insert(action);
            None
        }
        _ => None,
    };
    if let Some(tier) = tier {
        resource
            .metadata_mut()
            .labels
            .insert(TIER_LABEL.to_string(), tier);
    }
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;

/// The name of the built-in profile that allows everything (`projectcalico-default-allow`):
/// Calico lists it in every datastore, and kube-controllers' automatic host endpoints use it.
pub const DEFAULT_ALLOW_PROFILE: &str = "projectcalico-default-allow";

/// The built-in allow-all profile.
#[must_use]
pub fn default_allow_profile() -> Resource {
    let mut p: crate::kinds::Object<crate::kinds::endpoints::ProfileSpec> =
        crate::kinds::Object::new("Profile", DEFAULT_ALLOW_PROFILE);
    p.spec.ingress = vec![Rule::new(Action::Allow)];
    p.spec.egress = vec![Rule::new(Action::Allow)];
    Resource::Profile(Box::new(p))
}
