//! Host endpoint stages: untracked (raw), pre-DNAT (mangle), then normal or forward (filter),
//! with failsafe ports first in each, and the accept mark that lets a packet allowed early skip
//! the later host-endpoint stages.

use std::net::IpAddr;

use tortie_calc::{Direction, EntityId};
use tortie_model::kinds::felix::ProtoPort;

use super::steps::Walk;
use crate::chain::{ChainKind, Outcome};
use crate::decision::{Step, StepVerdict};
use crate::flow::Packet;

/// How a host endpoint's stages ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HepResult {
    /// Dropped.
    Denied,
    /// Allowed by an untracked or pre-DNAT rule (later host-endpoint stages are skipped);
    /// `untracked` says conntrack was bypassed.
    AcceptedEarly {
        /// The packet was not tracked.
        untracked: bool,
    },
    /// Let on to the later stages.
    Continue,
}

fn net_ok(p: &ProtoPort, ip: Option<IpAddr>) -> bool {
    match p.network() {
        None => true,
        Some(Ok(net)) => ip.is_some_and(|ip| net.contains(&ip)),
        Some(Err(_)) => false,
    }
}

/// Which failsafe entry lets the packet through, if any. Inbound entries match the
/// destination port (and source net); outbound entries match the destination port (and
/// destination net). In the raw table (`replies`) both lists also match the source port, so
/// replies pass before connection tracking.
fn failsafe(
    inbound: &[ProtoPort],
    outbound: &[ProtoPort],
    pkt: &Packet,
    direction: Direction,
    replies: bool,
) -> Option<String> {
    let (primary, other) = match direction {
        Direction::Ingress => (inbound, outbound),
        Direction::Egress => (outbound, inbound),
    };
    let peer_ip = match direction {
        Direction::Ingress => pkt.src_ip,
        Direction::Egress => pkt.dst_ip,
    };
    for p in primary {
        if p.protocol_number() == Some(pkt.protocol)
            && pkt.dst_port == Some(p.port)
            && net_ok(p, peer_ip)
        {
            return Some(format!(
                "{}:{}",
                p.effective_protocol().unwrap_or("TCP").to_lowercase(),
                p.port
            ));
        }
    }
    if replies {
        for p in primary.iter().chain(other) {
            if p.protocol_number() == Some(pkt.protocol) && pkt.src_port == Some(p.port) {
                return Some(format!(
                    "{}:{} (a reply)",
                    p.effective_protocol().unwrap_or("TCP").to_lowercase(),
                    p.port
                ));
            }
        }
    }
    None
}

impl Walk<'_> {
    fn failsafe_step(
        &mut self,
        node: &str,
        hep: &EntityId,
        stage: &str,
        pkt: &Packet,
        direction: Direction,
        replies: bool,
    ) -> bool {
        let felix = self.model.felix_for(node);
        let (inbound, outbound) = (
            felix.failsafe_inbound_host_ports(),
            felix.failsafe_outbound_host_ports(),
        );
        let Some(port) = failsafe(&inbound, &outbound, pkt, direction, replies) else {
            return false;
        };
        let mut step = Step::info(
            &format!("{stage} {direction} (failsafe)"),
            pkt.to_string(),
            StepVerdict::Allow,
            format!(
                "failsafe port {port}: Felix always allows it at host endpoints, before any policy, so that a host cannot be locked out (FelixConfiguration failsafe{}HostPorts)",
                if direction == Direction::Ingress {
                    "Inbound"
                } else {
                    "Outbound"
                }
            ),
        );
        step.endpoint = self.endpoint_name(hep);
        step.direction = Some(direction.to_string());
        self.push(step);
        true
    }

    fn is_star(&self, hep: &EntityId) -> bool {
        self.model
            .entity(hep)
            .is_some_and(|e| e.entity.interface.as_deref() == Some("*"))
    }

    /// The untracked and pre-DNAT stages of a host endpoint for a packet arriving on it.
    pub(super) fn hep_ingress_early(
        &mut self,
        node: &str,
        hep: &EntityId,
        pkt: &Packet,
    ) -> HepResult {
        // doNotTrack policy is not supported on the all-interfaces host endpoint.
        // A raw-table failsafe accepts in raw only: the packet still meets the pre-DNAT stage
        // (whose own failsafe, or conntrack for a reply, lets it on), as in the dataplane.
        if !self.is_star(hep)
            && !self.failsafe_step(node, hep, "untracked", pkt, Direction::Ingress, true)
        {
            match self.chain(
                "untracked",
                hep,
                Direction::Ingress,
                ChainKind::HostUntracked,
                pkt,
            ) {
                Outcome::Deny => return HepResult::Denied,
                Outcome::Allow => return HepResult::AcceptedEarly { untracked: true },
                Outcome::Continue => {}
            }
        }
        if self.failsafe_step(node, hep, "pre-DNAT", pkt, Direction::Ingress, false) {
            return HepResult::Continue;
        }
        match self.chain(
            "pre-DNAT",
            hep,
            Direction::Ingress,
            ChainKind::HostPreDnat,
            pkt,
        ) {
            Outcome::Deny => HepResult::Denied,
            Outcome::Allow => HepResult::AcceptedEarly { untracked: false },
            Outcome::Continue => HepResult::Continue,
        }
    }

    /// Normal host-endpoint ingress for a packet addressed to the host.
    pub(super) fn hep_ingress_host(&mut self, node: &str, hep: &EntityId, pkt: &Packet) -> bool {
        if self.failsafe_step(node, hep, "host", pkt, Direction::Ingress, false) {
            return true;
        }
        self.chain("host", hep, Direction::Ingress, ChainKind::HostNormal, pkt) == Outcome::Allow
    }

    /// Host-endpoint egress for a packet the host sends: untracked, then normal.
    pub(super) fn hep_egress_host(
        &mut self,
        node: &str,
        hep: &EntityId,
        pkt: &Packet,
    ) -> HepResult {
        // A raw-table failsafe accepts without NOTRACK: the filter table's failsafe (or, for a
        // reply, conntrack) accepts the packet again.
        let mut raw_failsafe = false;
        if !self.is_star(hep) {
            raw_failsafe = self.failsafe_step(node, hep, "untracked", pkt, Direction::Egress, true);
            if !raw_failsafe {
                match self.chain(
                    "untracked",
                    hep,
                    Direction::Egress,
                    ChainKind::HostUntracked,
                    pkt,
                ) {
                    Outcome::Deny => return HepResult::Denied,
                    Outcome::Allow => return HepResult::AcceptedEarly { untracked: true },
                    Outcome::Continue => {}
                }
            }
        }
        if self.failsafe_step(node, hep, "host", pkt, Direction::Egress, false) || raw_failsafe {
            return HepResult::Continue;
        }
        match self.chain("host", hep, Direction::Egress, ChainKind::HostNormal, pkt) {
            Outcome::Allow => HepResult::Continue,
            _ => HepResult::Denied,
        }
    }

    /// A reply to an untracked packet is not tracked either: it must be allowed by untracked
    /// policy (or a failsafe) of the same host endpoint in the other direction.
    pub(super) fn untracked_reply(
        &mut self,
        node: &str,
        hep: &EntityId,
        request: &Packet,
        reply_direction: Direction,
    ) {
        let reply = request.reply();
        if self.failsafe_step(node, hep, "untracked reply", &reply, reply_direction, true) {
            return;
        }
        let outcome = self.chain(
            "untracked reply",
            hep,
            reply_direction,
            ChainKind::HostUntracked,
            &reply,
        );
        if outcome == Outcome::Continue {
            let mut step = Step::info(
                &format!("untracked reply {reply_direction}"),
                reply.to_string(),
                StepVerdict::Deny,
                "the request was not tracked (doNotTrack), so its reply is not part of a known connection: untracked policy must allow the reply explicitly, and none does; conntrack then finds the reply INVALID and it is dropped".into(),
            );
            step.endpoint = self.endpoint_name(hep);
            step.direction = Some(reply_direction.to_string());
            self.push(step);
        }
    }
}
