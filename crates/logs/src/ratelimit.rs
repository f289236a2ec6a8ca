//! FelixConfiguration `logActionRateLimit` (`N/second|minute|hour|day`) and
//! `logActionRateLimitBurst`, as iptables' `-m limit` applies them: a token bucket that starts
//! full with `burst` tokens and gains one every `unit / N`. Felix puts one limit on each Log
//! rule; here there is one bucket per prefix, which is per policy when the prefix names it
//! (`%n`, `%p`). No limit is the default, so every logged packet gives a line.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::error::LogError;

/// A rate and burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Time between two tokens.
    pub interval: Duration,
    /// Tokens the bucket holds (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// Parses Felix's settings; `rate` `None` or empty is no limit. A burst of 0 counts as 1
    /// (a bucket that could hold nothing would log nothing at any rate).
    ///
    /// # Errors
    /// When `rate` is not `N/unit` with N from 1 to 9999, or the burst is out of 0..=9999.
    pub fn from_felix(rate: Option<&str>, burst: i64) -> Result<Option<RateLimit>, LogError> {
        let Some(rate) = rate.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let bad = || {
            LogError::Config(format!(
                "logActionRateLimit `{rate}` is not N/second|minute|hour|day with N from 1 to 9999"
            ))
        };
        let (n, unit) = rate.split_once('/').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if !(1..=9999).contains(&n) {
            return Err(bad());
        }
        let unit_secs = match unit.trim().to_ascii_lowercase().as_str() {
            "second" | "s" | "sec" => 1,
            "minute" | "m" | "min" => 60,
            "hour" | "h" => 3600,
            "day" | "d" => 86_400,
            _ => return Err(bad()),
        };
        let burst = u32::try_from(burst)
            .ok()
            .filter(|b| *b <= 9999)
            .ok_or_else(|| {
                LogError::Config(format!(
                    "logActionRateLimitBurst {burst} is not from 0 to 9999"
                ))
            })?;
        Ok(Some(RateLimit {
            interval: Duration::from_secs(unit_secs) / u32::try_from(n).map_err(|_| bad())?,
            burst: burst.max(1),
        }))
    }
}

#[derive(Debug)]
struct Bucket {
    /// Saved-up time; each packet costs one interval.
    credit: Duration,
    last: Instant,
}

/// Buckets keyed by prefix. The number of keys is bounded: past [`MAX_KEYS`] the buckets
/// start over full, which errs towards logging.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    buckets: HashMap<String, Bucket>,
}

/// Most distinct prefixes tracked at once.
pub const MAX_KEYS: usize = 4096;

impl Limiter {
    /// A limiter for `limit`.
    #[must_use]
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// The limit it applies.
    #[must_use]
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Whether a packet with this prefix, seen at `now`, may be logged.
    pub fn allow(&mut self, key: &str, now: Instant) -> bool {
        let full = self.limit.interval * self.limit.burst;
        // Look up by `&str` first: a key is only allocated for a new prefix.
        if !self.buckets.contains_key(key) {
            if self.buckets.len() >= MAX_KEYS {
                self.buckets.clear();
            }
            let bucket = Bucket {
                credit: full,
                last: now,
            };
            self.buckets.insert(key.to_string(), bucket);
        }
        let Some(bucket) = self.buckets.get_mut(key) else {
            return true;
        };
        bucket.credit = (bucket.credit + now.saturating_duration_since(bucket.last)).min(full);
        bucket.last = now;
        if bucket.credit >= self.limit.interval {
            bucket.credit -= self.limit.interval;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn felix_rates_parse_and_no_rate_is_no_limit() {
        assert_eq!(RateLimit::from_felix(None, 5).expect("ok"), None);
        assert_eq!(RateLimit::from_felix(Some(""), 5).expect("ok"), None);
        let l = RateLimit::from_felix(Some("10/second"), 20)
            .expect("ok")
            .expect("a limit");
        assert_eq!((l.interval, l.burst), (Duration::from_millis(100), 20));
        let l = RateLimit::from_felix(Some("5/minute"), 0)
            .expect("ok")
            .expect("a limit");
        assert_eq!((l.interval, l.burst), (Duration::from_secs(12), 1));
        for bad in [
            "0/second",
            "10000/second",
            "5/fortnight",
            "five/second",
            "5",
        ] {
            assert!(RateLimit::from_felix(Some(bad), 5).is_err(), "{bad}");
        }
        assert!(RateLimit::from_felix(Some("1/day"), 10_000).is_err());
        assert!(RateLimit::from_felix(Some("1/day"), -1).is_err());
    }

    #[test]
    fn the_burst_passes_then_one_per_interval() {
        let limit = RateLimit {
            interval: Duration::from_secs(1),
            burst: 3,
        };
        let mut l = Limiter::new(limit);
        let t0 = Instant::now();
        let passed = (0..10).filter(|_| l.allow("a", t0)).count();
        assert_eq!(passed, 3);
        assert!(!l.allow("a", t0 + Duration::from_millis(999)));
        assert!(l.allow("a", t0 + Duration::from_millis(1000)));
        assert!(!l.allow("a", t0 + Duration::from_millis(1500)));
        // A long pause refills the bucket up to the burst, not beyond.
        let later = t0 + Duration::from_secs(100);
        assert_eq!((0..10).filter(|_| l.allow("a", later)).count(), 3);
        // Another prefix has its own bucket.
        assert!(l.allow("b", later));
    }

    #[test]
    fn the_number_of_buckets_is_bounded() {
        let limit = RateLimit {
            interval: Duration::from_secs(3600),
            burst: 1,
        };
        let mut l = Limiter::new(limit);
        let t0 = Instant::now();
        for i in 0..=MAX_KEYS {
            assert!(l.allow(&i.to_string(), t0));
        }
        assert!(l.buckets.len() <= MAX_KEYS);
    }
}
