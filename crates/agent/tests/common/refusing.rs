//! An [`Nft`] that, when armed, spoils every script with one line the kernel refuses and
//! hands it to the real `nft`, so the whole transaction is refused by the kernel itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tortie_dataplane::{DataplaneError, Nft, NftCli};

/// A jump to a chain that does not exist: `nft` passes it on and the kernel answers ENOENT
/// ("Could not process rule"), refusing the transaction it is part of.
pub const POISON: &str = "add rule inet tortie filter-FORWARD jump tortie-test-no-such-chain";

/// Shared switches of a [`Refusing`].
#[derive(Clone, Default)]
pub struct Switch {
    armed: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
    passed: Arc<AtomicUsize>,
}

impl Switch {
    /// Spoil the scripts from now on (or stop).
    pub fn arm(&self, on: bool) {
        self.armed.store(on, Ordering::SeqCst);
    }

    /// Spoiled scripts the kernel refused.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Scripts applied while disarmed.
    pub fn passed(&self) -> usize {
        self.passed.load(Ordering::SeqCst)
    }
}

/// The wrapper.
pub struct Refusing {
    inner: NftCli,
    switch: Switch,
}

impl Refusing {
    /// Wraps `inner`, controlled by `switch`.
    pub fn new(inner: NftCli, switch: &Switch) -> Refusing {
        Refusing {
            inner,
            switch: switch.clone(),
        }
    }
}

impl Nft for Refusing {
    fn apply(&mut self, script: &str) -> Result<(), DataplaneError> {
        if !self.switch.armed.load(Ordering::SeqCst) {
            let r = self.inner.apply(script);
            if r.is_ok() {
                self.switch.passed.fetch_add(1, Ordering::SeqCst);
            }
            return r;
        }
        let spoiled = format!("{script}\n{POISON}\n");
        let r = self.inner.apply(&spoiled);
        match &r {
            Err(e) if e.0.contains("tortie-test-no-such-chain") => {
                self.switch.refused.fetch_add(1, Ordering::SeqCst);
            }
            // Accepted, or refused for another reason: the test sees it in the counters.
            _ => {}
        }
        r
    }

    fn list_json(&mut self, table: &str) -> Result<Option<String>, DataplaneError> {
        self.inner.list_json(table)
    }
}
