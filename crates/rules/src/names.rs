//! Names of everything in the table, Felix-style (`filter-cali-tw-<iface>`, ...), and the mark
//! bits that carry verdicts between chains.

use base64::Engine as _;
use sha2::{Digest as _, Sha224};
use tortie_calc::{Direction, PolicyId};

use crate::ir::Family;

/// The one table Tortie owns (`inet` family, both address families).
pub const TABLE: &str = "tortie";

/// Set when a policy or profile allowed the packet.
pub const MARK_ACCEPT: u32 = 0x0001_0000;
/// Set when a policy passed the packet to the next tier.
pub const MARK_PASS: u32 = 0x0002_0000;
/// Scratch bit: one alternative of a split rule matched (a Log rule logs once).
pub const MARK_SCRATCH: u32 = 0x0004_0000;
/// Every bit Tortie uses.
pub const MARK_ALL: u32 = MARK_ACCEPT | MARK_PASS | MARK_SCRATCH;

/// The longest chain name nftables keeps (NFT_CHAIN_MAXNAMELEN is 256 with the NUL).
const MAX_NAME: usize = 255;

/// A short stable hash of some text (URL-safe base64 of SHA-224, `len` characters).
#[must_use]
pub fn short_hash(text: &str, len: usize) -> String {
    let digest = Sha224::digest(text.as_bytes());
    let mut s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    s.truncate(len);
    s
}

fn bounded(name: String) -> String {
    if name.len() <= MAX_NAME {
        name
    } else {
        format!("{}~{}", &name[..200], short_hash(&name, 16))
    }
}

/// Where a chain lives: the hook family its base chains belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Untracked policy (`raw`, priority -300).
    Raw,
    /// Pre-DNAT policy (`mangle`, priority -150).
    Mangle,
    /// Everything else (`filter`, priority 0).
    Filter,
}

impl Stage {
    /// The name prefix (`raw`, `mangle`, `filter`).
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Stage::Raw => "raw",
            Stage::Mangle => "mangle",
            Stage::Filter => "filter",
        }
    }
}

fn dir_letter(d: Direction) -> char {
    match d {
        Direction::Ingress => 'i',
        Direction::Egress => 'o',
    }
}

/// A policy's chain for one direction: `filter-cali-pi-gnp/allow-dns`,
/// `filter-cali-po-np/prod/knp.default.web`.
#[must_use]
pub fn policy_chain(stage: Stage, id: &PolicyId, d: Direction) -> String {
    let who = if id.namespace.is_empty() {
        format!("{}/{}", id.kind.short(), id.name)
    } else {
        format!("{}/{}/{}", id.kind.short(), id.namespace, id.name)
    };
    bounded(format!("{}-cali-p{}-{who}", stage.prefix(), dir_letter(d)))
}

/// A profile's chain for one direction: `filter-cali-pri-kns.prod`.
#[must_use]
pub fn profile_chain(name: &str, d: Direction) -> String {
    bounded(format!("filter-cali-pr{}-{name}", dir_letter(d)))
}

/// Which endpoint chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointChain {
    /// Traffic to a workload (its ingress policy): `tw`.
    ToWorkload,
    /// Traffic from a workload (its egress policy): `fw`.
    FromWorkload,
    /// Traffic to a host endpoint (egress from the host): `th`.
    ToHost,
    /// Traffic from a host endpoint (ingress to the host): `fh`.
    FromHost,
    /// Forwarded out of a host endpoint: `thfw`.
    ToHostForward,
    /// Forwarded in through a host endpoint: `fhfw`.
    FromHostForward,
}

impl EndpointChain {
    fn code(self) -> &'static str {
        match self {
            EndpointChain::ToWorkload => "tw",
            EndpointChain::FromWorkload => "fw",
            EndpointChain::ToHost => "th",
            EndpointChain::FromHost => "fh",
            EndpointChain::ToHostForward => "thfw",
            EndpointChain::FromHostForward => "fhfw",
        }
    }
}

/// The interface name Felix uses in chain names for the all-interfaces host endpoint.
pub const ANY_INTERFACE: &str = "any-interface-at-all";

/// An endpoint chain: `filter-cali-tw-cali1234`, `mangle-cali-fh-eth0`.
#[must_use]
pub fn endpoint_chain(stage: Stage, which: EndpointChain, iface: &str) -> String {
    let iface = if iface == "*" { ANY_INTERFACE } else { iface };
    format!("{}-cali-{}-{iface}", stage.prefix(), which.code())
}

/// A dispatch chain and its verdict map: `filter-cali-to-wl-dispatch`, `...-vmap`.
#[must_use]
pub fn dispatch_chain(stage: Stage, what: &str) -> String {
    format!("{}-cali-{what}-dispatch", stage.prefix())
}

/// The verdict map of a dispatch chain.
#[must_use]
pub fn dispatch_map(stage: Stage, what: &str) -> String {
    format!("{}-cali-{what}-vmap", stage.prefix())
}

/// A failsafe chain: `filter-cali-failsafe-in`.
#[must_use]
pub fn failsafe_chain(stage: Stage, d: Direction) -> String {
    let dir = match d {
        Direction::Ingress => "in",
        Direction::Egress => "out",
    };
    format!("{}-cali-failsafe-{dir}", stage.prefix())
}

/// A set of the addresses a selector matches: `cali40s-<hash>`.
#[must_use]
pub fn selector_set(family: Family, key: &str) -> String {
    format!("cali{}0s-{}", family.digit(), short_hash(key, 22))
}

/// The same set when it holds networks too (an interval set): `cali40c-<hash>`. The type is
/// in the name so that a set changing type is a new set the rules are rewritten to, never a
/// set replaced under rules that still refer to it.
#[must_use]
pub fn selector_net_set(family: Family, key: &str) -> String {
    format!("cali{}0c-{}", family.digit(), short_hash(key, 22))
}

/// A set of (address, protocol, port) triples for a named port or a Service: `cali40n-<hash>`.
#[must_use]
pub fn port_set(family: Family, key: &str) -> String {
    format!("cali{}0n-{}", family.digit(), short_hash(key, 22))
}
