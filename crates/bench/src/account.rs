//! Delivery accounting for one subscriber: every publisher numbers its messages 0, 1, 2, …
//! and every subscriber must receive each one exactly once, in order.
//!
//! - a message with the number expected next is in order;
//! - a higher number is a **gap** (the missing numbers are counted, and stay missing unless
//!   they arrive later, out of order);
//! - a number already passed is a **duplicate** (or a late, reordered message: either way the
//!   relay broke its promise);
//! - at the end, every message a publisher had acknowledged (the floor: sent) and that did not
//!   arrive is a **loss**.

use serde::Serialize;

/// One subscriber's view.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// Next number expected from each publisher.
    next: Vec<u64>,
    /// Messages received in order (distinct).
    pub received: u64,
    /// Numbers skipped.
    pub gaps: u64,
    /// Numbers received again, or after a higher one.
    pub duplicates: u64,
    /// Bytes of the frames counted as received.
    pub bytes: u64,
}

/// Totals over every subscriber.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Deliveries received (every subscriber, every message, duplicates excluded).
    pub delivered: u64,
    /// Deliveries expected and never received.
    pub lost: u64,
    /// Deliveries received twice or out of order.
    pub duplicates: u64,
    /// Numbers skipped at the time (a gap that was never filled is also a loss).
    pub gaps: u64,
    /// Bytes of the frames delivered: what a delivery costs on the wire, before TLS (the
    /// relay's `deliver` frame carries the signed record; the floor's is the bare body).
    pub delivered_bytes: u64,
}

impl Totals {
    /// Whether the relay kept its promise: nothing lost, duplicated, reordered or skipped.
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.duplicates == 0 && self.gaps == 0
    }

    /// Whether each of `receivers` subscribers got each of `messages` messages exactly once:
    /// the promise checked against what was meant to be sent, not only against what the relay
    /// acknowledged (an act never acknowledged counts as lost here).
    pub fn exactly_once(&self, receivers: u64, messages: u64) -> bool {
        self.clean() && self.delivered == receivers * messages
    }
}

impl Account {
    /// Counts one message from `publisher` numbered `seq` that came in a frame of `bytes`;
    /// true when it was new (in order, or after a gap).
    pub fn see(&mut self, publisher: u32, seq: u64, bytes: usize) -> bool {
        let p = publisher as usize;
        if p >= self.next.len() {
            self.next.resize(p + 1, 0);
        }
        let next = &mut self.next[p];
        if seq < *next {
            self.duplicates += 1;
            return false;
        }
        self.gaps += seq - *next;
        *next = seq + 1;
        self.received += 1;
        self.bytes += bytes as u64;
        true
    }

    /// Whether this subscriber has every message `expected[p]` of each publisher `p`.
    pub fn has_all(&self, expected: &[u64]) -> bool {
        expected
            .iter()
            .enumerate()
            .all(|(p, &want)| self.next.get(p).copied().unwrap_or(0) >= want)
    }

    /// Adds this subscriber to `totals`, given how many messages each publisher made
    /// durable (acknowledged) or, for the floor, sent.
    pub fn total_into(&self, expected: &[u64], totals: &mut Totals) {
        let want: u64 = expected.iter().sum();
        totals.delivered += self.received;
        totals.lost += want.saturating_sub(self.received);
        totals.duplicates += self.duplicates;
        totals.gaps += self.gaps;
        totals.delivered_bytes += self.bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_is_clean() {
        let mut a = Account::default();
        for s in 0..10 {
            a.see(0, s, 0);
            a.see(3, s, 0);
        }
        let mut t = Totals::default();
        a.total_into(&[10, 0, 0, 10], &mut t);
        assert!(t.clean(), "{t:?}");
        assert_eq!(t.delivered, 20);
        assert!(a.has_all(&[10, 0, 0, 10]));
    }

    #[test]
    fn gap_duplicate_and_loss_are_counted() {
        let mut a = Account::default();
        for s in [0, 1, 3, 3, 2, 4] {
            a.see(0, s, 0);
        }
        let mut t = Totals::default();
        a.total_into(&[6], &mut t);
        // 0,1,3,4 in order or ahead; 3 again and 2 late are duplicates; 2 and 5 are missing.
        assert_eq!(t.gaps, 1);
        assert_eq!(t.duplicates, 2);
        assert_eq!(t.delivered, 4);
        assert_eq!(t.lost, 2);
        assert!(!t.clean());
        assert!(!a.has_all(&[6]));
    }

    /// One post to 50 participants: every one once is exactly once; one that missed it, or
    /// one that got it twice, is not, and neither is a post the relay never acknowledged.
    #[test]
    fn exactly_once_catches_a_miss_and_a_double() {
        let total = |seen: &[u32], acked: u64| {
            let mut t = Totals::default();
            for &times in seen {
                let mut a = Account::default();
                for _ in 0..times {
                    a.see(0, 0, 0);
                }
                a.total_into(&[acked], &mut t);
            }
            t
        };
        let mut seen = vec![1; 50];
        assert!(total(&seen, 1).exactly_once(50, 1));
        seen[17] = 0;
        assert!(
            !total(&seen, 1).exactly_once(50, 1),
            "a participant missed it"
        );
        seen[17] = 2;
        assert!(
            !total(&seen, 1).exactly_once(50, 1),
            "a participant got it twice"
        );
        assert!(
            !total(&[0; 50], 0).exactly_once(50, 1),
            "never acknowledged"
        );
    }
}
