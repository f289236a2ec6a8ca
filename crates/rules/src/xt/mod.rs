//! The same rendered ruleset as iptables and ipset state in Felix's layout: `cali-*` chains in
//! the raw, mangle and filter tables, hooked from the built-in chains by one jump each;
//! selector and named-port sets as ipsets. Pure: [`XtRuleset::from_ruleset`] translates the
//! nftables-shaped IR (one `inet` table) into per-family tables, and [`restore`] writes the
//! `iptables-restore --noflush` and `ipset restore` input that programs or updates it.
//!
//! ```text
//!   Ruleset (IR) ──from_ruleset──► XtRuleset { v4, v6: tables of chains of rule specs;
//!                                              ipsets }
//!   (kernel's iptables-save, old, new) ──restore──► per-table transactions
//! ```
//!
//! What the IR says that one iptables rule cannot, the translation spells out as Felix does:
//! a verdict that marks and returns becomes a MARK rule and a mark-guarded RETURN; a list of
//! protocols, more than fifteen ports or a verdict map become several rules; several networks
//! in one match become an ipset.

mod names;
pub mod restore;
mod rule;
pub mod save;

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Family, Ruleset, SetType};
pub use names::{MAX_CHAIN, MAX_SET, chain_name, is_own_chain, is_own_set, set_name};
use rule::Translator;

/// An iptables table Tortie uses (the order is the order they are written and applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// `raw`: untracked policy, before connection tracking.
    Raw,
    /// `mangle`: pre-DNAT policy.
    Mangle,
    /// `filter`: everything else.
    Filter,
}

impl Table {
    /// Every table, in order.
    pub const ALL: [Table; 3] = [Table::Raw, Table::Mangle, Table::Filter];

    /// The table's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Table::Raw => "raw",
            Table::Mangle => "mangle",
            Table::Filter => "filter",
        }
    }

    /// The table of an IR chain name (`raw-…`, `mangle-…`, `filter-…`).
    #[must_use]
    pub fn of_chain(ir_name: &str) -> Option<Table> {
        Table::ALL
            .into_iter()
            .find(|t| ir_name.starts_with(&format!("{}-", t.name())))
    }

    /// The table by name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One rule as `iptables-restore` reads it after `-A <chain> `, with the `cali:` hash its
/// comment carries (what drift checks compare).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XtRule {
    /// The hash in the rule's `cali:` comment.
    pub hash: String,
    /// The whole rule specification, comment included.
    pub spec: String,
}

/// The jump from a built-in chain to Tortie's chain, inserted first in the built-in chain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hook {
    /// The built-in chain (`INPUT`).
    pub builtin: String,
    /// Tortie's chain (`cali-INPUT`).
    pub target: String,
    /// The jump rule's specification.
    pub spec: String,
}

/// Tortie's chains and hooks in one table of one family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XtTable {
    /// Chains by name, their rules in order.
    pub chains: BTreeMap<String, Vec<XtRule>>,
    /// Jumps from built-in chains.
    pub hooks: Vec<Hook>,
}

/// What an ipset holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IpSetKind {
    /// `hash:net`: addresses and networks.
    Net,
    /// `hash:ip,port`: address, protocol and port (named ports, Service backends).
    IpPort,
}

impl IpSetKind {
    /// The ipset type name.
    #[must_use]
    pub fn type_name(self) -> &'static str {
        match self {
            IpSetKind::Net => "hash:net",
            IpSetKind::IpPort => "hash:ip,port",
        }
    }
}

/// One ipset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpSet {
    /// Type.
    pub kind: IpSetKind,
    /// Address family.
    pub family: Family,
    /// Members as `ipset` writes them.
    pub members: BTreeSet<String>,
}

impl IpSet {
    /// The `create` arguments after the name.
    #[must_use]
    pub fn create_args(&self) -> String {
        let family = match self.family {
            Family::V4 => "inet",
            Family::V6 => "inet6",
        };
        format!("{} family {family} maxelem 1048576", self.kind.type_name())
    }
}

/// Everything Tortie programs with iptables: per family, per table; and the ipsets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XtRuleset {
    /// IPv4 (`iptables`), by table.
    pub v4: BTreeMap<Table, XtTable>,
    /// IPv6 (`ip6tables`), by table.
    pub v6: BTreeMap<Table, XtTable>,
    /// ipsets by name (both families; the name says which).
    pub ipsets: BTreeMap<String, IpSet>,
}

/// A rule the IR holds that iptables cannot say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XtError(pub String);

impl std::fmt::Display for XtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XtError {}

impl XtRuleset {
    /// The tables of one family.
    #[must_use]
    pub fn family(&self, f: Family) -> &BTreeMap<Table, XtTable> {
        match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    /// Translates a rendered ruleset.
    ///
    /// # Errors
    /// A rule cannot be said in iptables (the renderer never makes one; this guards the
    /// translation against a future renderer change).
    pub fn from_ruleset(rs: &Ruleset) -> Result<XtRuleset, XtError> {
        let mut out = XtRuleset::default();
        for (name, set) in &rs.sets {
            let (kind, family) = match set.kind {
                // One ipset type for both: hash:net holds single addresses as well.
                SetType::Hosts(f) | SetType::Nets(f) => (IpSetKind::Net, f),
                SetType::AddrProtoPort(f) => (IpSetKind::IpPort, f),
            };
            let members = set
                .elements
                .iter()
                .flat_map(|e| names::member(kind, family, e))
                .collect();
            out.ipsets.insert(
                set_name(name),
                IpSet {
                    kind,
                    family,
                    members,
                },
            );
        }
        for family in Family::BOTH {
            let mut t = Translator::new(rs, family);
            let mut tables: BTreeMap<Table, XtTable> = BTreeMap::new();
            for (ir_name, chain) in &rs.chains {
                let table = Table::of_chain(ir_name)
                    .ok_or_else(|| XtError(format!("chain {ir_name} names no table")))?;
                let name = chain_name(ir_name);
                let rules = t.chain(&name, &chain.rules)?;
                let entry = tables.entry(table).or_default();
                if let Some(base) = chain.base {
                    let builtin = base.hook.keyword().to_uppercase();
                    entry.hooks.push(Hook {
                        spec: names::hook_spec(table, &builtin, &name),
                        builtin,
                        target: name.clone(),
                    });
                }
                entry.chains.insert(name, rules);
            }
            for table in tables.values_mut() {
                table.hooks.sort();
            }
            for (name, set) in t.inline_sets {
                out.ipsets.insert(name, set);
            }
            match family {
                Family::V4 => out.v4 = tables,
                Family::V6 => out.v6 = tables,
            }
        }
        Ok(out)
    }
}
