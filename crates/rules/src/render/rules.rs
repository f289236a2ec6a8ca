//! One Calico rule as nftables rules. A rule renders once when nothing in it depends on the
//! address family, else once per family it can match (its `ipVersion`, the families of its
//! nets, ICMP vs ICMPv6); networks of the other family are left out, so they never match.
//! Where Calico's rule is a disjunction that one nft rule cannot say (numeric and named ports
//! together; `notICMP` with a code), it becomes several rules, each with the same verdict.

use ipnet::IpNet;
use tortie_calc::resolve::policy::{EntityMatch, PortMatch, Rule};
use tortie_model::rule::Action;

use super::sets::SetBook;
use crate::ir::{End, Family, LOG_GROUP, Match, Rule as NftRule, Stmt};
use crate::names::{MARK_ACCEPT, MARK_PASS, MARK_SCRATCH};

/// Protocols whose header starts with source and destination ports.
const PORT_PROTOCOLS: [u8; 4] = [6, 17, 132, 136];

/// Where the rule lives, which decides what its verdicts do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A policy chain: Allow marks and returns, Pass marks and returns.
    Policy,
    /// A profile chain: Allow marks and returns, Pass goes on to the next profile.
    Profile,
}

fn families_of(rule: &Rule) -> Vec<Family> {
    let mut fams: Vec<Family> = match rule.ip_version {
        Some(4) => vec![Family::V4],
        Some(6) => vec![Family::V6],
        _ => Family::BOTH.to_vec(),
    };
    for nets in [&rule.source.nets, &rule.destination.nets] {
        if !nets.is_empty() {
            fams.retain(|f| nets.iter().any(|n| Family::of(n) == *f));
        }
    }
    if rule.icmp.is_some() || rule.not_icmp.is_some() {
        match rule.protocol {
            Some(1) => fams.retain(|f| *f == Family::V4),
            Some(58) => fams.retain(|f| *f == Family::V6),
            _ => {}
        }
    }
    fams
}

fn end_needs_family(em: &EntityMatch) -> bool {
    !em.nets.is_empty()
        || !em.not_nets.is_empty()
        || em.selector.is_some()
        || em.not_selector.is_some()
        || em.service.is_some()
        || em
            .ports
            .iter()
            .chain(&em.not_ports)
            .any(|p| matches!(p, PortMatch::Named(_)))
}

fn needs_family(rule: &Rule) -> bool {
    rule.ip_version.is_some()
        || rule.icmp.is_some()
        || rule.not_icmp.is_some()
        || end_needs_family(&rule.source)
        || end_needs_family(&rule.destination)
}

/// Alternatives: the rule matches if all of `common` and one of the alternative groups hold.
type Alternatives = Vec<Vec<Match>>;

fn icmp_family(protocol: Option<u8>) -> Family {
    if protocol == Some(58) {
        Family::V6
    } else {
        Family::V4
    }
}

fn icmp_matches(rule: &Rule, out: &mut Vec<Match>, alts: &mut Vec<Alternatives>) {
    let family = icmp_family(rule.protocol);
    if let Some((Some(t), code)) = rule.icmp {
        out.push(Match::Icmp {
            family,
            icmp_type: t,
            code,
            negated: false,
        });
    }
    match rule.not_icmp {
        Some((Some(t), None)) => out.push(Match::Icmp {
            family,
            icmp_type: t,
            code: None,
            negated: true,
        }),
        // Not (type T and code C): another type, or type T with another code.
        Some((Some(t), Some(c))) => alts.push(vec![
            vec![Match::Icmp {
                family,
                icmp_type: t,
                code: None,
                negated: true,
            }],
            vec![Match::Icmp {
                family,
                icmp_type: t,
                code: Some(c),
                negated: true,
            }],
        ]),
        _ => {}
    }
}

fn ranges(ports: &[PortMatch]) -> Vec<(u16, u16)> {
    ports
        .iter()
        .filter_map(|p| match p {
            PortMatch::Range(a, b) => Some((*a, *b)),
            PortMatch::Named(_) => None,
        })
        .collect()
}

fn named(ports: &[PortMatch]) -> Vec<&str> {
    ports
        .iter()
        .filter_map(|p| match p {
            PortMatch::Named(n) => Some(n.as_str()),
            PortMatch::Range(..) => None,
        })
        .collect()
}

struct EndCtx<'a, 'm> {
    book: &'a mut SetBook<'m>,
    family: Option<Family>,
    protocol: Option<u8>,
}

impl EndCtx<'_, '_> {
    fn nets(&self, nets: &[IpNet]) -> Vec<IpNet> {
        nets.iter()
            .filter(|n| self.family.is_none_or(|f| Family::of(n) == f))
            .copied()
            .collect()
    }

    /// The conditions one end adds; `None` when it can never match in this family.
    fn end(
        &mut self,
        em: &EntityMatch,
        end: End,
        out: &mut Vec<Match>,
        alts: &mut Vec<Alternatives>,
    ) -> Option<()> {
        let family = self.family;
        if !em.nets.is_empty() {
            let nets = self.nets(&em.nets);
            let f = family?;
            out.push(Match::Addr {
                end,
                family: f,
                nets,
                negated: false,
            });
        }
        let not_nets = self.nets(&em.not_nets);
        if let (false, Some(f)) = (not_nets.is_empty(), family) {
            out.push(Match::Addr {
                end,
                family: f,
                nets: not_nets,
                negated: true,
            });
        }
        if let Some(sel) = &em.selector {
            let f = family?;
            let set = self.book.selector(sel, f);
            out.push(Match::AddrSet {
                end,
                family: f,
                set,
                negated: false,
            });
        }
        if let Some(sel) = &em.not_selector {
            let f = family?;
            let set = self.book.selector(sel, f);
            out.push(Match::AddrSet {
                end,
                family: f,
                set,
                negated: true,
            });
        }
        if let Some(svc) = &em.service {
            let f = family?;
            match end {
                End::Source => {
                    let set = self.book.service_sources(svc, f);
                    out.push(Match::AddrSet {
                        end,
                        family: f,
                        set,
                        negated: false,
                    });
                }
                End::Destination => {
                    let set = self.book.service_destinations(svc, f);
                    out.push(Match::AddrProtoPortSet {
                        end,
                        family: f,
                        set,
                        negated: false,
                    });
                }
            }
        }
        // Positive ports: numeric ranges or named ports (one of them).
        let (pos_ranges, pos_named) = (ranges(&em.ports), named(&em.ports));
        let mut choices: Alternatives = Vec::new();
        if !pos_ranges.is_empty() {
            choices.push(vec![Match::Port {
                end,
                ranges: pos_ranges,
                negated: false,
            }]);
        }
        for n in pos_named {
            let f = family?;
            let set = self
                .book
                .named_port(em.selector.as_ref(), n, self.protocol, f);
            choices.push(vec![Match::AddrProtoPortSet {
                end,
                family: f,
                set,
                negated: false,
            }]);
        }
        match choices.len() {
            0 => {}
            1 => out.extend(choices.remove(0)),
            _ => alts.push(choices),
        }
        // Negative ports: none of them.
        let neg_ranges = ranges(&em.not_ports);
        if !neg_ranges.is_empty() {
            out.push(Match::Port {
                end,
                ranges: neg_ranges,
                negated: true,
            });
        }
        for n in named(&em.not_ports) {
            let f = family?;
            let set = self
                .book
                .named_port(em.selector.as_ref(), n, self.protocol, f);
            out.push(Match::AddrProtoPortSet {
                end,
                family: f,
                set,
                negated: true,
            });
        }
        Some(())
    }
}

fn has_ports(em: &EntityMatch) -> bool {
    !em.ports.is_empty() || !em.not_ports.is_empty() || em.service.is_some()
}

/// Every combination of one group from each alternative list.
fn expand(alts: &[Alternatives]) -> Vec<Vec<Match>> {
    let mut combos: Vec<Vec<Match>> = vec![Vec::new()];
    for choice in alts {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                choice.iter().map(move |group| {
                    let mut c = prefix.clone();
                    c.extend(group.iter().cloned());
                    c
                })
            })
            .collect();
    }
    combos
}

fn verdict(action: Action, owner: Owner, log_prefix: &str) -> Vec<Stmt> {
    match (action, owner) {
        (Action::Allow, _) => vec![Stmt::SetMark(MARK_ACCEPT), Stmt::Return],
        (Action::Deny, _) => vec![Stmt::Drop],
        (Action::Pass, Owner::Policy) => vec![Stmt::SetMark(MARK_PASS), Stmt::Return],
        (Action::Pass, Owner::Profile) => vec![Stmt::Return],
        (Action::Log, _) => vec![Stmt::Log {
            prefix: log_prefix.to_string(),
            group: LOG_GROUP,
        }],
    }
}

/// The nft rules for one Calico rule. `label` names it in comments.
pub fn render_rule(
    book: &mut SetBook<'_>,
    rule: &Rule,
    owner: Owner,
    label: &str,
    log_prefix: &str,
) -> Vec<NftRule> {
    let families: Vec<Option<Family>> = if needs_family(rule) {
        families_of(rule).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    let mut alternatives: Vec<Vec<Match>> = Vec::new();
    for family in families {
        let mut common = Vec::new();
        let mut alts: Vec<Alternatives> = Vec::new();
        if let Some(f) = family {
            common.push(Match::Family(f));
        }
        if let Some(p) = rule.protocol {
            common.push(Match::L4Proto {
                protocols: vec![p],
                negated: false,
            });
        } else if has_ports(&rule.source) || has_ports(&rule.destination) {
            // A port match reads the transport header: only for protocols that have ports.
            common.push(Match::L4Proto {
                protocols: PORT_PROTOCOLS.to_vec(),
                negated: false,
            });
        }
        if let Some(p) = rule.not_protocol {
            common.push(Match::L4Proto {
                protocols: vec![p],
                negated: true,
            });
        }
        icmp_matches(rule, &mut common, &mut alts);
        let mut ctx = EndCtx {
            book,
            family,
            protocol: rule.protocol,
        };
        if ctx
            .end(&rule.source, End::Source, &mut common, &mut alts)
            .is_none()
            || ctx
                .end(&rule.destination, End::Destination, &mut common, &mut alts)
                .is_none()
        {
            continue;
        }
        for extra in expand(&alts) {
            let mut m = common.clone();
            m.extend(extra);
            alternatives.push(m);
        }
    }
    let stmts = verdict(rule.action, owner, log_prefix);
    let comment = format!("{label} {:?}", rule.action);
    if alternatives.len() > 1 && rule.action == Action::Log {
        // Log once even if several alternatives match: mark, then log the mark.
        let mut out: Vec<NftRule> = alternatives
            .into_iter()
            .map(|m| NftRule::new(m, vec![Stmt::SetMark(MARK_SCRATCH)]).with_comment(&comment))
            .collect();
        let mut last = stmts;
        last.insert(0, Stmt::ClearMark(MARK_SCRATCH));
        out.push(
            NftRule::new(
                vec![Match::Mark {
                    mask: MARK_SCRATCH,
                    value: MARK_SCRATCH,
                    negated: false,
                }],
                last,
            )
            .with_comment(&comment),
        );
        return out;
    }
    alternatives
        .into_iter()
        .map(|m| NftRule::new(m, stmts.clone()).with_comment(&comment))
        .collect()
}
