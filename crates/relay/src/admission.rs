//! Admission: the connections waiting to log in, and who makes room when there are too many
//! (SECURITY.md, "Admission").
//!
//! Every accepted connection holds a [`Waiting`] ticket from accept until it has logged in (or
//! failed to). The cell's `max_pending_connections` caps the tickets; at the cap a new
//! connection is never refused. Instead one that waits is evicted and the new one takes its
//! place: a *silent* one (it has sent nothing in the [`SILENT_GRACE`] since accept) if there
//! is one, else the one that has waited longest among the connections of the source holding
//! the most:
//! - a client sends its TLS ClientHello as soon as it is connected, so silent sockets, the
//!   cheapest flood there is, only ever evict each other;
//! - a flood from one address only ever evicts that address's own connections while another
//!   address holds fewer, so it cannot lock out the rest of the internet;
//! - a participant who shares the attacker's address (behind the same NAT, or on loopback in
//!   the tests) arrives as the newest connection, and is evicted only once every connection
//!   of its address that came before it is gone: a full cap of newer arrivals. A TLS
//!   handshake and a login take milliseconds, so it logs in long before that.
//!
//! A source is an IPv4 address or an IPv6 /64 (one host commonly holds a whole /64).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use std::time::Instant;

use tokio::sync::oneshot;

use crate::defaults::SILENT_GRACE;

/// Where connections come from, for sharing the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    /// The source of `peer`: its IPv4 address, or its IPv6 address's /64.
    pub fn of(peer: SocketAddr) -> Source {
        match peer.ip().to_canonical() {
            IpAddr::V4(v4) => Source(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Source(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
        }
    }
}

/// The connections waiting to log in.
pub struct Admission {
    cap: usize,
    queue: Mutex<Queue>,
}

/// A waiting connection.
struct Entry {
    source: Source,
    /// When it was accepted.
    since: Instant,
    /// Nothing received from it yet.
    silent: bool,
    /// Dropped to evict it.
    evict: oneshot::Sender<()>,
}

/// Tickets of one kind (silent or not), per source, by arrival.
#[derive(Default)]
struct Class(HashMap<Source, BTreeSet<u64>>);

impl Class {
    fn insert(&mut self, source: Source, ticket: u64) {
        self.0.entry(source).or_default().insert(ticket);
    }

    fn remove(&mut self, source: Source, ticket: u64) {
        if let Some(tickets) = self.0.get_mut(&source) {
            tickets.remove(&ticket);
            if tickets.is_empty() {
                self.0.remove(&source);
            }
        }
    }

    /// The oldest ticket of the source with the most (of two sources with as many, the one
    /// whose oldest ticket is older).
    fn victim(&self) -> Option<u64> {
        self.0
            .values()
            .filter_map(|tickets| Some((tickets.len(), *tickets.first()?)))
            .max_by(|(n1, oldest1), (n2, oldest2)| n1.cmp(n2).then(oldest2.cmp(oldest1)))
            .map(|(_, oldest)| oldest)
    }
}

#[derive(Default)]
struct Queue {
    next: u64,
    waiting: BTreeMap<u64, Entry>,
    silent: Class,
    talking: Class,
    /// Every ticket, silent or not.
    all: Class,
}

impl Queue {
    fn class(&mut self, silent: bool) -> &mut Class {
        if silent {
            &mut self.silent
        } else {
            &mut self.talking
        }
    }

    fn remove(&mut self, ticket: u64) -> Option<Entry> {
        let entry = self.waiting.remove(&ticket)?;
        self.class(entry.silent).remove(entry.source, ticket);
        self.all.remove(entry.source, ticket);
        Some(entry)
    }

    /// The ticket to evict: one silent for [`SILENT_GRACE`] or more if there is one, else the
    /// oldest of the busiest source. A connection just accepted may not have been read yet
    /// (its ClientHello waits in the socket), so being silent only counts after the grace.
    fn victim(&self, now: Instant) -> Option<u64> {
        let stale = |ticket: &u64| {
            self.waiting
                .get(ticket)
                .is_some_and(|e| now.saturating_duration_since(e.since) >= SILENT_GRACE)
        };
        let oldest_silent = self.silent.0.values().filter_map(|t| t.first()).min();
        self.silent
            .victim()
            .filter(stale)
            .or_else(|| oldest_silent.copied().filter(stale))
            .or_else(|| self.all.victim())
    }

    fn spoke(&mut self, ticket: u64) {
        if let Some(entry) = self.waiting.get_mut(&ticket)
            && entry.silent
        {
            entry.silent = false;
            let source = entry.source;
            self.silent.remove(source, ticket);
            self.talking.insert(source, ticket);
        }
    }
}

/// What admitting a connection did.
pub struct Admitted {
    /// The new connection's ticket.
    pub ticket: Waiting,
    /// The source of the connection evicted to make room, if any.
    pub evicted: Option<Source>,
}

impl Admission {
    /// Admission with room for `cap` connections waiting to log in (at least one).
    pub fn new(cap: usize) -> Arc<Admission> {
        Arc::new(Admission {
            cap: cap.max(1),
            queue: Mutex::default(),
        })
    }

    /// Admits a connection from `peer`, evicting one that waits if the cap is reached.
    pub fn admit(self: &Arc<Self>, peer: SocketAddr) -> Admitted {
        let source = Source::of(peer);
        let (tx, rx) = oneshot::channel();
        let mut queue = self.lock();
        let mut evicted = None;
        if queue.waiting.len() >= self.cap
            && let Some(victim) = queue.victim(Instant::now())
            && let Some(entry) = queue.remove(victim)
        {
            // The evicted connection's task sees its receiver resolve.
            drop(entry.evict);
            evicted = Some(entry.source);
        }
        let ticket = queue.next;
        queue.next += 1;
        queue.waiting.insert(
            ticket,
            Entry {
                source,
                since: Instant::now(),
                silent: true,
                evict: tx,
            },
        );
        queue.silent.insert(source, ticket);
        queue.all.insert(source, ticket);
        drop(queue);
        Admitted {
            ticket: Waiting {
                admission: self.clone(),
                ticket,
                evicted: rx,
            },
            evicted,
        }
    }

    /// Connections waiting to log in now.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // The critical sections never panic half-way; a poisoned lock still holds a
        // consistent queue.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection's place among those waiting to log in; dropping it (logged in, failed, or
/// gone) frees the place.
pub struct Waiting {
    admission: Arc<Admission>,
    ticket: u64,
    evicted: oneshot::Receiver<()>,
}

impl Waiting {
    /// The peer has sent its first bytes: from now on it is evicted only after every silent
    /// connection.
    pub fn spoke(&self) {
        self.first_words().said();
    }

    /// A handle that marks this connection as no longer silent, usable while the ticket waits
    /// for [`Waiting::evicted`].
    pub fn first_words(&self) -> FirstWords {
        FirstWords {
            admission: self.admission.clone(),
            ticket: self.ticket,
        }
    }

    /// Resolves when the connection is evicted to make room for a newer one.
    pub async fn evicted(&mut self) {
        let _ = (&mut self.evicted).await;
    }
}

/// Marks a waiting connection as no longer silent ([`Waiting::first_words`]).
pub struct FirstWords {
    admission: Arc<Admission>,
    ticket: u64,
}

impl FirstWords {
    /// The peer has sent its first bytes.
    pub fn said(self) {
        self.admission.lock().spoke(self.ticket);
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.admission.lock().remove(self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str, port: u16) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), port)
    }

    fn is_evicted(w: &mut Waiting) -> bool {
        matches!(
            w.evicted.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        )
    }

    #[test]
    fn at_the_cap_the_oldest_of_the_busiest_source_makes_room() {
        let admission = Admission::new(4);
        let mut other = admission.admit(peer("10.0.0.2", 1)).ticket;
        let mut flood: Vec<Waiting> = (0..3)
            .map(|i| admission.admit(peer("10.0.0.1", i)).ticket)
            .collect();
        assert_eq!(admission.waiting(), 4);
        // A fifth from the flooding address evicts that address's oldest, not the other one.
        let fifth = admission.admit(peer("10.0.0.1", 9));
        assert_eq!(fifth.evicted, Some(Source::of(peer("10.0.0.1", 0))));
        assert!(is_evicted(&mut flood[0]));
        assert!(!is_evicted(&mut flood[1]) && !is_evicted(&mut other));
        assert_eq!(admission.waiting(), 4);
        // A newcomer from a third address also takes from the flood.
        let third = admission.admit(peer("10.0.0.3", 1));
        assert!(is_evicted(&mut flood[1]));
        assert!(!is_evicted(&mut other));
        drop((third, fifth));
        assert_eq!(admission.waiting(), 2);
    }

    #[test]
    fn a_newcomer_outlives_every_older_connection_of_its_own_address() {
        let admission = Admission::new(3);
        let mut old: Vec<Waiting> = (0..3)
            .map(|i| admission.admit(peer("127.0.0.1", i)).ticket)
            .collect();
        let mut newcomer = admission.admit(peer("127.0.0.1", 100)).ticket;
        let mut later = Vec::new();
        for i in 0..2 {
            later.push(admission.admit(peer("127.0.0.1", 200 + i)).ticket);
        }
        assert!(old.iter_mut().all(is_evicted));
        assert!(!is_evicted(&mut newcomer), "evicted before the older ones");
        later.push(admission.admit(peer("127.0.0.1", 300)).ticket);
        assert!(
            is_evicted(&mut newcomer),
            "a full cap of newer arrivals later"
        );
    }

    #[test]
    fn silent_connections_are_evicted_first() {
        let admission = Admission::new(3);
        let mut talking = admission.admit(peer("127.0.0.1", 1)).ticket;
        talking.spoke();
        let mut silent: Vec<Waiting> = (0..2)
            .map(|i| admission.admit(peer("127.0.0.1", 10 + i)).ticket)
            .collect();
        std::thread::sleep(SILENT_GRACE);
        let mut later = Vec::new();
        for i in 0..2 {
            later.push(admission.admit(peer("127.0.0.1", 100 + i)).ticket);
        }
        assert!(silent.iter_mut().all(is_evicted));
        assert!(!is_evicted(&mut talking), "the oldest, but it spoke");
        // The newcomers are silent but within the grace: the oldest of all goes next.
        later.push(admission.admit(peer("127.0.0.1", 200)).ticket);
        assert!(is_evicted(&mut talking));
        assert!(!later.iter_mut().any(is_evicted));
    }

    #[test]
    fn a_ticket_dropped_frees_its_place() {
        let admission = Admission::new(2);
        let a = admission.admit(peer("10.0.0.1", 1));
        let mut b = admission.admit(peer("10.0.0.1", 2)).ticket;
        drop(a);
        let c = admission.admit(peer("10.0.0.1", 3));
        assert_eq!(c.evicted, None);
        assert!(!is_evicted(&mut b));
    }

    #[test]
    fn ipv6_sources_are_slash_64_prefixes() {
        assert_eq!(
            Source::of(peer("2001:db8::1", 1)),
            Source::of(peer("2001:db8::ffff:2", 2))
        );
        assert_ne!(
            Source::of(peer("2001:db8::1", 1)),
            Source::of(peer("2001:db8:0:1::1", 1))
        );
        assert_eq!(
            Source::of(peer("::ffff:10.0.0.1", 1)),
            Source::of(peer("10.0.0.1", 2))
        );
    }
}
