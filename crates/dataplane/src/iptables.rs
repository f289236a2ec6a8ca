//! The iptables backend's programmer: keeps the kernel's iptables chains and ipsets equal to
//! the last ruleset given, in Felix's layout (see `tortie_rules::xt`). Start of day reads what
//! the kernel has and replaces Tortie's part of it; afterwards only changed chains and set
//! members are written. Order keeps every rule's references valid: sets are created and
//! filled first, then the IPv4 and IPv6 tables are written (one transaction per table), then
//! sets no rule names any more are destroyed.

use std::collections::BTreeSet;
use std::time::Instant;

use tortie_rules::Ruleset;
use tortie_rules::Stats;
use tortie_rules::ir::Family;
use tortie_rules::xt::restore::{self, IpsetScript};
use tortie_rules::xt::save::{self, Saved};
use tortie_rules::xt::{XtRuleset, is_own_set};

use crate::xtables_cli::Xtables;
use crate::{DataplaneError, Drift, Programmed};

/// Keeps iptables and ipsets equal to the last ruleset given.
pub struct IptablesProgrammer<X: Xtables> {
    xt: X,
    programmed: Option<XtRuleset>,
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::V4 => "iptables",
        Family::V6 => "ip6tables",
    }
}

impl<X: Xtables> IptablesProgrammer<X> {
    /// A programmer that has programmed nothing yet.
    pub fn new(xt: X) -> IptablesProgrammer<X> {
        IptablesProgrammer {
            xt,
            programmed: None,
        }
    }

    /// What is programmed, as far as this programmer knows.
    #[must_use]
    pub fn programmed(&self) -> Option<&XtRuleset> {
        self.programmed.as_ref()
    }

    fn existing_sets(&mut self) -> Result<BTreeSet<String>, DataplaneError> {
        Ok(save::ipset_sizes(&self.xt.ipset_save()?)
            .into_keys()
            .filter(|n| is_own_set(n))
            .collect())
    }

    /// Sets, then tables, then set destroys; a failure after the first step leaves the
    /// programmer knowing nothing, so the next call starts from the kernel's state again.
    fn write(
        &mut self,
        sets: &IpsetScript,
        tables: &[(Family, String)],
    ) -> Result<(), DataplaneError> {
        self.programmed = None;
        self.xt.ipset_restore(&sets.before)?;
        for (family, text) in tables {
            if !text.is_empty() {
                self.xt.restore(*family, text)?;
            }
        }
        // A set still named by a rule outside Tortie's chains cannot go; it is left and
        // tried again at the next start of day.
        let _ = self.xt.ipset_restore(&sets.after);
        Ok(())
    }

    fn full(&mut self, new: &XtRuleset) -> Result<(), DataplaneError> {
        let existing = self.existing_sets()?;
        let sets = restore::ipsets_full(&new.ipsets, &existing);
        let mut tables = Vec::new();
        for f in Family::BOTH {
            let kernel = Saved::parse(&self.xt.save(f)?);
            tables.push((f, restore::full(new.family(f), &kernel)));
        }
        self.write(&sets, &tables)
    }

    /// Makes the kernel's iptables and ipsets equal to `desired`.
    ///
    /// # Errors
    /// The ruleset cannot be said in iptables, or the kernel refused a step; the next call
    /// rewrites everything.
    pub fn program(&mut self, desired: &Ruleset) -> Result<Programmed, DataplaneError> {
        let start = Instant::now();
        let new = XtRuleset::from_ruleset(desired)
            .map_err(|e| DataplaneError(format!("cannot say this in iptables: {e}")))?;
        let Some(old) = self.programmed.take() else {
            self.full(&new)?;
            let chains = new.v4.values().map(|t| t.chains.len()).sum();
            self.programmed = Some(new);
            return Ok(Programmed::Full {
                chains,
                took: start.elapsed(),
            });
        };
        let mut stats = Stats::default();
        let sets = restore::ipsets_update(&old.ipsets, &new.ipsets, &mut stats);
        let tables: Vec<(Family, String)> = Family::BOTH
            .iter()
            .map(|f| {
                (
                    *f,
                    restore::update(old.family(*f), new.family(*f), &mut stats).unwrap_or_default(),
                )
            })
            .collect();
        if stats.is_empty() {
            self.programmed = Some(old);
            return Ok(Programmed::Unchanged);
        }
        self.write(&sets, &tables)?;
        self.programmed = Some(new);
        Ok(Programmed::Delta {
            stats,
            took: start.elapsed(),
        })
    }

    /// Compares the kernel's tables and sets with what was programmed; on any difference
    /// rewrites Tortie's part whole.
    ///
    /// # Errors
    /// A command failed, or the repair was refused.
    pub fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        let Some(expected) = self.programmed.clone() else {
            return Ok(Vec::new());
        };
        let mut drift: Vec<String> = Vec::new();
        for f in Family::BOTH {
            let kernel = Saved::parse(&self.xt.save(f)?);
            drift.extend(save::verify(expected.family(f), &kernel, family_name(f)));
        }
        let sizes = save::ipset_sizes(&self.xt.ipset_save()?);
        drift.extend(save::verify_ipsets(&expected.ipsets, &sizes));
        if !drift.is_empty() {
            self.programmed = None;
            self.full(&expected)?;
            self.programmed = Some(expected);
        }
        Ok(drift.into_iter().map(Drift).collect())
    }

    /// Forgets what was programmed, so the next call rewrites everything.
    pub fn forget(&mut self) {
        self.programmed = None;
    }
}

/// Removes everything of Tortie's from one variant's iptables (both families), and, when
/// `sets` is true, its ipsets: what switching to nftables leaves behind of the iptables
/// backend. Returns whether there was anything to remove.
///
/// # Errors
/// A command failed or the kernel refused.
pub fn retire_iptables<X: Xtables>(xt: &mut X, sets: bool) -> Result<bool, DataplaneError> {
    let mut found = false;
    for f in Family::BOTH {
        let Ok(text) = xt.save(f) else { continue };
        if let Some(script) = restore::retire(&Saved::parse(&text)) {
            xt.restore(f, &script)?;
            found = true;
        }
    }
    if sets {
        let names: Vec<String> = save::ipset_sizes(&xt.ipset_save()?).into_keys().collect();
        if !names.is_empty() {
            let script: String = names.iter().map(|n| format!("destroy {n}\n")).collect();
            xt.ipset_restore(&script)?;
            found = true;
        }
    }
    Ok(found)
}
