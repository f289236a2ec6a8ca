//! The edge where rulesets meet the kernel. [`Nft`] is the one place that runs `nft`; the
//! [`Programmer`] keeps what it last programmed, turns each new ruleset into one transaction
//! (the whole table at start of day, deltas afterwards), and verifies the kernel's listing
//! against what it programmed to find and repair drift.
//!
//! A transaction the kernel refuses changes nothing (nft transactions are atomic), so the
//! previous rules stay in force and the error is returned to be reported.
//!
//! The iptables backend ([`IptablesProgrammer`], through [`XtablesCli`]) programs the same
//! rendered ruleset in Felix's iptables layout. Both implement [`Dataplane`], which is all the
//! agent sees; [`Retiring`] removes the other backend's rules once the new ones are in force.

#![forbid(unsafe_code)]

mod backend;
mod iptables;
mod nft_cli;
mod retiring;
mod verify;
mod xtables_cli;

use std::time::{Duration, Instant};

pub use backend::{Backend, open};
pub use iptables::{IptablesProgrammer, retire_iptables};
pub use nft_cli::NftCli;
pub use retiring::{Retiring, retire_nft};
use tortie_rules::{Ruleset, Stats, full_script, update_script};
pub use verify::{Drift, verify};
pub use xtables_cli::{Variant, Xtables, XtablesCli};

/// What went wrong talking to the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataplaneError(pub String);

impl std::fmt::Display for DataplaneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataplaneError {}

/// Runs nftables scripts and reads the table back.
pub trait Nft {
    /// Applies a script as one transaction.
    ///
    /// # Errors
    /// The kernel (or `nft`) refused it; nothing changed.
    fn apply(&mut self, script: &str) -> Result<(), DataplaneError>;

    /// `nft -j list table inet <table>`, or `None` if the table does not exist.
    ///
    /// # Errors
    /// `nft` could not run.
    fn list_json(&mut self, table: &str) -> Result<Option<String>, DataplaneError>;
}

/// What one [`Programmer::program`] call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Programmed {
    /// Nothing changed.
    Unchanged,
    /// The whole table was (re)written.
    Full {
        /// Chains in the table.
        chains: usize,
        /// Time the transaction took.
        took: Duration,
    },
    /// Deltas were applied.
    Delta {
        /// What changed.
        stats: Stats,
        /// Time the transaction took.
        took: Duration,
    },
}

/// Keeps the kernel's table equal to the last ruleset given.
pub struct Programmer<N: Nft> {
    nft: N,
    programmed: Option<Ruleset>,
}

impl<N: Nft> Programmer<N> {
    /// A programmer that has programmed nothing yet (its first call replaces the table).
    pub fn new(nft: N) -> Programmer<N> {
        Programmer {
            nft,
            programmed: None,
        }
    }

    /// What is programmed, as far as this programmer knows.
    #[must_use]
    pub fn programmed(&self) -> Option<&Ruleset> {
        self.programmed.as_ref()
    }

    /// Makes the kernel's table equal to `desired` in one transaction.
    ///
    /// # Errors
    /// The transaction was refused; the previous rules are still in force.
    pub fn program(&mut self, desired: Ruleset) -> Result<Programmed, DataplaneError> {
        let start = Instant::now();
        let result = match &self.programmed {
            None => {
                self.nft.apply(&full_script(&desired))?;
                Programmed::Full {
                    chains: desired.chains.len(),
                    took: start.elapsed(),
                }
            }
            Some(old) => match update_script(old, &desired) {
                None => return Ok(Programmed::Unchanged),
                Some((script, stats)) => {
                    self.nft.apply(&script)?;
                    Programmed::Delta {
                        stats,
                        took: start.elapsed(),
                    }
                }
            },
        };
        self.programmed = Some(desired);
        Ok(result)
    }

    /// Compares the kernel's table with what was programmed; on any difference rewrites the
    /// whole table. Returns the drift found (empty when none).
    ///
    /// # Errors
    /// `nft` failed, or the repair was refused.
    pub fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        let Some(expected) = &self.programmed else {
            return Ok(Vec::new());
        };
        let listing = self.nft.list_json(tortie_rules::names::TABLE)?;
        let drift = verify(expected, listing.as_deref());
        if !drift.is_empty() {
            let desired = expected.clone();
            self.programmed = None;
            self.program(desired)?;
        }
        Ok(drift)
    }

    /// Forgets what was programmed, so the next call rewrites the whole table.
    pub fn forget(&mut self) {
        self.programmed = None;
    }
}

/// What the agent needs of a backend: program a ruleset, check and repair drift, forget.
pub trait Dataplane {
    /// Makes the kernel enforce `desired`.
    ///
    /// # Errors
    /// The kernel refused; the previous rules are still in force.
    fn program(&mut self, desired: Ruleset) -> Result<Programmed, DataplaneError>;

    /// Compares the kernel with what was programmed and repairs any difference.
    ///
    /// # Errors
    /// Reading or repairing failed.
    fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError>;

    /// Forgets what was programmed, so the next call rewrites everything.
    fn forget(&mut self);
}

impl<N: Nft> Dataplane for Programmer<N> {
    fn program(&mut self, desired: Ruleset) -> Result<Programmed, DataplaneError> {
        Programmer::program(self, desired)
    }

    fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        Programmer::check_and_repair(self)
    }

    fn forget(&mut self) {
        Programmer::forget(self);
    }
}

impl<X: Xtables> Dataplane for IptablesProgrammer<X> {
    fn program(&mut self, desired: Ruleset) -> Result<Programmed, DataplaneError> {
        IptablesProgrammer::program(self, &desired)
    }

    fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        IptablesProgrammer::check_and_repair(self)
    }

    fn forget(&mut self) {
        IptablesProgrammer::forget(self);
    }
}
