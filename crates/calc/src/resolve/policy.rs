//! Policies as the engine and the dataplane use them: selectors parsed in Felix's form (with
//! the policy's namespace and the `pcns.`/`pcsa.` prefixes applied), rules with parsed networks
//! and ports, the stage a policy runs in, and whether it is staged.

use ipnet::IpNet;
use tortie_model::kinds::Object;
use tortie_model::kinds::policy::{GlobalNetworkPolicySpec, NetworkPolicySpec, StagedAction};
use tortie_model::numorstring::{Port, Protocol};
use tortie_model::rule::{Action, EntityRule, IcmpFields, PolicyType, Rule as WireRule};
use tortie_model::translate;
use tortie_selector::Selector;

use crate::ids::{Direction, PolicyId, PolicyKind};

/// Where in the packet path a policy applies (host endpoints only, except Normal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Untracked (`doNotTrack`): raw table, before connection tracking, both directions.
    Untracked,
    /// Before DNAT (`preDNAT`): ingress only.
    PreDnat,
    /// Filter table: normal policy (and forwarded traffic with `applyOnForward`).
    Normal,
}

/// A port match.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortMatch {
    /// An inclusive range (a single port is `n..=n`).
    Range(u16, u16),
    /// A named port, resolved against endpoint ports.
    Named(String),
}

impl std::fmt::Display for PortMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortMatch::Range(a, b) if a == b => write!(f, "{a}"),
            PortMatch::Range(a, b) => write!(f, "{a}:{b}"),
            PortMatch::Named(n) => f.write_str(n),
        }
    }
}

/// A Kubernetes Service named as a rule peer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// One end of a rule, ready to match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntityMatch {
    /// Address in any of these.
    pub nets: Vec<IpNet>,
    /// Address in none of these.
    pub not_nets: Vec<IpNet>,
    /// Address belongs to an entity this selector matches (namespace and not-selector folded
    /// in, as Felix does).
    pub selector: Option<Selector>,
    /// Address belongs to no entity this selector matches (only when there is no positive
    /// selector; matches non-Calico addresses too).
    pub not_selector: Option<Selector>,
    /// Port in any of these.
    pub ports: Vec<PortMatch>,
    /// Port in none of these.
    pub not_ports: Vec<PortMatch>,
    /// The peer is a Service's backends.
    pub service: Option<ServiceRef>,
}

impl EntityMatch {
    /// Whether the entity constrains nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == EntityMatch::default()
    }
}

/// A rule, ready to match.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Position in the policy's rule list for its direction.
    pub index: usize,
    /// The action.
    pub action: Action,
    /// 4 or 6.
    pub ip_version: Option<u8>,
    /// Protocol number.
    pub protocol: Option<u8>,
    /// Negated protocol number.
    pub not_protocol: Option<u8>,
    /// ICMP type and code.
    pub icmp: Option<(Option<u8>, Option<u8>)>,
    /// Negated ICMP type and code.
    pub not_icmp: Option<(Option<u8>, Option<u8>)>,
    /// Source match.
    pub source: EntityMatch,
    /// Destination match.
    pub destination: EntityMatch,
    /// The rule has an `http` part, which a layer 3/4 dataplane ignores.
    pub has_http: bool,
    /// The rule as written, for explanations.
    pub wire: WireRule,
}

/// A policy ready to evaluate and render.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Identity.
    pub id: PolicyId,
    /// Tier.
    pub tier: String,
    /// Order within the tier (none: last).
    pub order: Option<f64>,
    /// The endpoints it applies to.
    pub selector: Selector,
    /// Ingress rules, if the policy governs ingress.
    pub ingress: Option<Vec<Rule>>,
    /// Egress rules, if the policy governs egress.
    pub egress: Option<Vec<Rule>>,
    /// Untracked, pre-DNAT or normal.
    pub stage: Stage,
    /// Also for traffic forwarded through a host endpoint.
    pub apply_on_forward: bool,
    /// Staged policies are evaluated and reported, never enforced.
    pub staged: bool,
    /// Program on every node (`AssumeNeededOnEveryNode`).
    pub on_every_node: bool,
}

impl Policy {
    /// The rules for a direction, if the policy governs it.
    #[must_use]
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }

    /// Calico's order within a tier: order (none last), then `name/namespace/kind`.
    #[must_use]
    pub fn sort_key(&self) -> (OrderKey, String) {
        (OrderKey(self.order), self.id.sort_key())
    }
}

/// An order where "none" sorts after every number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderKey(pub Option<f64>);

impl Eq for OrderKey {}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self.0, other.0) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

/// Why a policy cannot be used (Felix treats such a policy as absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// The policy.
    pub id: PolicyId,
    /// Why.
    pub reason: String,
}

fn parse_selector(text: &str, what: &str) -> Result<Selector, String> {
    Selector::parse(text).map_err(|e| format!("{what} `{text}`: {e}"))
}

fn net(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    t.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an address or CIDR"))
}

fn port(p: &Port) -> PortMatch {
    match p {
        Port::Number(n) => PortMatch::Range(*n, *n),
        Port::Range(a, b) => PortMatch::Range(*a, *b),
        Port::Named(n) => PortMatch::Named(n.clone()),
    }
}

fn icmp(f: Option<&IcmpFields>) -> Option<(Option<u8>, Option<u8>)> {
    f.map(|f| {
        (
            f.icmp_type.and_then(|t| u8::try_from(t).ok()),
            f.code.and_then(|c| u8::try_from(c).ok()),
        )
    })
}

fn protocol(p: Option<&Protocol>) -> Result<Option<u8>, String> {
    match p {
        None => Ok(None),
        Some(p) => p
            .number()
            .map(Some)
            .ok_or_else(|| format!("unknown protocol `{p}`")),
    }
}

fn entity(er: &EntityRule, namespace: &str) -> Result<EntityMatch, String> {
    let (positive, negative) = translate::entity_rule_selectors(er, namespace);
    let (positive, negative) = translate::combine_matches(&positive, &negative);
    Ok(EntityMatch {
        nets: er.nets.iter().map(|n| net(n)).collect::<Result<_, _>>()?,
        not_nets: er
            .not_nets
            .iter()
            .map(|n| net(n))
            .collect::<Result<_, _>>()?,
        selector: (!positive.is_empty())
            .then(|| parse_selector(&positive, "rule selector"))
            .transpose()?,
        not_selector: (!negative.is_empty())
            .then(|| parse_selector(&negative, "rule notSelector"))
            .transpose()?,
        ports: er.ports.iter().map(port).collect(),
        not_ports: er.not_ports.iter().map(port).collect(),
        service: er.services.as_ref().map(|s| ServiceRef {
            namespace: if s.namespace.is_empty() {
                namespace.to_string()
            } else {
                s.namespace.clone()
            },
            name: s.name.clone(),
        }),
    })
}

/// Resolves one wire rule. `namespace` is the policy's (empty for global policies/profiles).
///
/// # Errors
/// A selector, network or protocol that cannot be used.
pub fn resolve_rule(index: usize, r: &WireRule, namespace: &str) -> Result<Rule, String> {
    Ok(Rule {
        index,
        action: r.action,
        ip_version: r.ip_version,
        protocol: protocol(r.protocol.as_ref())?,
        not_protocol: protocol(r.not_protocol.as_ref())?,
        icmp: icmp(r.icmp.as_ref()),
        not_icmp: icmp(r.not_icmp.as_ref()),
        source: entity(&r.source, namespace)?,
        destination: entity(&r.destination, namespace)?,
        has_http: r.http.is_some(),
        wire: r.clone(),
    })
}

fn rules(list: &[WireRule], namespace: &str) -> Result<Vec<Rule>, String> {
    list.iter()
        .enumerate()
        .map(|(i, r)| resolve_rule(i, r, namespace))
        .collect()
}

fn governed(types: &[PolicyType], ingress: &[WireRule], egress: &[WireRule]) -> (bool, bool) {
    // Defaulting gives every stored policy types; an object that skipped it follows the same rule.
    let types = if types.is_empty() {
        tortie_model::defaults::infer_types(ingress, egress)
    } else {
        types.to_vec()
    };
    (
        types.contains(&PolicyType::Ingress),
        types.contains(&PolicyType::Egress),
    )
}

fn tier_of(tier: &str) -> String {
    if tier.is_empty() {
        tortie_model::defaults::DEFAULT_TIER.to_string()
    } else {
        tier.to_string()
    }
}

/// Resolves a namespaced policy (enforced or staged).
///
/// # Errors
/// Why Felix would not use the policy.
pub fn resolve_namespaced(
    kind: PolicyKind,
    p: &Object<NetworkPolicySpec>,
    staged: Option<StagedAction>,
) -> Result<Option<Policy>, String> {
    if staged == Some(StagedAction::Delete) {
        return Ok(None);
    }
    let s = &p.spec;
    let ns = &p.metadata.namespace;
    let selector =
        translate::namespaced_policy_selector(ns, &s.selector, &s.service_account_selector);
    let (gi, ge) = governed(&s.types, &s.ingress, &s.egress);
    Ok(Some(Policy {
        id: PolicyId {
            kind,
            namespace: ns.clone(),
            name: p.metadata.name.clone(),
        },
        tier: tier_of(&s.tier),
        order: s.order,
        selector: parse_selector(&selector, "policy selector")?,
        ingress: gi.then(|| rules(&s.ingress, ns)).transpose()?,
        egress: ge.then(|| rules(&s.egress, ns)).transpose()?,
        stage: Stage::Normal,
        apply_on_forward: false,
        staged: kind.is_staged(),
        on_every_node: !s.performance_hints.is_empty(),
    }))
}

/// Resolves a global policy (enforced or staged).
///
/// # Errors
/// Why Felix would not use the policy.
pub fn resolve_global(
    kind: PolicyKind,
    p: &Object<GlobalNetworkPolicySpec>,
    staged: Option<StagedAction>,
) -> Result<Option<Policy>, String> {
    if staged == Some(StagedAction::Delete) {
        return Ok(None);
    }
    let s = &p.spec;
    let selector = translate::global_policy_selector(
        &s.selector,
        &s.namespace_selector,
        &s.service_account_selector,
    );
    let (gi, ge) = governed(&s.types, &s.ingress, &s.egress);
    let stage = if s.do_not_track {
        Stage::Untracked
    } else if s.pre_dnat {
        Stage::PreDnat
    } else {
        Stage::Normal
    };
    Ok(Some(Policy {
        id: PolicyId {
            kind,
            namespace: String::new(),
            name: p.metadata.name.clone(),
        },
        tier: tier_of(&s.tier),
        order: s.order,
        selector: parse_selector(&selector, "policy selector")?,
        ingress: gi.then(|| rules(&s.ingress, "")).transpose()?,
        // A pre-DNAT policy never has egress.
        egress: (ge && stage != Stage::PreDnat)
            .then(|| rules(&s.egress, ""))
            .transpose()?,
        stage,
        apply_on_forward: s.apply_on_forward || stage != Stage::Normal,
        staged: kind.is_staged(),
        on_every_node: !s.performance_hints.is_empty(),
    }))
}
