//! Where raw-protocol servers note what they received. Servers and probes live in the
//! same process, so a probe learns about delivery by waiting on this store instead of
//! needing a reply protocol (raw protocols such as VRRP have none).

use std::net::IpAddr;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// One raw packet a lab server accepted as a probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The endpoint (pod or external name) whose server received it.
    pub endpoint: String,
    /// The packet's source address as seen by the receiver (after any NAT).
    pub src: IpAddr,
    /// IP protocol number.
    pub proto: u8,
    /// The probe's token.
    pub token: u32,
}

#[derive(Debug, Default)]
pub(crate) struct ReceiptStore {
    seen: Mutex<Vec<Receipt>>,
    changed: Condvar,
}

impl ReceiptStore {
    fn lock(&self) -> MutexGuard<'_, Vec<Receipt>> {
        // A panicking server thread cannot leave the Vec half-updated, so poisoning is
        // no reason to stop recording.
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn record(&self, r: Receipt) {
        self.lock().push(r);
        self.changed.notify_all();
    }

    /// Waits until a receipt with `token` arrives or `deadline` passes.
    pub(crate) fn wait_for(&self, token: u32, deadline: Instant) -> Option<Receipt> {
        let mut seen = self.lock();
        loop {
            if let Some(r) = seen.iter().find(|r| r.token == token) {
                return Some(r.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            seen = self
                .changed
                .wait_timeout(seen, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    pub(crate) fn all(&self) -> Vec<Receipt> {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn wakes_waiter_and_times_out() {
        let store = Arc::new(ReceiptStore::default());
        let s2 = Arc::clone(&store);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            s2.record(Receipt {
                endpoint: "p".into(),
                src: "10.0.0.1".parse().unwrap(),
                proto: 112,
                token: 9,
            });
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(store.wait_for(9, deadline).map(|r| r.proto), Some(112));
        t.join().unwrap();
        let soon = Instant::now() + Duration::from_millis(10);
        assert!(store.wait_for(10, soon).is_none());
    }
}
