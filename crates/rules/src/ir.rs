//! The ruleset as values: one nftables table of sets, verdict maps and chains. Everything is
//! kept in sorted maps so that rendering, hashing and diffing are deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ipnet::IpNet;

/// The NFLOG group Log rules send packets to; the agent's log pipeline (`tortie-logs`) binds
/// it. Not 1 or 2: Calico's flow logs use those, so a future flow-log feature can keep them.
pub const LOG_GROUP: u16 = 3;

/// An address family inside the `inet` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4 (`ip`).
    V4,
    /// IPv6 (`ip6`).
    V6,
}

impl Family {
    /// Both families, v4 first.
    pub const BOTH: [Family; 2] = [Family::V4, Family::V6];

    /// The family of a network.
    #[must_use]
    pub fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    /// The nft payload protocol keyword (`ip`, `ip6`).
    #[must_use]
    pub fn keyword(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }

    /// The digit Calico puts in set names (`4`, `6`).
    #[must_use]
    pub fn digit(self) -> char {
        match self {
            Family::V4 => '4',
            Family::V6 => '6',
        }
    }
}

/// What a named set holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SetType {
    /// Single addresses only (`type ipv4_addr`): no interval flag, because nft fetches every
    /// element of every interval set in the table before it adds or deletes any element, which
    /// makes each update cost in proportion to all interval sets' sizes.
    Hosts(Family),
    /// Addresses and networks (`type ipv4_addr; flags interval`).
    Nets(Family),
    /// Address, protocol and port triples (named ports, Service backends).
    AddrProtoPort(Family),
}

/// A named set and its elements (in nft element syntax, normalised so that equal sets compare
/// equal: networks are collapsed, host addresses have no prefix length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    /// Element type.
    pub kind: SetType,
    /// Elements; shared with the renderer's cache, so an unchanged set costs no copy and
    /// compares equal to its predecessor by pointer.
    pub elements: Arc<BTreeSet<String>>,
}

/// A verdict map from interface name to chain (`type ifname : verdict`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VMap {
    /// Interface name to the chain its packets go to (`goto`).
    pub elements: BTreeMap<String, String>,
}

/// A netfilter hook a base chain attaches to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hook {
    /// `prerouting`.
    Prerouting,
    /// `input`.
    Input,
    /// `forward`.
    Forward,
    /// `output`.
    Output,
}

impl Hook {
    /// The nft keyword.
    #[must_use]
    pub fn keyword(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
        }
    }
}

/// A base chain's attachment: `type filter hook <hook> priority <priority>; policy accept;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Base {
    /// The hook.
    pub hook: Hook,
    /// The priority (raw -300, mangle -150, filter 0).
    pub priority: i32,
}

/// A chain: a base chain (attached to a hook) or a regular one, and its rules in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Set for base chains.
    pub base: Option<Base>,
    /// Rules, in order.
    pub rules: Vec<Rule>,
}

/// Source or destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    /// `saddr` / `sport`.
    Source,
    /// `daddr` / `dport`.
    Destination,
}

/// Connection-tracking states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtState {
    /// `established,related`.
    EstablishedRelated,
    /// `invalid`.
    Invalid,
}

/// One condition of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// `meta nfproto ipv4|ipv6`: the packet is of this family.
    Family(Family),
    /// `meta l4proto` is (not) one of these.
    L4Proto {
        /// Protocol numbers.
        protocols: Vec<u8>,
        /// `!=`.
        negated: bool,
    },
    /// The address is (not) in one of these networks.
    Addr {
        /// Which address.
        end: End,
        /// Family.
        family: Family,
        /// Networks.
        nets: Vec<IpNet>,
        /// `!=`.
        negated: bool,
    },
    /// The address is (not) in a named set.
    AddrSet {
        /// Which address.
        end: End,
        /// Family.
        family: Family,
        /// Set name.
        set: String,
        /// `!=`.
        negated: bool,
    },
    /// The transport port is (not) in one of these inclusive ranges.
    Port {
        /// Which port.
        end: End,
        /// Ranges.
        ranges: Vec<(u16, u16)>,
        /// `!=`.
        negated: bool,
    },
    /// `(address . l4proto . port)` is (not) in a named set.
    AddrProtoPortSet {
        /// Which address and port.
        end: End,
        /// Family.
        family: Family,
        /// Set name.
        set: String,
        /// `!=`.
        negated: bool,
    },
    /// ICMP (v4) or ICMPv6 type and code.
    Icmp {
        /// Which ICMP.
        family: Family,
        /// Type.
        icmp_type: u8,
        /// Code.
        code: Option<u8>,
        /// Negate the type (with no code) or the code (with a type match kept positive).
        negated: bool,
    },
    /// ICMPv6 type in a list (neighbour discovery).
    Icmpv6Types(Vec<u8>),
    /// `meta mark & mask == value` (or `!=`).
    Mark {
        /// Mask.
        mask: u32,
        /// Value.
        value: u32,
        /// `!=`.
        negated: bool,
    },
    /// `ct state`.
    Ct(CtState),
    /// Input interface name (`*` suffix: a prefix match) is (not) this.
    Iif {
        /// Name or `prefix*`.
        name: String,
        /// `!=`.
        negated: bool,
    },
    /// Output interface name (`*` suffix: a prefix match) is (not) this.
    Oif {
        /// Name or `prefix*`.
        name: String,
        /// `!=`.
        negated: bool,
    },
}

/// What a rule does when it matches, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    /// `meta mark set meta mark | bits`.
    SetMark(u32),
    /// `meta mark set meta mark & ~bits`.
    ClearMark(u32),
    /// `log group <group> prefix "<prefix>"` (non-terminal): the packet goes to NFLOG group
    /// `group`, where the agent's log pipeline turns it into a LOG-style line.
    Log {
        /// The prefix, as written before the packet fields.
        prefix: String,
        /// The NFLOG group ([`LOG_GROUP`]).
        group: u16,
    },
    /// `notrack`.
    Notrack,
    /// `counter`.
    Counter,
    /// `iifname vmap @map` / `oifname vmap @map`.
    Vmap {
        /// Input (`true`) or output interface.
        input: bool,
        /// Map name.
        map: String,
    },
    /// `jump chain`.
    Jump(String),
    /// `goto chain`.
    Goto(String),
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `return`.
    Return,
}

/// A rule: conditions, statements, and a comment naming what it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Conditions (all must hold).
    pub matches: Vec<Match>,
    /// Statements.
    pub stmts: Vec<Stmt>,
    /// What the rule is for, shown in listings (`cali:` hashes are added when serialising).
    pub comment: Option<String>,
}

impl Rule {
    /// A rule.
    #[must_use]
    pub fn new(matches: Vec<Match>, stmts: Vec<Stmt>) -> Rule {
        Rule {
            matches,
            stmts,
            comment: None,
        }
    }

    /// The same rule with a comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Rule {
        self.comment = Some(comment.into());
        self
    }

    /// The chains this rule jumps or goes to.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.stmts.iter().filter_map(|s| match s {
            Stmt::Jump(c) | Stmt::Goto(c) => Some(c.as_str()),
            _ => None,
        })
    }
}

/// One table: everything the agent owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// Named sets.
    pub sets: BTreeMap<String, Set>,
    /// Verdict maps.
    pub maps: BTreeMap<String, VMap>,
    /// Chains.
    pub chains: BTreeMap<String, Chain>,
}
