//! One IR rule as iptables rules for one family. A match iptables cannot say in one rule
//! becomes alternatives (one rule each); a statement list becomes one rule per target, as
//! Felix writes it: `-j MARK --set-xmark` then `-m mark --mark … -j RETURN`.

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::names::{self, chain_name, inline_set, net_members, set_name};
use super::{IpSet, IpSetKind, XtError, XtRule};
use crate::ir::{CtState, End, Family, Match, Rule, Ruleset, Stmt};
use crate::names::{MARK_SCRATCH, short_hash};

/// multiport takes at most fifteen ports; a range counts as two.
const MULTIPORT_SLOTS: usize = 15;
/// NFLOG prefixes are at most 64 bytes with the NUL.
const MAX_NFLOG_PREFIX: usize = 63;

/// One condition as iptables says it.
enum Frag {
    /// Always true (said by the table's family, or a match on everything).
    Always,
    /// Never true in this family: the rule is left out.
    Never,
    /// One piece of rule text.
    One(String),
    /// One of these holds (a rule each).
    Any(Vec<String>),
}

/// What a target does to the rules after it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Logs or untracks: changes nothing a match reads.
    Neutral,
    /// Sets mark bits.
    Sets(u32),
    /// Clears mark bits.
    Clears(u32),
    /// Ends (or leaves) the rule: jump, goto, accept, drop, return.
    Final,
}

/// Translates the rules of one ruleset for one family, collecting the sets it invents.
pub struct Translator<'r> {
    rs: &'r Ruleset,
    family: Family,
    /// Sets made for matches on several networks.
    pub inline_sets: BTreeMap<String, IpSet>,
    /// Which ends of the current rule already have their one `-s` / `-d`.
    plain_used: [bool; 2],
}

fn end_flags(end: End) -> (&'static str, &'static str, &'static str) {
    match end {
        End::Source => ("-s", "src", "--sports"),
        End::Destination => ("-d", "dst", "--dports"),
    }
}

fn not(negated: bool) -> &'static str {
    if negated { "! " } else { "" }
}

/// Port ranges in multiport lists of at most fifteen slots.
fn port_lists(ranges: &[(u16, u16)]) -> Vec<String> {
    let mut lists = Vec::new();
    let (mut current, mut used) = (Vec::new(), 0);
    for &(a, b) in ranges {
        let (text, slots) = if a == b {
            (a.to_string(), 1)
        } else {
            (format!("{a}:{b}"), 2)
        };
        if used + slots > MULTIPORT_SLOTS {
            lists.push(std::mem::take(&mut current).join(","));
            used = 0;
        }
        current.push(text);
        used += slots;
    }
    if !current.is_empty() {
        lists.push(current.join(","));
    }
    lists
}

fn icmp(family: Family, icmp_type: u8, code: Option<u8>, negated: bool) -> String {
    let (module, flag) = match family {
        Family::V4 => ("icmp", "--icmp-type"),
        Family::V6 => ("icmp6", "--icmpv6-type"),
    };
    match (code, negated) {
        (None, _) => format!("-m {module} {}{flag} {icmp_type}", not(negated)),
        (Some(c), false) => format!("-m {module} {flag} {icmp_type}/{c}"),
        // Type T with another code: type T, and not (T, C).
        (Some(c), true) => {
            format!("-m {module} {flag} {icmp_type} -m {module} ! {flag} {icmp_type}/{c}")
        }
    }
}

fn ifname(name: &str) -> String {
    match name.strip_suffix('*') {
        Some(prefix) => format!("{prefix}+"),
        None => name.to_string(),
    }
}

/// The family a rule is for, if its matches say.
fn rule_family(rule: &Rule) -> Option<Family> {
    rule.matches.iter().find_map(|m| match m {
        Match::Family(f)
        | Match::Addr { family: f, .. }
        | Match::AddrSet { family: f, .. }
        | Match::AddrProtoPortSet { family: f, .. }
        | Match::Icmp { family: f, .. } => Some(*f),
        Match::Icmpv6Types(_) => Some(Family::V6),
        _ => None,
    })
}

fn quote(text: &str, max: usize) -> String {
    let mut t = text.replace(['"', '\\'], "'");
    while t.len() > max {
        t.pop();
    }
    format!("\"{t}\"")
}

impl<'r> Translator<'r> {
    /// A translator for one family of a ruleset.
    #[must_use]
    pub fn new(rs: &'r Ruleset, family: Family) -> Translator<'r> {
        Translator {
            rs,
            family,
            inline_sets: BTreeMap::new(),
            plain_used: [false; 2],
        }
    }

    /// The iptables rules of one chain, with their chained `cali:` hashes.
    ///
    /// # Errors
    /// A rule iptables cannot say.
    pub fn chain(&mut self, chain: &str, rules: &[Rule]) -> Result<Vec<XtRule>, XtError> {
        let mut bodies = Vec::new();
        for r in rules {
            self.rule(r, &mut bodies)
                .map_err(|e| XtError(format!("chain {chain}: {e}")))?;
        }
        let mut previous = String::new();
        Ok(bodies
            .into_iter()
            .map(|body| {
                let hash = short_hash(&format!("{chain}\0{previous}\0{body}"), 16);
                previous.clone_from(&hash);
                let spec = if body.is_empty() {
                    format!("-m comment --comment \"cali:{hash}\"")
                } else {
                    format!("-m comment --comment \"cali:{hash}\" {body}")
                };
                XtRule { hash, spec }
            })
            .collect())
    }

    fn nets(&mut self, end: End, nets: &[IpNet], negated: bool) -> Frag {
        let (flag, dir, _) = end_flags(end);
        let nets: Vec<IpNet> = nets
            .iter()
            .filter(|n| Family::of(n) == self.family)
            .copied()
            .collect();
        let everything = nets.iter().any(|n| n.prefix_len() == 0);
        match (negated, nets.as_slice()) {
            (true, _) if everything => Frag::Never,
            (true, []) => Frag::Always,
            (false, []) => Frag::Never,
            (false, _) if everything => Frag::Always,
            // iptables takes one `-s` and one `-d` a rule: a second match on the same end
            // (an ipBlock's `except`) goes through a set.
            (_, [one]) if !self.plain_used[end as usize] => {
                self.plain_used[end as usize] = true;
                Frag::One(format!("{}{flag} {one}", not(negated)))
            }
            (_, many) => {
                let name = inline_set(self.family, many);
                self.inline_sets
                    .entry(name.clone())
                    .or_insert_with(|| IpSet {
                        kind: IpSetKind::Net,
                        family: self.family,
                        members: many.iter().flat_map(net_members).collect(),
                    });
                Frag::One(format!("-m set {}--match-set {name} {dir}", not(negated)))
            }
        }
    }

    fn frag(&mut self, m: &Match) -> Frag {
        match m {
            Match::Family(_) | Match::L4Proto { .. } => Frag::Always,
            Match::Addr {
                end, nets, negated, ..
            } => self.nets(*end, nets, *negated),
            Match::AddrSet {
                end, set, negated, ..
            } => {
                let (_, dir, _) = end_flags(*end);
                Frag::One(format!(
                    "-m set {}--match-set {} {dir}",
                    not(*negated),
                    set_name(set)
                ))
            }
            Match::AddrProtoPortSet {
                end, set, negated, ..
            } => {
                let (_, dir, _) = end_flags(*end);
                Frag::One(format!(
                    "-m set {}--match-set {} {dir},{dir}",
                    not(*negated),
                    set_name(set)
                ))
            }
            Match::Port {
                end,
                ranges,
                negated,
            } => {
                let (_, _, flag) = end_flags(*end);
                let lists = port_lists(ranges);
                if lists.is_empty() {
                    return if *negated { Frag::Always } else { Frag::Never };
                }
                let texts: Vec<String> = lists
                    .iter()
                    .map(|l| format!("-m multiport {}{flag} {l}", not(*negated)))
                    .collect();
                if *negated {
                    Frag::One(texts.join(" "))
                } else if texts.len() == 1 {
                    Frag::One(texts.into_iter().next().unwrap_or_default())
                } else {
                    Frag::Any(texts)
                }
            }
            Match::Icmp {
                family,
                icmp_type,
                code,
                negated,
            } => Frag::One(icmp(*family, *icmp_type, *code, *negated)),
            Match::Icmpv6Types(types) => Frag::Any(
                types
                    .iter()
                    .map(|t| format!("-p ipv6-icmp -m icmp6 --icmpv6-type {t}"))
                    .collect(),
            ),
            Match::Mark {
                mask,
                value,
                negated,
            } => Frag::One(format!(
                "-m mark {}--mark {value:#x}/{mask:#x}",
                not(*negated)
            )),
            Match::Ct(CtState::EstablishedRelated) => {
                Frag::One("-m conntrack --ctstate RELATED,ESTABLISHED".into())
            }
            Match::Ct(CtState::Invalid) => Frag::One("-m conntrack --ctstate INVALID".into()),
            Match::Iif { name, negated } => {
                Frag::One(format!("{}-i {}", not(*negated), ifname(name)))
            }
            Match::Oif { name, negated } => {
                Frag::One(format!("{}-o {}", not(*negated), ifname(name)))
            }
        }
    }

    /// The `-p` alternatives: the rule's protocols less the excluded ones, or the one
    /// exclusion; `None` when no protocol can match.
    fn protocols(rule: &Rule) -> Result<Option<Vec<String>>, XtError> {
        let mut allowed: Option<Vec<u8>> = None;
        let mut excluded: Vec<u8> = Vec::new();
        for m in &rule.matches {
            if let Match::L4Proto { protocols, negated } = m {
                if *negated {
                    excluded.extend(protocols);
                } else {
                    allowed = Some(match allowed {
                        None => protocols.clone(),
                        Some(a) => a.into_iter().filter(|p| protocols.contains(p)).collect(),
                    });
                }
            }
        }
        Ok(match (allowed, excluded.as_slice()) {
            (Some(a), _) => {
                let left: Vec<String> = a
                    .into_iter()
                    .filter(|p| !excluded.contains(p))
                    .map(|p| format!("-p {}", names::protocol(p)))
                    .collect();
                if left.is_empty() { None } else { Some(left) }
            }
            (None, []) => Some(vec![String::new()]),
            (None, [one]) => Some(vec![format!("! -p {}", names::protocol(*one))]),
            (None, _) => {
                return Err(XtError(
                    "a rule excludes several protocols without naming one".into(),
                ));
            }
        })
    }

    fn target(&self, s: &Stmt) -> Option<(String, Effect)> {
        Some(match s {
            Stmt::SetMark(b) => (
                format!("-j MARK --set-xmark {b:#x}/{b:#x}"),
                Effect::Sets(*b),
            ),
            Stmt::ClearMark(b) => (
                format!("-j MARK --set-xmark 0x0/{b:#x}"),
                Effect::Clears(*b),
            ),
            Stmt::Log { prefix, group } => (
                format!(
                    "-j NFLOG --nflog-group {group} --nflog-prefix {}",
                    quote(prefix, MAX_NFLOG_PREFIX)
                ),
                Effect::Neutral,
            ),
            Stmt::Notrack => ("-j CT --notrack".into(), Effect::Neutral),
            Stmt::Counter => return None,
            Stmt::Vmap { .. } => (String::new(), Effect::Final),
            Stmt::Jump(c) => (format!("-j {}", chain_name(c)), Effect::Final),
            Stmt::Goto(c) => (format!("-g {}", chain_name(c)), Effect::Final),
            Stmt::Accept => ("-j ACCEPT".into(), Effect::Final),
            Stmt::Drop => ("-j DROP".into(), Effect::Final),
            Stmt::Return => ("-j RETURN".into(), Effect::Final),
        })
    }

    /// The rules a verdict map stands for: one goto per interface.
    fn vmap(&self, input: bool, map: &str, matches: &str, out: &mut Vec<String>) {
        let Some(m) = self.rs.maps.get(map) else {
            return;
        };
        let flag = if input { "-i" } else { "-o" };
        for (iface, chain) in &m.elements {
            out.push(join(&[
                matches,
                &format!("{flag} {iface} -g {}", chain_name(chain)),
            ]));
        }
    }

    fn rule(&mut self, rule: &Rule, out: &mut Vec<String>) -> Result<(), XtError> {
        if rule_family(rule).is_some_and(|f| f != self.family) {
            return Ok(());
        }
        self.plain_used = [false; 2];
        let Some(protocols) = Self::protocols(rule)? else {
            return Ok(());
        };
        let mut combos: Vec<Vec<String>> = protocols
            .into_iter()
            .map(|p| if p.is_empty() { vec![] } else { vec![p] })
            .collect();
        for m in &rule.matches {
            match self.frag(m) {
                Frag::Always => {}
                Frag::Never => return Ok(()),
                Frag::One(t) => combos.iter_mut().for_each(|c| c.push(t.clone())),
                Frag::Any(ts) => {
                    combos = combos
                        .into_iter()
                        .flat_map(|c| {
                            ts.iter().map(move |t| {
                                let mut c = c.clone();
                                c.push(t.clone());
                                c
                            })
                        })
                        .collect();
                }
            }
        }
        let combos: Vec<String> = combos.iter().map(|c| c.join(" ")).collect();
        let tests_mark = |bits: u32| {
            rule.matches
                .iter()
                .any(|m| matches!(m, Match::Mark { mask, .. } if mask & bits != 0))
        };
        // Targets in the order that keeps the meaning: what changes no match first (logging,
        // untracking), then mark changes, then the verdict.
        let mut targets: Vec<(String, Effect, &Stmt)> = rule
            .stmts
            .iter()
            .filter_map(|s| self.target(s).map(|(t, e)| (t, e, s)))
            .collect();
        if targets
            .iter()
            .rev()
            .skip(1)
            .any(|(_, e, _)| *e == Effect::Final)
        {
            return Err(XtError(format!(
                "{rule:?}: a verdict before the last statement"
            )));
        }
        targets.sort_by_key(|(_, e, _)| match e {
            Effect::Neutral => 0,
            Effect::Sets(_) | Effect::Clears(_) => 1,
            Effect::Final => 2,
        });
        let logs = rule.stmts.iter().any(|s| matches!(s, Stmt::Log { .. }));
        if combos.len() > 1 && logs {
            // Several rules would log a packet more than once: each marks, one logs.
            if targets.iter().any(|(_, e, _)| *e == Effect::Final) {
                return Err(XtError(format!(
                    "{rule:?}: a split Log rule with a verdict"
                )));
            }
            for c in &combos {
                out.push(join(&[
                    c,
                    &format!("-j MARK --set-xmark {MARK_SCRATCH:#x}/{MARK_SCRATCH:#x}"),
                ]));
            }
            let guard = format!("-m mark --mark {MARK_SCRATCH:#x}/{MARK_SCRATCH:#x}");
            for (t, _, _) in &targets {
                out.push(join(&[&guard, t]));
            }
            out.push(join(&[
                &guard,
                &format!("-j MARK --set-xmark 0x0/{MARK_SCRATCH:#x}"),
            ]));
            return Ok(());
        }
        let mut changed: Option<Effect> = None;
        for (t, effect, stmt) in targets {
            match effect {
                Effect::Final => {
                    let emit = |out: &mut Vec<String>, this: &Self, m: &str| match stmt {
                        Stmt::Vmap { input, map } => this.vmap(*input, map, m, out),
                        _ => out.push(join(&[m, &t])),
                    };
                    match changed {
                        // As Felix: the verdict after a mark is guarded by the mark alone
                        // (policy and profile chains are entered with it clear).
                        Some(Effect::Sets(bits)) if combos.iter().any(|c| !c.is_empty()) => {
                            emit(out, self, &format!("-m mark --mark {bits:#x}/{bits:#x}"));
                        }
                        Some(Effect::Sets(bits) | Effect::Clears(bits)) if tests_mark(bits) => {
                            return Err(XtError(format!(
                                "{rule:?}: a verdict after changing a mark its rule tests"
                            )));
                        }
                        _ => combos.iter().for_each(|c| emit(out, self, c)),
                    }
                }
                Effect::Sets(bits) | Effect::Clears(bits) => {
                    if changed.is_some() {
                        return Err(XtError(format!("{rule:?}: two mark changes")));
                    }
                    if tests_mark(bits) && combos.len() > 1 {
                        return Err(XtError(format!(
                            "{rule:?}: a split rule changing its own mark"
                        )));
                    }
                    combos.iter().for_each(|c| out.push(join(&[c, &t])));
                    changed = Some(effect);
                }
                Effect::Neutral => combos.iter().for_each(|c| out.push(join(&[c, &t]))),
            }
        }
        if rule.stmts.iter().all(|s| matches!(s, Stmt::Counter)) {
            combos.iter().for_each(|c| out.push(c.clone()));
        }
        Ok(())
    }
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}
