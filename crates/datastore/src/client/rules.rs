//! Calico's write rules: built-in objects, tiers, and which objects are read-only.

use tortie_model::kinds::Object;
use tortie_model::kinds::endpoints::TierSpec;
use tortie_model::validate::calico::BUILTIN_TIERS;
use tortie_model::{Kind, Resource};

use super::{DEFAULT_ALLOW_PROFILE, ObjectRef};

/// The three tiers Calico creates before its first write.
pub(super) fn builtin_tiers() -> Vec<Resource> {
    BUILTIN_TIERS
        .iter()
        .map(|(name, order, action)| {
            let mut t: Object<TierSpec> = Object::new("Tier", name);
            t.spec = TierSpec {
                order: Some(*order),
                default_action: Some(*action),
            };
            Resource::Tier(Box::new(t))
        })
        .collect()
}

/// The built-in allow-all profile (never stored; always present, at revision 1).
pub(super) fn default_allow_profile() -> Resource {
    let mut p = tortie_model::defaults::default_allow_profile();
    p.metadata_mut().resource_version = "1".into();
    p
}

/// The tier a policy is in (after defaulting), for the kinds that have tiers.
pub(super) fn policy_tier(r: &Resource) -> Option<&str> {
    match r {
        Resource::NetworkPolicy(p) => Some(&p.spec.tier),
        Resource::GlobalNetworkPolicy(p) => Some(&p.spec.tier),
        Resource::StagedNetworkPolicy(p) => Some(&p.spec.tier),
        Resource::StagedGlobalNetworkPolicy(p) => Some(&p.spec.tier),
        _ => None,
    }
}

/// The kinds whose objects name a tier.
pub(super) const TIERED_KINDS: [Kind; 4] = [
    Kind::NetworkPolicy,
    Kind::GlobalNetworkPolicy,
    Kind::StagedNetworkPolicy,
    Kind::StagedGlobalNetworkPolicy,
];

/// Whether a built-in object that users may not delete or change.
pub(super) fn builtin_refusal(obj: &ObjectRef, deleting: bool) -> Option<String> {
    if obj.kind == Kind::Profile && obj.name == DEFAULT_ALLOW_PROFILE {
        return Some(format!(
            "{obj} is built in and cannot be changed or deleted"
        ));
    }
    if deleting && obj.kind == Kind::Tier && BUILTIN_TIERS.iter().any(|(n, _, _)| *n == obj.name) {
        return Some(format!("{obj} is built in and cannot be deleted"));
    }
    None
}
