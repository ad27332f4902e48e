//! Per-identity rate limits: a token bucket for acts and one for bytes, shared by all of an
//! identity's sessions so that opening more sessions buys no more rate (SECURITY.md, P8).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fusioncell_wire::IdentityId;

/// One bucket: refills continuously at `rate` per second up to `burst`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant, rate: f64, burst: f64, cost: f64) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.last = now;
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }
}

/// Limits shared by every session of the relay. Cloning is shallow.
///
/// A `std::sync::Mutex` suffices: the critical section is a few arithmetic operations and
/// never awaits.
#[derive(Clone)]
pub struct RateLimits {
    acts_per_sec: f64,
    act_burst: f64,
    bytes_per_sec: f64,
    buckets: Arc<Mutex<HashMap<IdentityId, (Bucket, Bucket)>>>,
}

impl RateLimits {
    /// Limits of `acts_per_minute` (burst `act_burst`) and `bytes_per_second` per identity.
    pub fn new(acts_per_minute: u32, act_burst: u32, bytes_per_second: u64) -> Self {
        RateLimits {
            acts_per_sec: f64::from(acts_per_minute) / 60.0,
            act_burst: f64::from(act_burst.max(1)),
            bytes_per_sec: bytes_per_second as f64,
            buckets: Arc::default(),
        }
    }

    /// Takes one act of `bytes` from `who`'s buckets; false when over the limit. The byte
    /// bucket's burst is one second of rate, but at least one maximum-size message.
    pub fn allow(&self, who: &IdentityId, bytes: usize, max_message: usize) -> bool {
        let now = Instant::now();
        let byte_burst = self.bytes_per_sec.max(max_message as f64);
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // The identity is cloned (allocated) only the first time, not for every act.
        if !map.contains_key(who) {
            let full = |tokens| Bucket { tokens, last: now };
            map.insert(who.clone(), (full(self.act_burst), full(byte_burst)));
        }
        let Some((acts, bytes_bucket)) = map.get_mut(who) else {
            return false;
        };
        // Check both before taking from either, so a refused act costs nothing.
        let mut a = *acts;
        let mut b = *bytes_bucket;
        if a.take(now, self.acts_per_sec, self.act_burst, 1.0)
            && b.take(now, self.bytes_per_sec, byte_burst, bytes as f64)
        {
            *acts = a;
            *bytes_bucket = b;
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
    fn burst_then_refuse() {
        let r = RateLimits::new(60, 5, 1_000_000);
        let id = IdentityId::new("a").unwrap();
        for _ in 0..5 {
            assert!(r.allow(&id, 10, 1000));
        }
        assert!(!r.allow(&id, 10, 1000));
        // Another identity has its own bucket.
        assert!(r.allow(&IdentityId::new("b").unwrap(), 10, 1000));
    }

    #[test]
    fn bytes_are_limited() {
        let r = RateLimits::new(6000, 100, 1000);
        let id = IdentityId::new("a").unwrap();
        assert!(r.allow(&id, 900, 1000));
        assert!(!r.allow(&id, 900, 1000));
    }
}
