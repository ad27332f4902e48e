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
}

impl Totals {
    /// Whether the relay kept its promise: nothing lost, duplicated, reordered or skipped.
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.duplicates == 0 && self.gaps == 0
    }
}

impl Account {
    /// Counts one message from `publisher` numbered `seq`.
    pub fn see(&mut self, publisher: u32, seq: u64) {
        let p = publisher as usize;
        if p >= self.next.len() {
            self.next.resize(p + 1, 0);
        }
        let next = &mut self.next[p];
        if seq == *next {
            *next += 1;
            self.received += 1;
        } else if seq > *next {
            self.gaps += seq - *next;
            *next = seq + 1;
            self.received += 1;
        } else {
            self.duplicates += 1;
        }
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_is_clean() {
        let mut a = Account::default();
        for s in 0..10 {
            a.see(0, s);
            a.see(3, s);
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
            a.see(0, s);
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
}
