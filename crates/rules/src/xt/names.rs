//! iptables and ipset names: chains as Felix names them (`cali-tw-<iface>`,
//! `cali-from-wl-dispatch`, `cali-pi-_<hash>`), within iptables' 28 characters; sets as
//! `cali40s:<hash>` within ipset's 31; members in ipset's syntax.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{IpSetKind, Table};
use crate::ir::Family;
use crate::names::short_hash;

/// The longest chain name iptables takes.
pub const MAX_CHAIN: usize = 28;
/// The longest set name ipset takes.
pub const MAX_SET: usize = 31;

/// Felix's names for the dispatch chains, where they differ from the IR's.
const FELIX_NAMES: [(&str, &str); 6] = [
    ("cali-from-hep-dispatch", "cali-from-host-endpoint"),
    ("cali-to-hep-dispatch", "cali-to-host-endpoint"),
    ("cali-from-hep-fwd-dispatch", "cali-from-hep-forward"),
    ("cali-to-hep-fwd-dispatch", "cali-to-hep-forward"),
    ("cali-from-wl-dispatch", "cali-from-wl-dispatch"),
    ("cali-to-wl-dispatch", "cali-to-wl-dispatch"),
];

fn plain(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The iptables chain of an IR chain: the table prefix dropped (the table says it), built-in
/// hooks as `cali-<HOOK>`, and a name too long or with other characters than letters, digits,
/// `-`, `_` and `.` hashed after its kind (`cali-pi-_<hash>`), as Felix does.
#[must_use]
pub fn chain_name(ir_name: &str) -> String {
    let local = Table::of_chain(ir_name)
        .map_or(ir_name, |t| &ir_name[t.name().len() + 1..])
        .to_string();
    let local = if local.starts_with("cali-") {
        local
    } else {
        format!("cali-{local}")
    };
    if let Some((_, felix)) = FELIX_NAMES.iter().find(|(ir, _)| *ir == local) {
        return (*felix).to_string();
    }
    if local.len() <= MAX_CHAIN && plain(&local) {
        return local;
    }
    // `cali-pi-`, `cali-pri-`, ...: the kind stays readable.
    let kind_end = local[5..].find('-').map_or(5, |i| i + 6).min(12);
    let kind = &local[..kind_end];
    let room = MAX_CHAIN - kind.len() - 1;
    format!("{kind}_{}", short_hash(ir_name, room))
}

/// Whether a chain is one Tortie makes (Felix's prefix).
#[must_use]
pub fn is_own_chain(name: &str) -> bool {
    name.starts_with("cali-")
}

/// The ipset of an IR set: `cali40s-<hash>` becomes Felix's `cali40s:<hash>`.
#[must_use]
pub fn set_name(ir_name: &str) -> String {
    let mut name = ir_name.replacen('-', ":", 1);
    name.truncate(MAX_SET);
    name
}

/// Whether an ipset is one Tortie makes: `cali4` or `cali6`, two letters, then `:`.
#[must_use]
pub fn is_own_set(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 8 && name.starts_with("cali") && matches!(b[4], b'4' | b'6') && b[7] == b':'
}

/// The set holding several networks of one rule match: `cali40i:<hash>`.
#[must_use]
pub fn inline_set(family: Family, nets: &[IpNet]) -> String {
    let key: Vec<String> = nets.iter().map(ToString::to_string).collect();
    format!(
        "cali{}0i:{}",
        family.digit(),
        short_hash(&key.join(","), 22)
    )
}

/// A network as ipset members: a host address bare; `/0`, which `hash:net` cannot hold, as
/// its two halves.
#[must_use]
pub fn net_members(net: &IpNet) -> Vec<String> {
    if net.prefix_len() == 0 {
        return net
            .subnets(1)
            .map(|s| s.map(|n| n.to_string()).collect())
            .unwrap_or_default();
    }
    vec![crate::nft::net_text(net)]
}

fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// An IR set element (nft syntax) as ipset members.
pub fn member(kind: IpSetKind, family: Family, element: &str) -> Vec<String> {
    match kind {
        IpSetKind::Net => parse_net(element)
            .filter(|n| Family::of(n) == family)
            .map(|n| net_members(&n))
            .unwrap_or_default(),
        IpSetKind::IpPort => {
            // `10.0.0.1 . tcp . 80` to `10.0.0.1,tcp:80`.
            let parts: Vec<&str> = element.split(" . ").collect();
            match parts.as_slice() {
                [addr, proto, port] => {
                    let proto = if *proto == "icmpv6" {
                        "ipv6-icmp"
                    } else {
                        proto
                    };
                    vec![format!("{addr},{proto}:{port}")]
                }
                _ => Vec::new(),
            }
        }
    }
}

/// The jump from a built-in chain to Tortie's: the one rule Tortie adds to a chain it does
/// not own, recognised by its `cali:` comment.
#[must_use]
pub fn hook_spec(table: Table, builtin: &str, target: &str) -> String {
    let hash = short_hash(&format!("hook:{}:{builtin}:{target}", table.name()), 16);
    format!("-m comment --comment \"cali:{hash}\" -j {target}")
}

/// An iptables protocol name (`-p`): nft's, except ICMPv6, which iptables calls `ipv6-icmp`.
#[must_use]
pub fn protocol(p: u8) -> String {
    if p == 58 {
        "ipv6-icmp".into()
    } else {
        crate::nft::protocol_text(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_felix_names_within_the_limit() {
        assert_eq!(chain_name("filter-INPUT"), "cali-INPUT");
        assert_eq!(chain_name("raw-PREROUTING"), "cali-PREROUTING");
        assert_eq!(
            chain_name("filter-cali-tw-cali1234567890a"),
            "cali-tw-cali1234567890a"
        );
        assert_eq!(
            chain_name("filter-cali-from-hep-dispatch"),
            "cali-from-host-endpoint"
        );
        assert_eq!(
            chain_name("mangle-cali-fh-any-interface-at-all"),
            "cali-fh-any-interface-at-all"
        );
        let p = chain_name("filter-cali-pi-gnp/default.allow-dns");
        assert!(p.starts_with("cali-pi-_"), "{p}");
        assert_eq!(p.len(), MAX_CHAIN);
        // The stage is part of what is hashed: the same policy in two tables, two chains.
        assert_ne!(p, chain_name("mangle-cali-pi-gnp/default.allow-dns"));
        let long = chain_name("filter-cali-pri-kns.a-namespace-with-a-long-name");
        assert!(
            long.starts_with("cali-pri-_") && long.len() == MAX_CHAIN,
            "{long}"
        );
    }

    #[test]
    fn sets_are_felix_names() {
        let n = set_name("cali40s-0123456789012345678901");
        assert_eq!(n, "cali40s:0123456789012345678901");
        assert!(is_own_set(&n) && n.len() <= MAX_SET);
        assert!(!is_own_set("kube-proxy-set"));
        assert!(is_own_set(&inline_set(
            Family::V6,
            &["::/0".parse().unwrap()]
        )));
    }

    #[test]
    fn members_in_ipset_syntax() {
        assert_eq!(member(IpSetKind::Net, Family::V4, "10.0.0.1"), ["10.0.0.1"]);
        assert_eq!(
            member(IpSetKind::Net, Family::V4, "0.0.0.0/0"),
            ["0.0.0.0/1", "128.0.0.0/1"]
        );
        assert_eq!(
            member(IpSetKind::Net, Family::V6, "::/0"),
            ["::/1", "8000::/1"]
        );
        assert_eq!(
            member(IpSetKind::IpPort, Family::V4, "10.0.0.1 . tcp . 80"),
            ["10.0.0.1,tcp:80"]
        );
        assert_eq!(
            member(IpSetKind::IpPort, Family::V6, "fd00::1 . 132 . 9"),
            ["fd00::1,132:9"]
        );
    }
}
