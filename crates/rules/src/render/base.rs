//! The base chains (one per hook and stage), the dispatch chains that send a packet to its
//! endpoint's chain by interface, the workload-to-host chain and the failsafe chains.
//!
//! Every packet meets conntrack first: established and related traffic is accepted before any
//! policy work, invalid traffic dropped. An interface with the workload prefix that no
//! endpoint claims is dropped (fail closed until its endpoint is programmed).

use std::collections::BTreeMap;

use tortie_calc::Direction;
use tortie_model::kinds::felix::{EndpointToHostAction, ProtoPort};

use super::NodeConfig;
use crate::ir::{Base, Chain, CtState, End, Family, Hook, Match, Rule, Stmt, VMap};
use crate::names::{self, MARK_ACCEPT, MARK_ALL, Stage};

/// The ICMPv6 types neighbour discovery and multicast listener discovery need (MLD query,
/// report, done; router solicitation and advertisement; neighbour solicitation and
/// advertisement; MLDv2 report).
const ND_TYPES: [u8; 8] = [130, 131, 132, 133, 134, 135, 136, 143];

const RAW: i32 = -300;
const MANGLE: i32 = -150;
const FILTER: i32 = 0;

fn rule(m: Vec<Match>, s: Vec<Stmt>, comment: &str) -> Rule {
    Rule::new(m, s).with_comment(comment)
}

fn accepted() -> Match {
    Match::Mark {
        mask: MARK_ACCEPT,
        value: MARK_ACCEPT,
        negated: false,
    }
}

fn base(hook: Hook, priority: i32, rules: Vec<Rule>) -> Chain {
    Chain {
        base: Some(Base { hook, priority }),
        rules,
    }
}

fn regular(rules: Vec<Rule>) -> Chain {
    Chain { base: None, rules }
}

fn conntrack() -> Vec<Rule> {
    vec![
        rule(
            vec![Match::Ct(CtState::EstablishedRelated)],
            vec![Stmt::Accept],
            "established and related: no policy work",
        ),
        rule(
            vec![Match::Ct(CtState::Invalid)],
            vec![Stmt::Drop],
            "conntrack says invalid",
        ),
    ]
}

fn prefix_match(input: bool, prefix: &str, negated: bool) -> Match {
    let name = format!("{prefix}*");
    if input {
        Match::Iif { name, negated }
    } else {
        Match::Oif { name, negated }
    }
}

/// A dispatch chain: the verdict map, then (workloads) a drop for unclaimed workload
/// interfaces, or (host endpoints) the all-interfaces endpoint for the rest.
fn dispatch(
    input: bool,
    map: &str,
    workload: bool,
    star: Option<&String>,
    prefixes: &[String],
) -> Chain {
    let mut rules = vec![rule(
        vec![],
        vec![Stmt::Vmap {
            input,
            map: map.to_string(),
        }],
        "to the endpoint's chain",
    )];
    if workload {
        for p in prefixes {
            rules.push(rule(
                vec![prefix_match(input, p, false)],
                vec![Stmt::Drop],
                "unknown workload interface: closed until its endpoint is programmed",
            ));
        }
    } else if let Some(target) = star {
        // Loopback and workload interfaces are not the all-interfaces endpoint's: they
        // return first (one interface per rule, which iptables can say too).
        let mut skipped = vec!["lo".to_string()];
        skipped.extend(prefixes.iter().map(|p| format!("{p}*")));
        for name in skipped {
            let m = if input {
                Match::Iif {
                    name,
                    negated: false,
                }
            } else {
                Match::Oif {
                    name,
                    negated: false,
                }
            };
            rules.push(rule(
                vec![m],
                vec![Stmt::Return],
                "not the all-interfaces host endpoint's",
            ));
        }
        rules.push(rule(
            vec![],
            vec![Stmt::Goto(target.clone())],
            "all-interfaces host endpoint",
        ));
    }
    regular(rules)
}

/// One failsafe entry: protocol and port (destination or source), and for the primary list
/// the peer network.
fn failsafe_rule(p: &ProtoPort, port_end: End, peer: Option<End>, what: &str) -> Option<Rule> {
    let proto = p.protocol_number()?;
    let mut m = vec![
        Match::L4Proto {
            protocols: vec![proto],
            negated: false,
        },
        Match::Port {
            end: port_end,
            ranges: vec![(p.port, p.port)],
            negated: false,
        },
    ];
    if let Some(end) = peer {
        match p.network() {
            Some(Ok(net)) => m.push(Match::Addr {
                end,
                family: Family::of(&net),
                nets: vec![net],
                negated: false,
            }),
            // Validation refuses such a net; if one gets here, the entry matches nothing
            // (as trace decides) rather than every address.
            Some(Err(_)) => return None,
            None => {}
        }
    }
    Some(rule(m, vec![Stmt::Accept], what))
}

/// Failsafe chains: inbound entries match the destination port (and source net), outbound
/// entries the destination port (and destination net); in the raw table both lists also
/// match the source port, so replies pass before connection tracking.
fn failsafe_chains(chains: &mut BTreeMap<String, Chain>, cfg: &NodeConfig) {
    for stage in [Stage::Raw, Stage::Mangle, Stage::Filter] {
        for d in [Direction::Ingress, Direction::Egress] {
            if stage == Stage::Mangle && d == Direction::Egress {
                continue;
            }
            let (primary, other, peer) = match d {
                Direction::Ingress => (&cfg.failsafe_inbound, &cfg.failsafe_outbound, End::Source),
                Direction::Egress => (
                    &cfg.failsafe_outbound,
                    &cfg.failsafe_inbound,
                    End::Destination,
                ),
            };
            let mut rules: Vec<Rule> = primary
                .iter()
                .filter_map(|p| failsafe_rule(p, End::Destination, Some(peer), "failsafe"))
                .collect();
            if stage == Stage::Raw {
                rules.extend(
                    primary
                        .iter()
                        .chain(other.iter())
                        .filter_map(|p| failsafe_rule(p, End::Source, None, "failsafe reply")),
                );
            }
            chains.insert(names::failsafe_chain(stage, d), regular(rules));
        }
    }
}

fn nd_rule() -> Rule {
    rule(
        vec![Match::Icmpv6Types(ND_TYPES.to_vec())],
        vec![Stmt::Accept],
        "neighbour discovery",
    )
}

/// Adds the base chains, dispatch chains and maps, and failsafe chains.
pub fn add_base_chains(
    chains: &mut BTreeMap<String, Chain>,
    maps: &mut BTreeMap<String, VMap>,
    stars: &BTreeMap<(Stage, &'static str), String>,
    cfg: &NodeConfig,
) {
    let prefixes = &cfg.interface_prefixes;
    // Dispatch chains and their maps (empty maps too: the layout does not depend on load).
    let dispatches: [(Stage, &'static str, bool, bool); 9] = [
        (Stage::Filter, "from-wl", true, true),
        (Stage::Filter, "to-wl", false, true),
        (Stage::Filter, "from-hep", true, false),
        (Stage::Filter, "to-hep", false, false),
        (Stage::Filter, "from-hep-fwd", true, false),
        (Stage::Filter, "to-hep-fwd", false, false),
        (Stage::Mangle, "from-hep", true, false),
        (Stage::Raw, "from-hep", true, false),
        (Stage::Raw, "to-hep", false, false),
    ];
    for (stage, what, input, workload) in dispatches {
        let map = names::dispatch_map(stage, what);
        maps.entry(map.clone()).or_default();
        chains.insert(
            names::dispatch_chain(stage, what),
            dispatch(input, &map, workload, stars.get(&(stage, what)), prefixes),
        );
    }
    failsafe_chains(chains, cfg);
    let d = |stage, what| names::dispatch_chain(stage, what);

    // raw: start with no marks; untracked policy; what it allowed is not tracked.
    for (hook, what, name) in [
        (Hook::Prerouting, "from-hep", "raw-PREROUTING"),
        (Hook::Output, "to-hep", "raw-OUTPUT"),
    ] {
        chains.insert(
            name.into(),
            base(
                hook,
                RAW,
                vec![
                    rule(
                        vec![],
                        vec![Stmt::ClearMark(MARK_ALL)],
                        "start with no marks",
                    ),
                    rule(
                        vec![],
                        vec![Stmt::Jump(d(Stage::Raw, what))],
                        "untracked policy",
                    ),
                    rule(
                        vec![accepted()],
                        vec![Stmt::Notrack, Stmt::Accept],
                        "allowed by untracked policy: not tracked",
                    ),
                ],
            ),
        );
    }

    // mangle: pre-DNAT policy for new connections arriving on host endpoints.
    let mut mangle = vec![conntrack().remove(0)];
    mangle.push(rule(
        vec![accepted()],
        vec![Stmt::Accept],
        "allowed by untracked policy",
    ));
    mangle.push(rule(
        vec![],
        vec![Stmt::Jump(d(Stage::Mangle, "from-hep"))],
        "pre-DNAT policy",
    ));
    chains.insert(
        "mangle-PREROUTING".into(),
        base(Hook::Prerouting, MANGLE, mangle),
    );

    // filter INPUT: workloads to their host, then host endpoints.
    let mut input = conntrack();
    input.push(nd_rule());
    for p in prefixes {
        input.push(rule(
            vec![prefix_match(true, p, false)],
            vec![Stmt::Jump("filter-cali-wl-to-host".into())],
            "from a workload to its host",
        ));
    }
    input.push(rule(
        vec![accepted()],
        vec![Stmt::Accept],
        "allowed by untracked or pre-DNAT policy",
    ));
    input.push(rule(
        vec![],
        vec![Stmt::Jump(d(Stage::Filter, "from-hep"))],
        "host endpoint ingress",
    ));
    chains.insert("filter-INPUT".into(), base(Hook::Input, FILTER, input));

    // Return goes back to INPUT, where host endpoint policy decides: forget the egress verdict.
    let action = match cfg.endpoint_to_host {
        EndpointToHostAction::Drop => vec![Stmt::Drop],
        EndpointToHostAction::Accept => vec![Stmt::Accept],
        EndpointToHostAction::Return => vec![Stmt::ClearMark(MARK_ACCEPT), Stmt::Return],
    };
    chains.insert(
        "filter-cali-wl-to-host".into(),
        regular(vec![
            rule(
                vec![],
                vec![Stmt::Jump(d(Stage::Filter, "from-wl"))],
                "workload egress policy",
            ),
            rule(
                vec![],
                action,
                "default endpoint-to-host action (FelixConfiguration defaultEndpointToHostAction)",
            ),
        ]),
    );

    // filter OUTPUT: the host to the network (host to local workloads is not policed).
    let mut output = conntrack();
    output.push(nd_rule());
    for p in prefixes {
        output.push(rule(
            vec![prefix_match(false, p, false)],
            vec![Stmt::Accept],
            "host to a local workload: not policed",
        ));
    }
    output.push(rule(
        vec![accepted()],
        vec![Stmt::Accept],
        "allowed by untracked policy",
    ));
    output.push(rule(
        vec![],
        vec![Stmt::Jump(d(Stage::Filter, "to-hep"))],
        "host endpoint egress",
    ));
    chains.insert("filter-OUTPUT".into(), base(Hook::Output, FILTER, output));

    // filter FORWARD: in through a host endpoint, out of a workload, into a workload, out
    // through a host endpoint.
    let mut forward = conntrack();
    forward.push(rule(
        vec![Match::Mark {
            mask: MARK_ACCEPT,
            value: 0,
            negated: false,
        }],
        vec![Stmt::Jump(d(Stage::Filter, "from-hep-fwd"))],
        "host endpoint forward ingress, unless pre-DNAT policy allowed",
    ));
    for p in prefixes {
        forward.push(rule(
            vec![prefix_match(true, p, false)],
            vec![Stmt::Jump(d(Stage::Filter, "from-wl"))],
            "workload egress",
        ));
    }
    for p in prefixes {
        forward.push(rule(
            vec![prefix_match(false, p, false)],
            vec![Stmt::Jump(d(Stage::Filter, "to-wl"))],
            "workload ingress",
        ));
    }
    forward.push(rule(
        vec![],
        vec![Stmt::Jump(d(Stage::Filter, "to-hep-fwd"))],
        "host endpoint forward egress",
    ));
    chains.insert(
        "filter-FORWARD".into(),
        base(Hook::Forward, FILTER, forward),
    );
}
