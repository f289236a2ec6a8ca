//! Endpoint chains: for one endpoint, one direction and one stage, the tiers and policies that
//! apply in order (from `Model::tiers_for`, the list the evaluator walks), then profiles.
//!
//! ```text
//!   clear accept|pass ─► [failsafe] ─► per tier: clear pass; jump each policy unless passed;
//!   return if accepted; end of tier: drop unless passed ─► profiles ─► drop
//! ```

use tortie_calc::resolve::policy::Policy;
use tortie_calc::{ChainKind, Direction, EntityId, Model};
use tortie_model::rule::Action;

use crate::ir::{Chain, Match, Rule, Stmt};
use crate::names::{self, MARK_ACCEPT, MARK_PASS, Stage};

fn mark_is(bits: u32, set: bool) -> Match {
    Match::Mark {
        mask: bits,
        value: if set { bits } else { 0 },
        negated: false,
    }
}

/// The stage (table) an endpoint chain of this kind lives in.
#[must_use]
pub fn stage_of(kind: ChainKind) -> Stage {
    match kind {
        ChainKind::HostUntracked => Stage::Raw,
        ChainKind::HostPreDnat => Stage::Mangle,
        _ => Stage::Filter,
    }
}

/// The enforced (not staged) policies of this kind, by tier, for the endpoint.
#[must_use]
pub fn runs(
    model: &Model,
    id: &EntityId,
    d: Direction,
    kind: ChainKind,
) -> Vec<tortie_calc::TierRun> {
    model.tiers_for(id, d, &|p: &Policy| !p.staged && kind.keeps(p))
}

/// An endpoint chain, and the policies and profiles it jumps to (to render once each).
pub struct EndpointRender {
    /// The chain.
    pub chain: Chain,
    /// Policies used, with the stage their chain lives in.
    pub policies: Vec<std::sync::Arc<Policy>>,
    /// Profiles used.
    pub profiles: Vec<String>,
}

/// Renders one endpoint chain.
#[must_use]
pub fn endpoint_chain(
    model: &Model,
    id: &EntityId,
    d: Direction,
    kind: ChainKind,
    failsafe: Option<String>,
) -> EndpointRender {
    let stage = stage_of(kind);
    let mut rules = vec![
        Rule::new(vec![], vec![Stmt::ClearMark(MARK_ACCEPT | MARK_PASS)])
            .with_comment("start with no verdict"),
    ];
    if let Some(f) = failsafe {
        rules.push(Rule::new(vec![], vec![Stmt::Jump(f)]).with_comment("failsafe ports"));
    }
    let mut policies = Vec::new();
    let tier_runs = runs(model, id, d, kind);
    for run in &tier_runs {
        rules.push(
            Rule::new(vec![], vec![Stmt::ClearMark(MARK_PASS)])
                .with_comment(format!("tier {}", run.tier.name)),
        );
        for p in &run.policies {
            rules.push(
                Rule::new(
                    vec![mark_is(MARK_PASS, false)],
                    vec![Stmt::Jump(names::policy_chain(stage, &p.id, d))],
                )
                .with_comment(p.id.to_string()),
            );
            rules.push(
                Rule::new(vec![mark_is(MARK_ACCEPT, true)], vec![Stmt::Return])
                    .with_comment("allowed"),
            );
            policies.push(p.clone());
        }
        if kind.drops_at_end_of_tier() && run.tier.default_action != Action::Pass {
            rules.push(
                Rule::new(vec![mark_is(MARK_PASS, false)], vec![Stmt::Drop]).with_comment(format!(
                    "end of tier {}: no policy allowed or passed",
                    run.tier.name
                )),
            );
        }
    }
    let mut profiles = Vec::new();
    if kind.has_profiles() {
        let names_: Vec<String> = model
            .entity(id)
            .map(|e| e.entity.profiles.clone())
            .unwrap_or_default();
        for name in names_ {
            if model.profile(&name).is_none() {
                continue;
            }
            rules.push(
                Rule::new(vec![], vec![Stmt::Jump(names::profile_chain(&name, d))])
                    .with_comment(format!("profile {name}")),
            );
            rules.push(
                Rule::new(vec![mark_is(MARK_ACCEPT, true)], vec![Stmt::Return])
                    .with_comment("allowed"),
            );
            profiles.push(name);
        }
        rules.push(Rule::new(vec![], vec![Stmt::Drop]).with_comment("no profile allowed"));
    } else if kind == ChainKind::HostForward {
        // Forwarded traffic no tier decided is allowed.
        rules.push(
            Rule::new(vec![], vec![Stmt::SetMark(MARK_ACCEPT), Stmt::Return])
                .with_comment("no policy decided: forwarded traffic is allowed"),
        );
    }
    EndpointRender {
        chain: Chain { base: None, rules },
        policies,
        profiles,
    }
}
