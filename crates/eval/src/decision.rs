//! What a decision says: the verdict and the story of how it was reached. Serialized as the
//! `tortie trace -o json` schema (see `docs/trace-json.md`).

use serde::Serialize;

/// Allowed or denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// The flow gets through.
    Allow,
    /// The flow is dropped.
    Deny,
}

/// The outcome of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StepVerdict {
    /// This checkpoint lets the packet on.
    Allow,
    /// This checkpoint drops the packet.
    Deny,
    /// Nothing decided here (pre-DNAT or untracked policy did not match); the packet goes on.
    Continue,
    /// The packet was changed here (DNAT, SNAT), or passed a point without policy.
    Info,
}

/// A policy, by kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    /// `NetworkPolicy`, `GlobalNetworkPolicy`, ...
    pub kind: String,
    /// Namespace (empty for global kinds).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl From<&tortie_calc::PolicyId> for PolicyRef {
    fn from(id: &tortie_calc::PolicyId) -> Self {
        PolicyRef {
            kind: id.kind.name().to_string(),
            namespace: id.namespace.clone(),
            name: id.name.clone(),
        }
    }
}

impl std::fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// A Log rule the packet hit on the way (logged, then evaluation went on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogHit {
    /// Tier, or empty for a profile.
    pub tier: String,
    /// The policy, or `Profile <name>`.
    pub policy: String,
    /// Rule index.
    pub rule: usize,
}

/// One checkpoint on the packet's path.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the checkpoint is: `source egress`, `pre-DNAT ingress`, `DNAT`, ...
    pub checkpoint: String,
    /// The endpoint whose policy applies, for people (`Pod x/a`, `HostEndpoint node1-eth1`).
    pub endpoint: Option<String>,
    /// `ingress` or `egress` relative to that endpoint.
    pub direction: Option<String>,
    /// The packet as seen here (addresses change at DNAT and SNAT).
    pub packet: String,
    /// The outcome here.
    pub verdict: StepVerdict,
    /// The tier of the deciding policy (or of the end-of-tier action).
    pub tier: Option<String>,
    /// The deciding policy.
    pub policy: Option<PolicyRef>,
    /// The deciding profile.
    pub profile: Option<String>,
    /// Index of the deciding rule in its policy's or profile's list for this direction.
    pub rule_index: Option<usize>,
    /// The deciding rule, as one line of JSON (also valid YAML).
    pub rule: Option<String>,
    /// Why, in one or two sentences.
    pub reason: String,
    /// Policies that selected the endpoint here (shown when a default action decided).
    pub selected_by: Vec<PolicyRef>,
    /// Log rules hit.
    pub logged: Vec<LogHit>,
    /// The deciding rule has an `http` part, which Tortie's dataplane does not enforce.
    pub layer7_ignored: bool,
}

impl Step {
    /// A step with only a checkpoint, packet, verdict and reason.
    #[must_use]
    pub fn info(checkpoint: &str, packet: String, verdict: StepVerdict, reason: String) -> Step {
        Step {
            checkpoint: checkpoint.to_string(),
            endpoint: None,
            direction: None,
            packet,
            verdict,
            tier: None,
            policy: None,
            profile: None,
            rule_index: None,
            rule: None,
            reason,
            selected_by: Vec::new(),
            logged: Vec::new(),
            layer7_ignored: false,
        }
    }
}

/// What staged policies would do at a checkpoint, where that differs from what is enforced.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedStep {
    /// The checkpoint (as in `steps`).
    pub checkpoint: String,
    /// The endpoint.
    pub endpoint: Option<String>,
    /// The would-be outcome.
    pub verdict: StepVerdict,
    /// The would-be deciding policy.
    pub policy: Option<PolicyRef>,
    /// Its tier.
    pub tier: Option<String>,
    /// The would-be deciding rule.
    pub rule_index: Option<usize>,
    /// Why.
    pub reason: String,
}

/// One end of the flow as resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerSummary {
    /// For people: `Pod x/a`, `node node1`, `external 198.51.100.7`.
    pub description: String,
    /// The address used.
    pub address: Option<String>,
    /// The node it is on, for endpoints and hosts.
    pub node: Option<String>,
}

/// A decided flow.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Allowed or denied, considering every step (and, for untracked flows, the reply).
    pub verdict: Verdict,
    /// The source.
    pub source: PeerSummary,
    /// The destination.
    pub destination: PeerSummary,
    /// The protocol, ports or ICMP type, for people.
    pub traffic: String,
    /// The checkpoints, in path order, up to the first that denied.
    pub steps: Vec<Step>,
    /// Staged policies' would-be outcomes, where they differ.
    pub staged: Vec<StagedStep>,
    /// Things worth knowing (a Service with several backends, endpoints without addresses...).
    pub notes: Vec<String>,
}
