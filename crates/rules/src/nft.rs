//! The nft script syntax of the IR: whole tables (`nft -f` input), single rules, and the
//! `cali:` hash comments that let a listing be compared with what was meant.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest as _, Sha224};

use crate::ir::{Base, Chain, CtState, End, Family, Match, Rule, Set, SetType, Stmt, VMap};

fn addr_field(end: End) -> &'static str {
    match end {
        End::Source => "saddr",
        End::Destination => "daddr",
    }
}

fn port_field(end: End) -> &'static str {
    match end {
        End::Source => "sport",
        End::Destination => "dport",
    }
}

fn op(negated: bool) -> &'static str {
    if negated { "!= " } else { "" }
}

/// `{ a, b }` for several items, `a` for one.
fn list(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => format!("{{ {} }}", many.join(", ")),
    }
}

/// A network as nft writes it (host addresses without a prefix length).
#[must_use]
pub fn net_text(net: &ipnet::IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

fn range_text((a, b): (u16, u16)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// A protocol as nft names it, or its number.
#[must_use]
pub fn protocol_text(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmpv6".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        n => n.to_string(),
    }
}

fn match_text(m: &Match) -> String {
    match m {
        Match::Family(Family::V4) => "meta nfproto ipv4".into(),
        Match::Family(Family::V6) => "meta nfproto ipv6".into(),
        Match::L4Proto { protocols, negated } => {
            let items: Vec<String> = protocols.iter().map(|p| protocol_text(*p)).collect();
            format!("meta l4proto {}{}", op(*negated), list(&items))
        }
        Match::Addr {
            end,
            family,
            nets,
            negated,
        } => {
            let items: Vec<String> = nets.iter().map(net_text).collect();
            format!(
                "{} {} {}{}",
                family.keyword(),
                addr_field(*end),
                op(*negated),
                list(&items)
            )
        }
        Match::AddrSet {
            end,
            family,
            set,
            negated,
        } => format!(
            "{} {} {}@{set}",
            family.keyword(),
            addr_field(*end),
            op(*negated)
        ),
        Match::Port {
            end,
            ranges,
            negated,
        } => {
            let items: Vec<String> = ranges.iter().copied().map(range_text).collect();
            format!("th {} {}{}", port_field(*end), op(*negated), list(&items))
        }
        Match::AddrProtoPortSet {
            end,
            family,
            set,
            negated,
        } => format!(
            "{} {} . meta l4proto . th {} {}@{set}",
            family.keyword(),
            addr_field(*end),
            port_field(*end),
            op(*negated)
        ),
        Match::Icmp {
            family,
            icmp_type,
            code,
            negated,
        } => {
            let kw = match family {
                Family::V4 => "icmp",
                Family::V6 => "icmpv6",
            };
            match code {
                None => format!("{kw} type {}{icmp_type}", op(*negated)),
                Some(c) => format!("{kw} type {icmp_type} {kw} code {}{c}", op(*negated)),
            }
        }
        Match::Icmpv6Types(types) => {
            let items: Vec<String> = types.iter().map(u8::to_string).collect();
            format!("icmpv6 type {}", list(&items))
        }
        Match::Mark {
            mask,
            value,
            negated,
        } => format!(
            "meta mark & {mask:#010x} {}{value:#010x}",
            if *negated { "!= " } else { "== " }
        ),
        Match::Ct(CtState::EstablishedRelated) => "ct state established,related".into(),
        Match::Ct(CtState::Invalid) => "ct state invalid".into(),
        Match::Iif { name, negated } => format!("iifname {}\"{name}\"", op(*negated)),
        Match::Oif { name, negated } => format!("oifname {}\"{name}\"", op(*negated)),
    }
}

fn stmt_text(s: &Stmt) -> String {
    match s {
        Stmt::SetMark(bits) => format!("meta mark set meta mark | {bits:#010x}"),
        Stmt::ClearMark(bits) => format!("meta mark set meta mark & {:#010x}", !bits),
        Stmt::Log { prefix, group } => {
            format!("log group {group} prefix \"{}\"", log_prefix_text(prefix))
        }
        Stmt::Notrack => "notrack".into(),
        Stmt::Counter => "counter".into(),
        Stmt::Vmap { input, map } => {
            format!("{} vmap @{map}", if *input { "iifname" } else { "oifname" })
        }
        Stmt::Jump(c) => format!("jump {c}"),
        Stmt::Goto(c) => format!("goto {c}"),
        Stmt::Accept => "accept".into(),
        Stmt::Drop => "drop".into(),
        Stmt::Return => "return".into(),
    }
}

/// nftables refuses a prefix over 127 bytes (NF_LOG_PREFIXLEN is 128 with the NUL) and would
/// fail the whole transaction: cut it on a character boundary. `"` cannot be quoted.
fn log_prefix_text(prefix: &str) -> String {
    let mut text = prefix.replace('"', "'");
    let mut end = text.len().min(MAX_LOG_PREFIX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// The longest log prefix nftables accepts, in bytes.
const MAX_LOG_PREFIX: usize = 127;

/// A rule's body without its comment.
#[must_use]
pub fn rule_body(rule: &Rule) -> String {
    rule.matches
        .iter()
        .map(match_text)
        .chain(rule.stmts.iter().map(stmt_text))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The hashes of a chain's rules: each covers the chain name, the previous rule's hash and the
/// rule's body, so a listing's comments say whether the chain is exactly as rendered.
#[must_use]
pub fn rule_hashes(chain: &str, rules: &[Rule]) -> Vec<String> {
    let mut previous = String::new();
    rules
        .iter()
        .map(|r| {
            let mut h = Sha224::new();
            h.update(chain.as_bytes());
            h.update(b"\0");
            h.update(previous.as_bytes());
            h.update(b"\0");
            h.update(rule_body(r).as_bytes());
            let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize());
            previous = digest[..16].to_string();
            previous.clone()
        })
        .collect()
}

/// A rule with its `cali:<hash>` comment (and its own comment, if any).
#[must_use]
pub fn rule_text(rule: &Rule, hash: &str) -> String {
    let mut comment = match &rule.comment {
        Some(c) => format!("cali:{hash}; {}", c.replace(['"', '\\'], "'")),
        None => format!("cali:{hash};"),
    };
    // nft keeps at most 128 bytes of comment.
    if comment.len() > 127 {
        let mut end = 127;
        while !comment.is_char_boundary(end) {
            end -= 1;
        }
        comment.truncate(end);
    }
    format!("{} comment \"{comment}\"", rule_body(rule))
}

fn set_type_text(kind: SetType) -> &'static str {
    match kind {
        SetType::Hosts(Family::V4) => "type ipv4_addr;",
        SetType::Hosts(Family::V6) => "type ipv6_addr;",
        SetType::Nets(Family::V4) => "type ipv4_addr; flags interval;",
        SetType::Nets(Family::V6) => "type ipv6_addr; flags interval;",
        SetType::AddrProtoPort(Family::V4) => "type ipv4_addr . inet_proto . inet_service;",
        SetType::AddrProtoPort(Family::V6) => "type ipv6_addr . inet_proto . inet_service;",
    }
}

/// `add set` for an empty set.
#[must_use]
pub fn add_set(table: &str, name: &str, set: &Set) -> String {
    format!(
        "add set inet {table} {name} {{ {} }}\n",
        set_type_text(set.kind)
    )
}

/// `add element` (or `delete element`) lines for some elements of a set or map, in chunks.
#[must_use]
pub fn elements(verb: &str, table: &str, name: &str, items: &[String]) -> String {
    let mut out = String::new();
    for chunk in items.chunks(500) {
        let _ = writeln!(
            out,
            "{verb} element inet {table} {name} {{ {} }}",
            chunk.join(", ")
        );
    }
    out
}

/// A verdict map's element text.
#[must_use]
pub fn vmap_element(ifname: &str, chain: &str) -> String {
    format!("\"{ifname}\" : goto {chain}")
}

/// `add map` for an empty verdict map.
#[must_use]
pub fn add_map(table: &str, name: &str) -> String {
    format!("add map inet {table} {name} {{ type ifname : verdict; }}\n")
}

/// `add chain` (a base chain with its hook).
#[must_use]
pub fn add_chain(table: &str, name: &str, base: Option<Base>) -> String {
    match base {
        Some(b) => format!(
            "add chain inet {table} {name} {{ type filter hook {} priority {}; policy accept; }}\n",
            b.hook.keyword(),
            b.priority
        ),
        None => format!("add chain inet {table} {name}\n"),
    }
}

/// `add rule` lines for a chain's rules.
#[must_use]
pub fn add_rules(table: &str, name: &str, chain: &Chain) -> String {
    let mut out = String::new();
    for (rule, hash) in chain.rules.iter().zip(rule_hashes(name, &chain.rules)) {
        let _ = writeln!(
            out,
            "add rule inet {table} {name} {}",
            rule_text(rule, &hash)
        );
    }
    out
}

/// The elements of a verdict map.
#[must_use]
pub fn vmap_elements(map: &VMap) -> Vec<String> {
    map.elements
        .iter()
        .map(|(i, c)| vmap_element(i, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rule_body;
    use crate::ir::{LOG_GROUP, Rule, Stmt};

    fn log_body(prefix: &str) -> String {
        rule_body(&Rule::new(
            vec![],
            vec![Stmt::Log {
                prefix: prefix.into(),
                group: LOG_GROUP,
            }],
        ))
    }

    #[test]
    fn log_sends_the_packet_to_the_nflog_group_with_the_prefix() {
        assert_eq!(
            log_body("calico-packet: "),
            format!("log group {LOG_GROUP} prefix \"calico-packet: \"")
        );
    }

    #[test]
    fn a_prefix_over_127_bytes_is_cut_on_a_character_boundary() {
        let long = format!("{}é: ", "a".repeat(126));
        let body = log_body(&long);
        let quoted = body.split('"').nth(1).expect("a quoted prefix");
        assert_eq!(quoted, "a".repeat(126));
        assert_eq!(
            log_body(&"b".repeat(127)).split('"').nth(1).map(str::len),
            Some(127)
        );
    }
}
