//! Switching backends on a running node without a gap: the new backend programs first, and
//! only once its rules are in force is the old backend's state removed. While both are in
//! force they say the same thing, so a packet meets the same verdict twice.

use crate::{Dataplane, DataplaneError, Drift, Nft, Programmed};

/// The step that removes the other backend's rules; `Ok(true)` if it removed something.
pub type Retire = Box<dyn FnMut() -> Result<bool, DataplaneError> + Send>;

/// A backend that, after its first successful program, retires the other backend.
pub struct Retiring<D> {
    inner: D,
    retire: Option<Retire>,
}

impl<D: Dataplane> Retiring<D> {
    /// `inner`, retiring with `retire` once it has programmed.
    pub fn new(inner: D, retire: Retire) -> Retiring<D> {
        Retiring {
            inner,
            retire: Some(retire),
        }
    }

    /// Whether the other backend is still to be retired.
    #[must_use]
    pub fn pending(&self) -> bool {
        self.retire.is_some()
    }

    fn retire(&mut self) -> Result<(), DataplaneError> {
        if let Some(step) = self.retire.as_mut() {
            step().map_err(|e| {
                DataplaneError(format!(
                    "the new rules are in force, but the other backend's could not be removed: {e}"
                ))
            })?;
            self.retire = None;
        }
        Ok(())
    }
}

impl<D: Dataplane> Dataplane for Retiring<D> {
    fn program(&mut self, desired: tortie_rules::Ruleset) -> Result<Programmed, DataplaneError> {
        let done = self.inner.program(desired)?;
        // A failed retire is reported (not ready) and tried again with the next program.
        self.retire()?;
        Ok(done)
    }

    fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        self.inner.check_and_repair()
    }

    fn forget(&mut self) {
        self.inner.forget();
    }
}

/// Removes Tortie's nftables table, if there is one.
///
/// # Errors
/// `nft` failed.
pub fn retire_nft<N: Nft>(nft: &mut N) -> Result<bool, DataplaneError> {
    let table = tortie_rules::names::TABLE;
    if nft.list_json(table)?.is_none() {
        return Ok(false);
    }
    nft.apply(&format!("delete table inet {table}\n"))?;
    Ok(true)
}
