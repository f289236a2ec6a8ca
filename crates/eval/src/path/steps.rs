//! Walking a flow's path: one method per kind of source, each pushing the checkpoints it
//! crosses, stopping at the first that drops the packet.

use tortie_calc::{Direction, EntityId, Model};
use tortie_model::kinds::felix::EndpointToHostAction;

use super::host::HepResult;
use super::peers::{PeerKind, Resolved};
use super::service::{Dnat, find};
use super::{is_node_address, verdict_of};
use crate::chain::{ChainKind, DecidedBy, Outcome, View, evaluate, staged_policies_apply};
use crate::decision::{Decision, PeerSummary, PolicyRef, StagedStep, Step, StepVerdict};
use crate::flow::Packet;
use crate::topology::Topology;

/// Where a packet arriving at a node is going.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Final {
    /// The node itself.
    Host,
    /// A workload (on this node, or elsewhere after DNAT).
    Workload(EntityId),
}

pub(super) struct Walk<'m> {
    pub(super) model: &'m Model,
    topology: &'m dyn Topology,
    backend: Option<EntityId>,
    steps: Vec<Step>,
    staged: Vec<StagedStep>,
    notes: Vec<String>,
    stopped: bool,
}

fn rule_text(r: &tortie_calc::resolve::policy::Rule) -> String {
    serde_json::to_string(&r.wire).unwrap_or_default()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl<'m> Walk<'m> {
    pub(super) fn new(
        model: &'m Model,
        topology: &'m dyn Topology,
        backend: Option<EntityId>,
    ) -> Walk<'m> {
        Walk {
            model,
            topology,
            backend,
            steps: Vec::new(),
            staged: Vec::new(),
            notes: Vec::new(),
            stopped: false,
        }
    }

    pub(super) fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    pub(super) fn push(&mut self, step: Step) {
        if step.verdict == StepVerdict::Deny {
            self.stopped = true;
        }
        self.steps.push(step);
    }

    pub(super) fn finish(
        self,
        source: PeerSummary,
        destination: PeerSummary,
        traffic: String,
    ) -> Decision {
        Decision {
            verdict: verdict_of(&self.steps),
            source,
            destination,
            traffic,
            steps: self.steps,
            staged: self.staged,
            notes: self.notes,
        }
    }

    pub(super) fn endpoint_name(&self, id: &EntityId) -> Option<String> {
        Some(
            self.model
                .entity(id)
                .map_or_else(|| id.to_string(), |e| e.entity.source.clone()),
        )
    }

    /// Runs one chain, records the step (and the staged view where it differs), returns how it
    /// ended.
    pub(super) fn chain(
        &mut self,
        stage: &str,
        id: &EntityId,
        direction: Direction,
        kind: ChainKind,
        pkt: &Packet,
    ) -> Outcome {
        let result = evaluate(self.model, id, direction, kind, pkt, View::Enforced);
        let checkpoint = format!("{stage} {direction}");
        let endpoint = self.endpoint_name(id).unwrap_or_default();
        let verdict = match result.outcome {
            Outcome::Allow => StepVerdict::Allow,
            Outcome::Deny => StepVerdict::Deny,
            Outcome::Continue => StepVerdict::Continue,
        };
        let quiet = verdict == StepVerdict::Continue && result.selecting.is_empty();
        if !quiet {
            let mut step = Step::info(&checkpoint, pkt.to_string(), verdict, String::new());
            step.endpoint = Some(endpoint.clone());
            step.direction = Some(direction.to_string());
            step.logged.clone_from(&result.logged);
            self.describe(&mut step, &result.decided_by, &endpoint, direction, kind);
            self.push(step);
        }
        if staged_policies_apply(self.model, id, kind) {
            let staged = evaluate(self.model, id, direction, kind, pkt, View::Staged);
            if staged.outcome != result.outcome || staged.decided_by != result.decided_by {
                let mut s = Step::info(
                    &checkpoint,
                    pkt.to_string(),
                    StepVerdict::Info,
                    String::new(),
                );
                self.describe(&mut s, &staged.decided_by, &endpoint, direction, kind);
                self.staged.push(StagedStep {
                    checkpoint,
                    endpoint: Some(endpoint),
                    verdict: match staged.outcome {
                        Outcome::Allow => StepVerdict::Allow,
                        Outcome::Deny => StepVerdict::Deny,
                        Outcome::Continue => StepVerdict::Continue,
                    },
                    policy: s.policy,
                    tier: s.tier,
                    rule_index: s.rule_index,
                    reason: s.reason,
                });
            }
        }
        result.outcome
    }

    fn describe(
        &self,
        step: &mut Step,
        by: &DecidedBy,
        endpoint: &str,
        direction: Direction,
        kind: ChainKind,
    ) {
        match by {
            DecidedBy::Rule { tier, policy, rule } => {
                step.tier = Some(tier.clone());
                step.policy = Some(PolicyRef::from(policy));
                step.rule_index = Some(rule.index);
                step.rule = Some(rule_text(rule));
                step.layer7_ignored = rule.has_http;
                let verb = match rule.action {
                    tortie_model::rule::Action::Allow => "allows",
                    _ => "denies",
                };
                step.reason = format!(
                    "{direction} rule {} of {policy} (tier `{tier}`) {verb} it",
                    rule.index
                );
                if rule.has_http {
                    step.reason.push_str("; the rule's `http` part is layer 7 and is not enforced here, so the rule acts on its layer 3/4 part");
                }
            }
            DecidedBy::EndOfTier { tier, policies, .. } => {
                step.tier = Some(tier.clone());
                step.selected_by = policies.iter().map(PolicyRef::from).collect();
                let names: Vec<String> = policies.iter().map(ToString::to_string).collect();
                step.reason = format!(
                    "{} in tier `{tier}` {} {endpoint} for {direction} ({}) but no rule matched, so the tier's default action denies it: once a policy selects an endpoint, traffic it does not allow is denied",
                    plural(policies.len(), "policy", "policies"),
                    if policies.len() == 1 {
                        "selects"
                    } else {
                        "select"
                    },
                    names.join(", ")
                );
            }
            DecidedBy::ProfileRule { profile, rule } => {
                step.profile = Some(profile.clone());
                step.rule_index = Some(rule.index);
                step.rule = Some(rule_text(rule));
                let verb = if rule.action == tortie_model::rule::Action::Allow {
                    "allows"
                } else {
                    "denies"
                };
                step.reason = format!(
                    "no policy decided for {endpoint} ({direction}), so its profiles apply: rule {} of profile `{profile}` {verb} it",
                    rule.index
                );
            }
            DecidedBy::NoProfileAllowed {
                profiles,
                missing,
                passed_tiers,
            } => {
                let what = if profiles.is_empty() {
                    "it has no profile".to_string()
                } else {
                    format!("none of its profiles ({}) allows it", profiles.join(", "))
                };
                let miss = if missing.is_empty() {
                    String::new()
                } else {
                    let names = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>();
                    format!(
                        "; {} {} not exist, so {} nothing",
                        if names.len() == 1 {
                            "profile"
                        } else {
                            "profiles"
                        },
                        names.join(", ") + if names.len() == 1 { " does" } else { " do" },
                        if names.len() == 1 {
                            "it allows"
                        } else {
                            "they allow"
                        }
                    )
                };
                let passed = if passed_tiers.is_empty() {
                    String::new()
                } else {
                    format!("every tier passed ({}); then ", passed_tiers.join(", "))
                };
                step.reason = if kind == ChainKind::HostNormal
                    && profiles.is_empty()
                    && passed_tiers.is_empty()
                {
                    format!(
                        "{endpoint} has no policy for {direction} and no profile: Calico denies all traffic to and from a host endpoint except failsafe ports"
                    )
                } else {
                    format!(
                        "{passed}no policy decided for {endpoint} ({direction}), and {what}{miss}"
                    )
                };
            }
            DecidedBy::NoPolicy => {
                step.reason = match kind {
                    ChainKind::HostForward => format!(
                        "no applyOnForward policy applies to {endpoint}: forwarded traffic passes the host endpoint"
                    ),
                    _ => format!("no policy of this stage selects {endpoint}"),
                };
            }
            DecidedBy::AllTiersPassed(tiers) => {
                step.reason = format!(
                    "policies selected {endpoint} but none decided (tiers passed or matched nothing: {}); this stage never drops at the end of a tier, so the packet goes on",
                    tiers.join(", ")
                );
            }
        }
    }

    fn info(&mut self, checkpoint: &str, pkt: &Packet, verdict: StepVerdict, reason: String) {
        self.push(Step::info(checkpoint, pkt.to_string(), verdict, reason));
    }

    fn dnat(&mut self, pkt: &mut Packet, node_address: bool) -> Option<Dnat> {
        let d = find(
            self.model,
            pkt.dst_ip,
            pkt.dst_port,
            pkt.protocol,
            node_address,
            self.backend.as_ref(),
        )?;
        let before = pkt.to_string();
        pkt.dst_ip = d.ip;
        pkt.dst_port = d.port;
        pkt.dst_entity = Some(d.backend.entity.id.clone());
        let how = if d.via_node_port {
            "node port"
        } else {
            "address"
        };
        self.push(Step::info(
            "DNAT",
            format!("{before}  =>  {pkt}"),
            StepVerdict::Info,
            format!(
                "kube-proxy sends the Service {}/{} {how} to its backend {}{}",
                d.service.namespace,
                d.service.name,
                d.backend.entity.source,
                if d.backends == 1 {
                    " (its only backend)".to_string()
                } else {
                    format!(" (one of {})", d.backends)
                }
            ),
        ));
        if d.backends > 1 {
            self.note(format!("Service {}/{} has {} backends; this trace follows {} (choose another with --backend)", d.service.namespace, d.service.name, d.backends, d.backend.entity.source));
        }
        Some(d)
    }

    fn star_hep(&self, node: &str) -> Option<EntityId> {
        self.model
            .host_endpoints_on(node)
            .into_iter()
            .find(|e| e.entity.interface.as_deref() == Some("*"))
            .map(|e| e.entity.id.clone())
    }

    pub(super) fn walk_from_workload(&mut self, src: &Resolved, dst: &Resolved, mut pkt: Packet) {
        let src_id = src.workload().cloned().expect("a workload source");
        let own_node = src.node.clone();
        let mut dst_kind = dst.kind.clone();
        let mut dst_node = dst.node.clone();
        let node_address = own_node
            .as_deref()
            .is_some_and(|n| is_node_address(self.model, n, pkt.dst_ip));
        if let Some(d) = self.dnat(&mut pkt, node_address) {
            dst_kind = PeerKind::Workload(d.backend.entity.id.clone());
            dst_node.clone_from(&d.backend.entity.node);
        }
        if let PeerKind::Host { node, .. } = &dst_kind
            && own_node.as_deref() == Some(node)
        {
            return self.workload_to_own_host(&src_id, node, &pkt);
        }
        if self.chain(
            "source",
            &src_id,
            Direction::Egress,
            ChainKind::Workload,
            &pkt,
        ) != Outcome::Allow
        {
            return;
        }
        match (&dst_kind, &own_node, &dst_node) {
            (PeerKind::Workload(d), Some(a), Some(b)) if a == b => {
                self.chain(
                    "destination",
                    d,
                    Direction::Ingress,
                    ChainKind::Workload,
                    &pkt,
                );
            }
            (PeerKind::Workload(d), a, b) => {
                if let Some(a) = a {
                    self.leave_forwarded(a, &pkt);
                }
                match b {
                    Some(b) if !self.stopped => self.arrive(b, pkt, &Final::Workload(d.clone())),
                    _ if !self.stopped => {
                        self.chain(
                            "destination",
                            d,
                            Direction::Ingress,
                            ChainKind::Workload,
                            &pkt,
                        );
                    }
                    _ => {}
                }
            }
            (PeerKind::Host { node, .. }, a, _) => {
                if let Some(a) = a {
                    self.leave_forwarded(a, &pkt);
                }
                if !self.stopped {
                    self.arrive(node, pkt, &Final::Host);
                }
            }
            (PeerKind::External, a, _) => {
                if let Some(a) = a {
                    self.leave_forwarded(a, &pkt);
                }
                if !self.stopped {
                    self.info(
                        "leaves the cluster",
                        &pkt,
                        StepVerdict::Info,
                        "the destination is outside the cluster: no further Calico policy applies"
                            .into(),
                    );
                }
            }
        }
    }

    fn workload_to_own_host(&mut self, src: &EntityId, node: &str, pkt: &Packet) {
        if let Some(star) = self.star_hep(node)
            && self.chain(
                "pre-DNAT",
                &star,
                Direction::Ingress,
                ChainKind::HostPreDnat,
                pkt,
            ) == Outcome::Deny
        {
            return;
        }
        if self.chain("source", src, Direction::Egress, ChainKind::Workload, pkt) != Outcome::Allow
        {
            return;
        }
        let action = self.model.felix_for(node).default_endpoint_to_host_action();
        let (verdict, reason) = match action {
            EndpointToHostAction::Accept => (
                StepVerdict::Allow,
                "FelixConfiguration defaultEndpointToHostAction is Accept: the host accepts traffic from its own workloads",
            ),
            EndpointToHostAction::Drop => (
                StepVerdict::Deny,
                "FelixConfiguration defaultEndpointToHostAction is Drop (Felix's default): traffic from a workload to its own host is dropped after the workload's egress policy; set it to Accept (or Return) to allow it",
            ),
            EndpointToHostAction::Return => (
                StepVerdict::Allow,
                "FelixConfiguration defaultEndpointToHostAction is Return: the packet goes on to the host's INPUT chain, whose default Tortie takes to be ACCEPT; host endpoint policy does not apply to workload traffic",
            ),
        };
        self.info("endpoint-to-host", pkt, verdict, reason.into());
    }

    /// A packet forwarded out of `node`: the host endpoint it leaves through applies its
    /// applyOnForward egress policy.
    fn leave_forwarded(&mut self, node: &str, pkt: &Packet) {
        if let Some(hep) = self
            .topology
            .egress_hep(self.model, node, pkt.src_ip, pkt.dst_ip)
        {
            self.chain(
                "forward",
                &hep,
                Direction::Egress,
                ChainKind::HostForward,
                pkt,
            );
        }
    }

    /// A packet arriving at `node` from the network.
    pub(super) fn arrive(&mut self, node: &str, mut pkt: Packet, target: &Final) {
        let hep = self
            .topology
            .ingress_hep(self.model, node, pkt.src_ip, pkt.dst_ip);
        let mut early = HepResult::Continue;
        if let Some(h) = &hep {
            early = self.hep_ingress_early(node, h, &pkt);
            if early == HepResult::Denied {
                return;
            }
        }
        let mut target = target.clone();
        if target == Final::Host {
            let untracked = matches!(early, HepResult::AcceptedEarly { untracked: true });
            let node_address = is_node_address(self.model, node, pkt.dst_ip);
            if untracked {
                if let Some(d) = find(
                    self.model,
                    pkt.dst_ip,
                    pkt.dst_port,
                    pkt.protocol,
                    node_address,
                    None,
                ) {
                    self.note(format!(
                        "the packet is untracked, so kube-proxy cannot DNAT it to Service {}/{} (NAT needs conntrack): it is delivered to the host as addressed; a load balancer that forwards without conntrack (IPVS direct return, as IKS NLB 2.0) works outside what this trace models",
                        d.service.namespace, d.service.name
                    ));
                }
            } else if let Some(d) = self.dnat(&mut pkt, node_address) {
                target = Final::Workload(d.backend.entity.id.clone());
            }
        }
        let accepted = matches!(early, HepResult::AcceptedEarly { .. });
        match &target {
            Final::Host => match &hep {
                Some(h) if accepted => {
                    let mut s = Step::info("host ingress", pkt.to_string(), StepVerdict::Allow, "already accepted by untracked or pre-DNAT policy: normal host endpoint policy is skipped".into());
                    s.endpoint = self.endpoint_name(h);
                    self.push(s);
                }
                Some(h) => {
                    self.hep_ingress_host(node, h, &pkt);
                }
                None => self.info(
                    "host ingress",
                    &pkt,
                    StepVerdict::Allow,
                    format!("no host endpoint governs this interface of node {node}: traffic to the host is not policed"),
                ),
            },
            Final::Workload(w) => {
                match &hep {
                    Some(h) if accepted => {
                        let mut s = Step::info("forward ingress", pkt.to_string(), StepVerdict::Allow, "already accepted by untracked or pre-DNAT policy: the host endpoint's applyOnForward ingress policy is skipped".into());
                        s.endpoint = self.endpoint_name(h);
                        s.direction = Some("ingress".into());
                        self.push(s);
                    }
                    Some(h)
                        if self.chain("forward", h, Direction::Ingress, ChainKind::HostForward, &pkt)
                            == Outcome::Deny =>
                    {
                        return;
                    }
                    _ => {}
                }
                let backend_node = self.model.entity(w).and_then(|e| e.entity.node.clone());
                match backend_node {
                    Some(b) if b != node => self.forward_to_other_node(node, &b, w, pkt.clone()),
                    _ => {
                        self.chain("destination", w, Direction::Ingress, ChainKind::Workload, &pkt);
                    }
                }
            }
        }
        if let (Some(h), HepResult::AcceptedEarly { untracked: true }) = (&hep, early)
            && !self.stopped
        {
            self.untracked_reply(node, h, &pkt, Direction::Egress);
        }
    }

    /// kube-proxy forwarded the packet to a backend on another node; with
    /// `externalTrafficPolicy: Cluster` it also rewrites the source to this node's address.
    fn forward_to_other_node(
        &mut self,
        node: &str,
        backend_node: &str,
        w: &EntityId,
        mut pkt: Packet,
    ) {
        self.leave_forwarded(node, &pkt);
        if self.stopped {
            return;
        }
        let node_ip = self.node_source_address(node, &pkt);
        let before = pkt.to_string();
        pkt.src_ip = node_ip;
        pkt.src_entity = None;
        self.push(Step::info(
            "SNAT",
            format!("{before}  =>  {pkt}"),
            StepVerdict::Info,
            format!("the backend is on node {backend_node}: kube-proxy masquerades the source as node {node} (externalTrafficPolicy Cluster), so the backend's policy sees the node's address"),
        ));
        self.arrive(backend_node, pkt, &Final::Workload(w.clone()));
    }

    fn node_source_address(&self, node: &str, pkt: &Packet) -> Option<std::net::IpAddr> {
        let v6 = pkt.dst_ip.is_some_and(|i| i.is_ipv6());
        let hep = self.topology.egress_hep(self.model, node, None, pkt.dst_ip);
        hep.and_then(|h| self.model.entity(&h))
            .and_then(|e| {
                e.entity
                    .addresses
                    .iter()
                    .map(ipnet::IpNet::addr)
                    .find(|a| a.is_ipv6() == v6)
            })
            .or_else(|| {
                self.model
                    .node(node)
                    .and_then(|n| n.addresses.iter().copied().find(|a| a.is_ipv6() == v6))
            })
    }

    pub(super) fn walk_from_host(&mut self, src: &Resolved, dst: &Resolved, mut pkt: Packet) {
        let PeerKind::Host { node, hep } = &src.kind else {
            return;
        };
        let mut dst_kind = dst.kind.clone();
        let mut dst_node = dst.node.clone();
        if let Some(d) = self.dnat(&mut pkt, false) {
            dst_kind = PeerKind::Workload(d.backend.entity.id.clone());
            dst_node.clone_from(&d.backend.entity.node);
        }
        if dst_node.as_deref() == Some(node.as_str()) {
            let reason = if matches!(dst_kind, PeerKind::Workload(_)) {
                "traffic from a host to its own workloads is not policed (Calico applies a workload's ingress policy only to traffic it forwards)"
            } else {
                "the packet stays on the host"
            };
            self.info("local", &pkt, StepVerdict::Allow, reason.into());
            return;
        }
        let egress = hep.clone().or_else(|| {
            self.topology
                .egress_hep(self.model, node, pkt.src_ip, pkt.dst_ip)
        });
        let mut untracked = None;
        match &egress {
            Some(h) => match self.hep_egress_host(node, h, &pkt) {
                HepResult::Denied => return,
                HepResult::AcceptedEarly { untracked: true } => untracked = Some(h.clone()),
                _ => {}
            },
            None => self.info(
                "host egress",
                &pkt,
                StepVerdict::Allow,
                format!("no host endpoint governs the interface node {node} sends this on: traffic from the host is not policed"),
            ),
        }
        match (&dst_kind, dst_node) {
            (PeerKind::Workload(d), Some(b)) => {
                self.arrive(&b, pkt.clone(), &Final::Workload(d.clone()))
            }
            (PeerKind::Workload(d), None) => {
                self.chain(
                    "destination",
                    d,
                    Direction::Ingress,
                    ChainKind::Workload,
                    &pkt,
                );
            }
            (PeerKind::Host { node: b, .. }, _) => self.arrive(b, pkt.clone(), &Final::Host),
            (PeerKind::External, _) => {}
        }
        if let Some(h) = untracked
            && !self.stopped
        {
            self.untracked_reply(node, &h, &pkt, Direction::Ingress);
        }
    }

    pub(super) fn walk_from_external(&mut self, dst: &Resolved, pkt: Packet) {
        match (&dst.kind, &dst.node) {
            (PeerKind::Workload(d), Some(n)) => self.arrive(n, pkt, &Final::Workload(d.clone())),
            (PeerKind::Workload(d), None) => {
                self.chain(
                    "destination",
                    d,
                    Direction::Ingress,
                    ChainKind::Workload,
                    &pkt,
                );
            }
            (PeerKind::Host { node, .. }, _) => self.arrive(node, pkt, &Final::Host),
            (PeerKind::External, _) => {
                let vip_node = pkt
                    .dst_ip
                    .and_then(|ip| self.topology.node_for(self.model, ip));
                match vip_node {
                    Some(n) => self.arrive(&n, pkt, &Final::Host),
                    None => self.info(
                        "not policed",
                        &pkt,
                        StepVerdict::Allow,
                        "neither end is a Calico endpoint or node, so no Calico policy applies (for a load balancer address, say which node receives it with --via hep/NAME)".into(),
                    ),
                }
            }
        }
    }
}
