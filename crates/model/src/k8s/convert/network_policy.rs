//! Kubernetes NetworkPolicy -> Calico NetworkPolicy (Calico's `K8sNetworkPolicyToCalico`).

use std::collections::BTreeMap;
use std::fmt;

use super::ports::{k8s_port_to_calico, protocol_from_string, simplify_ports};
use super::selectors::{SelectorTarget, label_selector_to_calico};
use super::{KNP_NAME_PREFIX, KNP_ORDER, KNP_TIER, convert_uid};
use crate::k8s::network_policy::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, parse_k8s_cidr,
};
use crate::kinds::Object;
use crate::kinds::policy::{
    NetworkPolicySpec, StagedKubernetesNetworkPolicySpec, StagedNetworkPolicySpec,
};
use crate::meta::ObjectMeta;
use crate::numorstring::Port;
use crate::rule::{Action, EntityRule, PolicyType, Rule};

/// The original Kubernetes rule of a dropped rule.
#[derive(Clone, Debug, PartialEq)]
pub enum K8sRule {
    /// An ingress rule.
    Ingress(NetworkPolicyIngressRule),
    /// An egress rule.
    Egress(NetworkPolicyEgressRule),
}

/// A Kubernetes rule the converter could not convert and left out of the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct DroppedRule {
    /// The rule's direction.
    pub direction: PolicyType,
    /// The rule as written.
    pub rule: K8sRule,
    /// Calico's reason text (`k8s rule couldn't be converted: ...`).
    pub reason: String,
}

/// The result of converting a Kubernetes NetworkPolicy: the policy and the rules left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversion {
    /// The Calico policy (kind `NetworkPolicy`), without the dropped rules.
    pub policy: Object<NetworkPolicySpec>,
    /// Rules that could not be converted (Calico reports them as a conversion error).
    pub dropped: Vec<DroppedRule>,
}

impl Conversion {
    /// The conversion error Calico would return alongside the policy, if any rule was dropped.
    #[must_use]
    pub fn error(&self) -> Option<String> {
        if self.dropped.is_empty() {
            return None;
        }
        let rules: Vec<String> = self.dropped.iter().map(ToString::to_string).collect();
        Some(format!(
            "policy {}: {} rule(s) could not be converted: {}",
            self.policy.metadata.name,
            rules.len(),
            rules.join("; ")
        ))
    }
}

impl fmt::Display for DroppedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.direction {
            PolicyType::Ingress => "ingress",
            PolicyType::Egress => "egress",
        };
        write!(f, "{dir} rule: {}", self.reason)
    }
}

/// The result of converting a StagedKubernetesNetworkPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct StagedConversion {
    /// The Calico StagedNetworkPolicy, with the same staged action.
    pub policy: Object<StagedNetworkPolicySpec>,
    /// Rules that could not be converted.
    pub dropped: Vec<DroppedRule>,
}

/// The Calico entity fields of one Kubernetes peer (Calico's `k8sPeerToCalicoFields`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerFields {
    /// Pod selector text (empty for an ipBlock or no peer).
    pub selector: String,
    /// Namespace selector text (empty: the policy's namespace).
    pub namespace_selector: String,
    /// The ipBlock CIDR, re-masked.
    pub nets: Vec<String>,
    /// The ipBlock exceptions, re-masked.
    pub not_nets: Vec<String>,
}

/// The name kube-controllers gives a Kubernetes policy in etcd mode: `knp.default.<name>`.
#[must_use]
pub fn knp_name(k8s_name: &str) -> String {
    format!("{KNP_NAME_PREFIX}{k8s_name}")
}

/// The Kubernetes name inside a `knp.default.<name>` policy name.
#[must_use]
pub fn k8s_name_of_knp(name: &str) -> Option<&str> {
    name.strip_prefix(KNP_NAME_PREFIX)
}

/// Converts one peer; `None` (no peer) gives empty fields. An unparsable CIDR empties `nets`;
/// an unparsable exception stops the exception list there, as in Calico.
#[must_use]
pub fn peer_to_calico_fields(peer: Option<&NetworkPolicyPeer>) -> PeerFields {
    let Some(peer) = peer else {
        return PeerFields::default();
    };
    if let Some(block) = &peer.ip_block {
        let mut fields = PeerFields::default();
        let Some(cidr) = parse_k8s_cidr(&block.cidr) else {
            return fields;
        };
        fields.nets.push(cidr.trunc().to_string());
        for except in block.except.iter().flatten() {
            let Some(net) = parse_k8s_cidr(except) else {
                break;
            };
            fields.not_nets.push(net.trunc().to_string());
        }
        return fields;
    }
    PeerFields {
        selector: label_selector_to_calico(peer.pod_selector.as_ref(), SelectorTarget::Pod),
        namespace_selector: label_selector_to_calico(
            peer.namespace_selector.as_ref(),
            SelectorTarget::Namespace,
        ),
        nets: Vec::new(),
        not_nets: Vec::new(),
    }
}

/// Ports grouped by protocol key; `None` means every port of the protocol.
type ProtocolPorts = BTreeMap<String, Option<Vec<Port>>>;

fn group_ports(ports: &[NetworkPolicyPort]) -> Result<ProtocolPorts, String> {
    let mut groups = ProtocolPorts::new();
    if ports.is_empty() {
        // No ports: one rule with no protocol and no port match.
        groups.insert(String::new(), None);
        return Ok(groups);
    }
    for p in ports {
        let (protocol, port) =
            k8s_port_to_calico(p).map_err(|e| format!("failed to parse k8s port: {e}"))?;
        match (port, groups.get_mut(&protocol)) {
            (None, _) => {
                groups.insert(protocol, None);
            }
            (Some(port), None) => {
                groups.insert(protocol, Some(vec![port]));
            }
            (Some(port), Some(Some(list))) => list.push(port),
            // Already every port of this protocol.
            (Some(_), Some(None)) => {}
        }
    }
    Ok(groups)
}

/// Converts one Kubernetes rule into Calico rules: one per protocol group (sorted) per peer.
fn rule_to_calico(
    peers: &[NetworkPolicyPeer],
    ports: &[NetworkPolicyPort],
    ingress: bool,
) -> Result<Vec<Rule>, String> {
    let groups = group_ports(ports)?;
    let peers: Vec<Option<&NetworkPolicyPeer>> = if peers.is_empty() {
        vec![None]
    } else {
        peers.iter().map(Some).collect()
    };
    let mut rules = Vec::new();
    for (protocol, ports) in groups {
        let ports = simplify_ports(ports.unwrap_or_default());
        let protocol = (!protocol.is_empty()).then(|| protocol_from_string(&protocol));
        for peer in &peers {
            let f = peer_to_calico_fields(*peer);
            let peer_entity = EntityRule {
                nets: f.nets,
                selector: f.selector,
                namespace_selector: f.namespace_selector,
                not_nets: f.not_nets,
                ..EntityRule::default()
            };
            let mut rule = Rule::new(Action::Allow);
            rule.protocol = protocol.clone();
            if ingress {
                rule.source = peer_entity;
                rule.destination.ports = ports.clone();
            } else {
                rule.destination = EntityRule {
                    ports: ports.clone(),
                    ..peer_entity
                };
            }
            rules.push(rule);
        }
    }
    Ok(rules)
}

/// Converts a Kubernetes NetworkPolicy to the Calico NetworkPolicy Calico enforces for it: same
/// name and namespace, tier `default`, order 1000; unconvertible rules are left out and listed.
#[must_use]
pub fn network_policy_to_calico(np: &NetworkPolicy) -> Conversion {
    let (spec, dropped) = convert_spec(&np.spec);
    let meta = &np.metadata;
    let policy = Object {
        api_version: crate::kinds::CALICO_API_VERSION.to_string(),
        kind: "NetworkPolicy".to_string(),
        metadata: ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            creation_timestamp: meta.creation_timestamp.clone(),
            uid: convert_uid(&meta.uid).unwrap_or_default(),
            resource_version: meta.resource_version.clone(),
            ..ObjectMeta::default()
        },
        spec,
        status: None,
    };
    Conversion { policy, dropped }
}

fn convert_spec(
    spec: &crate::k8s::network_policy::NetworkPolicySpec,
) -> (NetworkPolicySpec, Vec<DroppedRule>) {
    let mut dropped = Vec::new();
    let reason = |e: String| format!("k8s rule couldn't be converted: {e}");
    let mut ingress = Vec::new();
    for r in spec.ingress.iter().flatten() {
        let peers = r.from.as_deref().unwrap_or_default();
        match rule_to_calico(peers, r.ports.as_deref().unwrap_or_default(), true) {
            Ok(rules) => ingress.extend(rules),
            Err(e) => dropped.push(DroppedRule {
                direction: PolicyType::Ingress,
                rule: K8sRule::Ingress(r.clone()),
                reason: reason(e),
            }),
        }
    }
    // Egress rules are converted whatever `policyTypes` says (Calico only warns).
    let mut egress = Vec::new();
    for r in spec.egress.iter().flatten() {
        let peers = r.to.as_deref().unwrap_or_default();
        match rule_to_calico(peers, r.ports.as_deref().unwrap_or_default(), false) {
            Ok(rules) => egress.extend(rules),
            Err(e) => dropped.push(DroppedRule {
                direction: PolicyType::Egress,
                rule: K8sRule::Egress(r.clone()),
                reason: reason(e),
            }),
        }
    }
    let listed = spec.policy_types.as_deref().unwrap_or_default();
    let mut types: Vec<PolicyType> = [PolicyType::Ingress, PolicyType::Egress]
        .into_iter()
        .filter(|t| listed.contains(t))
        .collect();
    if types.is_empty() {
        types.push(PolicyType::Ingress);
    }
    let out = NetworkPolicySpec {
        tier: KNP_TIER.to_string(),
        order: Some(KNP_ORDER),
        ingress,
        egress,
        selector: label_selector_to_calico(Some(&spec.pod_selector), SelectorTarget::Pod),
        types,
        ..NetworkPolicySpec::default()
    };
    (out, dropped)
}

/// Converts a StagedKubernetesNetworkPolicy to the StagedNetworkPolicy Calico evaluates for it
/// (same name and namespace, same staged action, rules converted as for a NetworkPolicy).
#[must_use]
pub fn staged_k8s_policy_to_calico(
    staged: &Object<StagedKubernetesNetworkPolicySpec>,
) -> StagedConversion {
    let mut np = NetworkPolicy::new(&staged.metadata.namespace, &staged.metadata.name);
    np.metadata.uid = staged.metadata.uid.clone();
    np.metadata.resource_version = staged.metadata.resource_version.clone();
    np.metadata.creation_timestamp = staged.metadata.creation_timestamp.clone();
    np.spec = staged.spec.to_enforced();
    let Conversion { policy, dropped } = network_policy_to_calico(&np);
    let s = policy.spec;
    let spec = StagedNetworkPolicySpec {
        staged_action: staged.spec.staged_action,
        tier: s.tier,
        order: s.order,
        ingress: s.ingress,
        egress: s.egress,
        selector: s.selector,
        types: s.types,
        service_account_selector: s.service_account_selector,
        performance_hints: s.performance_hints,
    };
    let policy = Object {
        api_version: policy.api_version,
        kind: "StagedNetworkPolicy".to_string(),
        metadata: policy.metadata,
        spec,
        status: None,
    };
    StagedConversion { policy, dropped }
}
