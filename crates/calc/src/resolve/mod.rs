//! From resources to the resolved model's parts: policies, entities, profiles, tiers,
//! services, nodes and Felix settings. Pure functions of single resources.

pub mod entity;
pub mod expand;
pub mod policy;
pub mod service;

use std::collections::BTreeMap;

use tortie_model::kinds::Object;
use tortie_model::kinds::endpoints::{ProfileSpec, TierSpec};
use tortie_model::rule::Action;

use policy::{Rule, resolve_rule};

/// A tier as the engine uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    /// Name.
    pub name: String,
    /// Order (none: last).
    pub order: Option<f64>,
    /// What happens at the end of the tier: `Deny` or `Pass`.
    pub default_action: Action,
}

/// A tier from its resource; anything but `Pass` ends in Deny (as Felix's tier processor).
#[must_use]
pub fn tier(t: &Object<TierSpec>) -> Tier {
    let default_action = if t.spec.default_action == Some(Action::Pass) {
        Action::Pass
    } else {
        Action::Deny
    };
    Tier {
        name: t.metadata.name.clone(),
        order: t.spec.order,
        default_action,
    }
}

/// A tier that policies name but that does not exist: a built-in tier with its fixed order and
/// action; any other sorts last and ends in Deny (Felix).
#[must_use]
pub fn missing_tier(name: &str) -> Tier {
    // The built-in tiers exist in every datastore; manifests read offline rarely carry them.
    let builtin = tortie_model::validate::calico::BUILTIN_TIERS
        .iter()
        .find(|(n, _, _)| *n == name);
    Tier {
        name: name.to_string(),
        order: builtin.map(|(_, order, _)| *order),
        default_action: builtin.map_or(Action::Deny, |(_, _, action)| *action),
    }
}

/// A profile as the engine uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Name.
    pub name: String,
    /// Labels endpoints inherit.
    pub labels: BTreeMap<String, String>,
    /// Ingress rules.
    pub ingress: Vec<Rule>,
    /// Egress rules.
    pub egress: Vec<Rule>,
}

/// A profile from its resource.
///
/// # Errors
/// A rule that cannot be used.
pub fn profile(p: &Object<ProfileSpec>) -> Result<Profile, String> {
    let rules = |list: &[tortie_model::rule::Rule]| -> Result<Vec<Rule>, String> {
        list.iter()
            .enumerate()
            .map(|(i, r)| resolve_rule(i, r, ""))
            .collect()
    };
    Ok(Profile {
        name: p.metadata.name.clone(),
        labels: p.spec.labels_to_apply.clone(),
        ingress: rules(&p.spec.ingress)?,
        egress: rules(&p.spec.egress)?,
    })
}
