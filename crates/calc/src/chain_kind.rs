//! Which of an endpoint's policy checkpoints a chain is. Shared by the evaluator and the
//! dataplane renderer, so that both pick the same policies and end a tier the same way.

use crate::resolve::policy::{Policy, Stage};

/// Which chain of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChainKind {
    /// A workload endpoint's policy (normal policies, then profiles).
    Workload,
    /// A host endpoint's policy for traffic to or from the host (normal policies, profiles).
    HostNormal,
    /// A host endpoint's pre-DNAT policy (ingress).
    HostPreDnat,
    /// A host endpoint's untracked policy.
    HostUntracked,
    /// A host endpoint's policy for forwarded traffic (`applyOnForward` normal policies).
    HostForward,
}

impl ChainKind {
    /// Whether a policy takes part in this chain (by stage; staged-ness is the caller's).
    #[must_use]
    pub fn keeps(self, p: &Policy) -> bool {
        match self {
            ChainKind::Workload | ChainKind::HostNormal => p.stage == Stage::Normal,
            ChainKind::HostPreDnat => p.stage == Stage::PreDnat,
            ChainKind::HostUntracked => p.stage == Stage::Untracked,
            ChainKind::HostForward => p.stage == Stage::Normal && p.apply_on_forward,
        }
    }

    /// Pre-DNAT and untracked policy never drop at the end of a tier.
    #[must_use]
    pub fn drops_at_end_of_tier(self) -> bool {
        !matches!(self, ChainKind::HostPreDnat | ChainKind::HostUntracked)
    }

    /// Profiles follow the tiers only for workloads and normal host-endpoint policy.
    #[must_use]
    pub fn has_profiles(self) -> bool {
        matches!(self, ChainKind::Workload | ChainKind::HostNormal)
    }
}
