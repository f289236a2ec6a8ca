//! One checkpoint: the tiers and policies that apply to an endpoint in a direction, then its
//! profiles, with Calico's rules (Pass skips the rest of a tier; Log records and goes on; a tier
//! whose policies selected the endpoint ends in its default action; pre-DNAT and untracked
//! policy never drop at the end of a tier; forwarded traffic with no policy is allowed).

use tortie_calc::resolve::policy::{Policy, Rule};
use tortie_calc::{Direction, EntityId, Model, PolicyId, PolicyKind};
use tortie_model::rule::Action;

use crate::decision::LogHit;
use crate::flow::Packet;
use crate::matching::rule_matches;

pub use tortie_calc::ChainKind;

/// How a chain ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A rule allowed the packet.
    Allow,
    /// A rule (or a default) dropped it.
    Deny,
    /// Nothing decided (pre-DNAT/untracked: no rule matched).
    Continue,
}

/// What decided.
#[derive(Clone, Debug, PartialEq)]
pub enum DecidedBy {
    /// A policy rule.
    Rule {
        /// Tier.
        tier: String,
        /// Policy.
        policy: PolicyId,
        /// The rule.
        rule: Box<Rule>,
    },
    /// The end of a tier whose policies selected the endpoint but none decided.
    EndOfTier {
        /// Tier.
        tier: String,
        /// Its default action.
        action: Action,
        /// The policies that selected the endpoint in that tier.
        policies: Vec<PolicyId>,
    },
    /// A profile rule.
    ProfileRule {
        /// Profile.
        profile: String,
        /// The rule.
        rule: Box<Rule>,
    },
    /// No profile allowed (or there are none).
    NoProfileAllowed {
        /// The endpoint's profiles.
        profiles: Vec<String>,
        /// Those that do not exist.
        missing: Vec<String>,
        /// Tiers passed on the way, if any.
        passed_tiers: Vec<String>,
    },
    /// No policy applies here (forwarded traffic is then allowed; pre-DNAT and untracked
    /// chains go on).
    NoPolicy,
    /// Every tier passed (forwarded traffic goes on).
    AllTiersPassed(Vec<String>),
}

/// The result of one chain.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainResult {
    /// How it ended.
    pub outcome: Outcome,
    /// What decided.
    pub decided_by: DecidedBy,
    /// Log rules hit on the way.
    pub logged: Vec<LogHit>,
    /// Every policy that selected the endpoint in this chain.
    pub selecting: Vec<PolicyId>,
}

/// Enforced policies only, or the staged view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// What is enforced.
    Enforced,
    /// As if staged policies were enforced (replacing or deleting their enforced counterparts).
    Staged,
}

/// The enforced policy a staged one stands for.
fn staged_target(id: &PolicyId) -> Option<PolicyId> {
    let (kind, name) = match id.kind {
        PolicyKind::StagedNetworkPolicy => (PolicyKind::NetworkPolicy, id.name.clone()),
        PolicyKind::StagedGlobalNetworkPolicy => (PolicyKind::GlobalNetworkPolicy, id.name.clone()),
        PolicyKind::StagedKubernetesNetworkPolicy => (
            PolicyKind::NetworkPolicy,
            format!("knp.default.{}", id.name),
        ),
        _ => return None,
    };
    Some(PolicyId {
        kind,
        namespace: id.namespace.clone(),
        name,
    })
}

/// Whether any staged policy selects this endpoint in this chain.
pub fn staged_policies_apply(model: &Model, id: &EntityId, kind: ChainKind) -> bool {
    model
        .policies_selecting(id)
        .iter()
        .any(|p| p.staged && kind.keeps(p))
}

fn keep_for_view(model: &Model, id: &EntityId, view: View) -> impl Fn(&Policy) -> bool {
    let replaced: Vec<PolicyId> = match view {
        View::Enforced => Vec::new(),
        View::Staged => model
            .policies_selecting(id)
            .iter()
            .filter(|p| p.staged)
            .filter_map(|p| staged_target(&p.id))
            .collect(),
    };
    move |p: &Policy| match view {
        View::Enforced => !p.staged,
        View::Staged => p.staged || !replaced.contains(&p.id),
    }
}

/// Evaluates one chain of an endpoint for a packet.
#[must_use]
pub fn evaluate(
    model: &Model,
    id: &EntityId,
    direction: Direction,
    kind: ChainKind,
    pkt: &Packet,
    view: View,
) -> ChainResult {
    let keep_view = keep_for_view(model, id, view);
    let runs = model.tiers_for(id, direction, &|p| kind.keeps(p) && keep_view(p));
    let selecting: Vec<PolicyId> = runs
        .iter()
        .flat_map(|r| r.policies.iter().map(|p| p.id.clone()))
        .collect();
    let mut logged = Vec::new();
    let mut passed = Vec::new();
    let done = |outcome, decided_by, logged| ChainResult {
        outcome,
        decided_by,
        logged,
        selecting: selecting.clone(),
    };
    for run in &runs {
        let mut pass = false;
        'policies: for policy in &run.policies {
            for rule in policy.rules(direction).unwrap_or_default() {
                if !rule_matches(model, rule, pkt) {
                    continue;
                }
                let by = || DecidedBy::Rule {
                    tier: run.tier.name.clone(),
                    policy: policy.id.clone(),
                    rule: Box::new(rule.clone()),
                };
                match rule.action {
                    Action::Log => logged.push(LogHit {
                        tier: run.tier.name.clone(),
                        policy: policy.id.to_string(),
                        rule: rule.index,
                    }),
                    Action::Allow => return done(Outcome::Allow, by(), logged),
                    Action::Deny => return done(Outcome::Deny, by(), logged),
                    Action::Pass => {
                        pass = true;
                        break 'policies;
                    }
                }
            }
        }
        if pass {
            passed.push(run.tier.name.clone());
            continue;
        }
        if kind.drops_at_end_of_tier() && run.tier.default_action != Action::Pass {
            let by = DecidedBy::EndOfTier {
                tier: run.tier.name.clone(),
                action: Action::Deny,
                policies: run.policies.iter().map(|p| p.id.clone()).collect(),
            };
            return done(Outcome::Deny, by, logged);
        }
        passed.push(run.tier.name.clone());
    }
    if kind.has_profiles() {
        return profiles(model, id, direction, pkt, logged, passed, selecting);
    }
    match kind {
        ChainKind::HostForward if runs.is_empty() => {
            done(Outcome::Allow, DecidedBy::NoPolicy, logged)
        }
        ChainKind::HostForward => done(Outcome::Allow, DecidedBy::AllTiersPassed(passed), logged),
        _ if runs.is_empty() => done(Outcome::Continue, DecidedBy::NoPolicy, logged),
        _ => done(Outcome::Continue, DecidedBy::AllTiersPassed(passed), logged),
    }
}

fn profiles(
    model: &Model,
    id: &EntityId,
    direction: Direction,
    pkt: &Packet,
    mut logged: Vec<LogHit>,
    passed: Vec<String>,
    selecting: Vec<PolicyId>,
) -> ChainResult {
    let names = model
        .entity(id)
        .map(|e| e.entity.profiles.clone())
        .unwrap_or_default();
    let mut missing = Vec::new();
    for name in &names {
        let Some(profile) = model.profile(name) else {
            missing.push(name.clone());
            continue;
        };
        let rules = match direction {
            Direction::Ingress => &profile.ingress,
            Direction::Egress => &profile.egress,
        };
        for rule in rules {
            if !rule_matches(model, rule, pkt) {
                continue;
            }
            let by = DecidedBy::ProfileRule {
                profile: name.clone(),
                rule: Box::new(rule.clone()),
            };
            match rule.action {
                Action::Allow => {
                    return ChainResult {
                        outcome: Outcome::Allow,
                        decided_by: by,
                        logged,
                        selecting,
                    };
                }
                Action::Deny => {
                    return ChainResult {
                        outcome: Outcome::Deny,
                        decided_by: by,
                        logged,
                        selecting,
                    };
                }
                Action::Log => logged.push(LogHit {
                    tier: String::new(),
                    policy: format!("Profile {name}"),
                    rule: rule.index,
                }),
                // Pass in a profile has no next tier: Felix only checks for accept; go on.
                Action::Pass => break,
            }
        }
    }
    let by = DecidedBy::NoProfileAllowed {
        profiles: names,
        missing,
        passed_tiers: passed,
    };
    ChainResult {
        outcome: Outcome::Deny,
        decided_by: by,
        logged,
        selecting,
    }
}
