//! Admission: the connections waiting to log in, and who makes room when there are too many
//! (SECURITY.md, "Admission").
//!
//! Every accepted connection holds a [`Waiting`] ticket from accept until it has logged in (or
//! failed to). A ticket is of one of two kinds, and at neither cap is a newcomer refused while
//! someone can make room:
//! - **silent**: nothing received yet. A silent socket costs the relay a descriptor and a
//!   small task, no TLS state; it is bounded by the connection cap (`max_connections`) and the
//!   login deadline, and takes no place among the connections that handshake. At the
//!   connection cap a silent connection makes room ([`Admission::make_room`]): the oldest of
//!   the source holding the most silent ones. So silent sockets, the cheapest flood there is,
//!   only ever evict each other, a flood cannot evict another address's silent socket (a
//!   client whose first bytes the relay has not read yet), and a flood below the connection
//!   cap causes no churn at all: nothing is evicted, nothing re-opened.
//! - **talking**: it has sent its first bytes (a client sends its TLS ClientHello as soon as
//!   it is connected), so it holds handshake state. The cell's `max_pending_connections` caps
//!   these; at the cap the one that speaks takes the place of the one that has waited longest
//!   among the talking connections of the source holding the most:
//!   - a flood from one address only ever evicts that address's own connections while another
//!     address holds fewer, so it cannot lock out the rest of the internet;
//!   - a participant who shares the attacker's address (behind the same NAT, or on loopback in
//!     the tests) arrives as the newest connection, and is evicted only once every connection
//!     of its address that came before it is gone: a full cap of newer arrivals. A TLS
//!     handshake and a login take milliseconds, so it logs in long before that.
//!
//! A source is an IPv4 address or an IPv6 /64 (one host commonly holds a whole /64).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

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
    /// Most talking connections (`max_pending_connections`).
    cap: usize,
    queue: Mutex<Queue>,
}

/// A waiting connection.
struct Entry {
    source: Source,
    /// Nothing received from it yet.
    silent: bool,
    /// Dropped to evict it.
    evict: oneshot::Sender<()>,
}

/// Tickets of one kind (silent or talking), per source, by arrival.
#[derive(Default)]
struct Class {
    by_source: HashMap<Source, BTreeSet<u64>>,
    len: usize,
}

impl Class {
    fn insert(&mut self, source: Source, ticket: u64) {
        if self.by_source.entry(source).or_default().insert(ticket) {
            self.len += 1;
        }
    }

    fn remove(&mut self, source: Source, ticket: u64) {
        if let Some(tickets) = self.by_source.get_mut(&source)
            && tickets.remove(&ticket)
        {
            self.len -= 1;
            if tickets.is_empty() {
                self.by_source.remove(&source);
            }
        }
    }

    /// The oldest ticket of the source with the most (of two sources with as many, the one
    /// whose oldest ticket is older).
    fn victim(&self) -> Option<u64> {
        self.by_source
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
        Some(entry)
    }

    /// Evicts `ticket`: its task sees its receiver resolve.
    fn evict(&mut self, ticket: u64) -> Option<Source> {
        let entry = self.remove(ticket)?;
        drop(entry.evict);
        Some(entry.source)
    }

    /// The silent ticket to evict: the oldest of the source holding the most. Not the oldest
    /// of all: a flood that re-opens at once keeps its own sockets young, and a client from
    /// another address whose first bytes wait unread would then be the oldest.
    fn silent_victim(&self) -> Option<u64> {
        self.silent.victim()
    }
}

impl Admission {
    /// Admission with room for `cap` talking connections waiting to log in (at least one).
    pub fn new(cap: usize) -> Arc<Admission> {
        Arc::new(Admission {
            cap: cap.max(1),
            queue: Mutex::default(),
        })
    }

    /// Admits a connection from `peer`, silent until [`FirstWords::said`]. It never evicts:
    /// the connection cap, checked by the caller, bounds silent connections.
    pub fn admit(self: &Arc<Self>, peer: SocketAddr) -> Waiting {
        let source = Source::of(peer);
        let (tx, rx) = oneshot::channel();
        let mut queue = self.lock();
        let ticket = queue.next;
        queue.next += 1;
        queue.waiting.insert(
            ticket,
            Entry {
                source,
                silent: true,
                evict: tx,
            },
        );
        queue.silent.insert(source, ticket);
        drop(queue);
        Waiting {
            admission: self.clone(),
            ticket,
            evicted: rx,
        }
    }

    /// At the connection cap: evicts a silent connection to make room for a newcomer, and
    /// says from which source; `None` when no connection is silent.
    pub fn make_room(&self) -> Option<Source> {
        let mut queue = self.lock();
        let victim = queue.silent_victim()?;
        queue.evict(victim)
    }

    /// Connections waiting to log in now, silent and talking.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// The connection `ticket` has sent its first bytes: it becomes talking, evicting the
    /// longest-waiting talking connection of the busiest source at the cap.
    fn spoke(&self, ticket: u64) -> Option<Source> {
        let mut queue = self.lock();
        let entry = queue.waiting.get_mut(&ticket)?;
        if !entry.silent {
            return None;
        }
        entry.silent = false;
        let source = entry.source;
        queue.silent.remove(source, ticket);
        let evicted = if queue.talking.len >= self.cap {
            let victim = queue.talking.victim()?;
            queue.evict(victim)
        } else {
            None
        };
        queue.talking.insert(source, ticket);
        evicted
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
    /// The peer has sent its first bytes ([`FirstWords::said`]).
    pub fn spoke(&self) -> Option<Source> {
        self.first_words().said()
    }

    /// A handle that marks this connection as talking, usable while the ticket waits for
    /// [`Waiting::evicted`].
    pub fn first_words(&self) -> FirstWords {
        FirstWords {
            admission: self.admission.clone(),
            ticket: self.ticket,
        }
    }

    /// Resolves when the connection is evicted to make room for another.
    pub async fn evicted(&mut self) {
        let _ = (&mut self.evicted).await;
    }
}

/// Marks a waiting connection as talking ([`Waiting::first_words`]).
pub struct FirstWords {
    admission: Arc<Admission>,
    ticket: u64,
}

impl FirstWords {
    /// The peer has sent its first bytes: from now on it holds a place among the talking
    /// connections. Returns the source of the connection evicted to make that place, if any.
    pub fn said(self) -> Option<Source> {
        self.admission.spoke(self.ticket)
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

    /// A connection from `ip` that has spoken, and the source it evicted, if any.
    fn talking(admission: &Arc<Admission>, ip: &str, port: u16) -> (Waiting, Option<Source>) {
        let ticket = admission.admit(peer(ip, port));
        let evicted = ticket.spoke();
        (ticket, evicted)
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
        let (mut other, _) = talking(&admission, "10.0.0.2", 1);
        let mut flood: Vec<Waiting> = (0..3)
            .map(|i| talking(&admission, "10.0.0.1", i).0)
            .collect();
        assert_eq!(admission.waiting(), 4);
        // A fifth from the flooding address evicts that address's oldest, not the other one.
        let (fifth, evicted) = talking(&admission, "10.0.0.1", 9);
        assert_eq!(evicted, Some(Source::of(peer("10.0.0.1", 0))));
        assert!(is_evicted(&mut flood[0]));
        assert!(!is_evicted(&mut flood[1]) && !is_evicted(&mut other));
        assert_eq!(admission.waiting(), 4);
        // A newcomer from a third address also takes from the flood.
        let third = talking(&admission, "10.0.0.3", 1);
        assert!(is_evicted(&mut flood[1]));
        assert!(!is_evicted(&mut other));
        drop((third, fifth));
        assert_eq!(admission.waiting(), 2);
    }

    #[test]
    fn a_newcomer_outlives_every_older_connection_of_its_own_address() {
        let admission = Admission::new(3);
        let mut old: Vec<Waiting> = (0..3)
            .map(|i| talking(&admission, "127.0.0.1", i).0)
            .collect();
        let (mut newcomer, _) = talking(&admission, "127.0.0.1", 100);
        let mut later = Vec::new();
        for i in 0..2 {
            later.push(talking(&admission, "127.0.0.1", 200 + i).0);
        }
        assert!(old.iter_mut().all(is_evicted));
        assert!(!is_evicted(&mut newcomer), "evicted before the older ones");
        later.push(talking(&admission, "127.0.0.1", 300).0);
        assert!(
            is_evicted(&mut newcomer),
            "a full cap of newer arrivals later"
        );
    }

    #[test]
    fn silent_connections_take_no_place_among_the_talking() {
        let admission = Admission::new(2);
        let (mut first, _) = talking(&admission, "127.0.0.1", 1);
        let mut silent: Vec<Waiting> = (0..100)
            .map(|i| admission.admit(peer("127.0.0.1", 10 + i)))
            .collect();
        assert_eq!(admission.waiting(), 101);
        let (mut second, evicted) = talking(&admission, "127.0.0.1", 2);
        assert_eq!(evicted, None, "a silent flood filled the talking places");
        assert!(!is_evicted(&mut first) && !is_evicted(&mut second));
        assert!(!silent.iter_mut().any(is_evicted));
        // One of the silent speaks: the cap of two talking is reached, the oldest goes.
        assert!(silent[0].spoke().is_some());
        assert!(is_evicted(&mut first));
    }

    #[test]
    fn at_the_connection_cap_the_busiest_source_makes_room() {
        let admission = Admission::new(8);
        let (mut speaker, _) = talking(&admission, "127.0.0.1", 1);
        // The oldest silent socket of all, from an address holding one.
        let mut other = admission.admit(peer("10.0.0.9", 1));
        let mut flood: Vec<Waiting> = (0..3)
            .map(|i| admission.admit(peer("127.0.0.1", 10 + i)))
            .collect();
        // The flood's oldest goes, not the older socket of the other address.
        assert_eq!(
            admission.make_room(),
            Some(Source::of(peer("127.0.0.1", 10)))
        );
        assert!(is_evicted(&mut flood[0]) && !is_evicted(&mut other));
        assert!(admission.make_room().is_some());
        assert!(is_evicted(&mut flood[1]) && !is_evicted(&mut other));
        // Two sources with one silent socket each: the older goes.
        assert!(admission.make_room().is_some());
        assert!(is_evicted(&mut other));
        assert!(admission.make_room().is_some());
        assert_eq!(
            admission.make_room(),
            None,
            "only a talking connection is left"
        );
        assert!(!is_evicted(&mut speaker));
    }

    #[test]
    fn a_ticket_dropped_frees_its_place() {
        let admission = Admission::new(2);
        let a = talking(&admission, "10.0.0.1", 1);
        let (mut b, _) = talking(&admission, "10.0.0.1", 2);
        drop(a);
        let (_c, evicted) = talking(&admission, "10.0.0.1", 3);
        assert_eq!(evicted, None);
        assert!(!is_evicted(&mut b));
        assert_eq!(admission.waiting(), 2);
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
