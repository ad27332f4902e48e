//! Security events from peers that have not logged in are throttled before they reach the
//! journal (SECURITY.md, P17): anyone who can open a TCP connection can cause one, so without
//! a limit an unauthenticated flood writes (and fsyncs) the journal at the attacker's pace.
//!
//! Time is cut into windows of [`LOGIN_EVENT_WINDOW`]. In each, a source address gets at most
//! [`LOGIN_EVENTS_PER_SOURCE`] records and all sources together [`LOGIN_EVENTS_PER_WINDOW`];
//! the rest are counted, and when the window ends one `suppressed` record says how many there
//! were, of which events, and from how many sources. Memory is bounded too: only admitted
//! sources are remembered (at most the window's cap), and the summary names at most
//! [`SUPPRESSED_SOURCES_NAMED`] of the suppressed ones.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use fusioncell_wire::SecurityBody;

use crate::defaults::{
    LOGIN_EVENT_WINDOW, LOGIN_EVENTS_PER_SOURCE, LOGIN_EVENTS_PER_WINDOW, SUPPRESSED_SOURCES_NAMED,
};

/// The name of a summary record's event.
pub(crate) const SUPPRESSED: &str = "suppressed";

/// The throttle's state for the current window.
pub(crate) struct Throttle {
    started: Instant,
    /// Records admitted per source in this window.
    admitted: HashMap<IpAddr, u32>,
    /// Records admitted in this window, all sources.
    total: u32,
    /// Suppressed events by name.
    suppressed: BTreeMap<String, u64>,
    /// Suppressed events of the first sources met, for the summary.
    sources: BTreeMap<IpAddr, u64>,
    /// Distinct suppressed sources beyond those in `sources` (counted once each only while
    /// `sources` has room; past it, every event of an unnamed source counts here).
    unnamed: u64,
}

impl Throttle {
    /// A throttle whose first window starts at `now`.
    pub(crate) fn new(now: Instant) -> Self {
        Throttle {
            started: now,
            admitted: HashMap::new(),
            total: 0,
            suppressed: BTreeMap::new(),
            sources: BTreeMap::new(),
            unnamed: 0,
        }
    }

    /// Whether `event`, from a peer that has not logged in, may be journaled; and the summary
    /// of the window that ended, if one did with events suppressed. An event without a
    /// parsable peer address counts against the cap of all sources only.
    pub(crate) fn admit(&mut self, event: &SecurityBody, now: Instant) -> Verdict {
        let summary = self.roll(now);
        let source = event
            .peer
            .as_deref()
            .and_then(|p| p.parse::<SocketAddr>().ok())
            .map(|a| a.ip());
        let of_source = source.map_or(0, |ip| self.admitted.get(&ip).copied().unwrap_or(0));
        if self.total < LOGIN_EVENTS_PER_WINDOW && of_source < LOGIN_EVENTS_PER_SOURCE {
            self.total += 1;
            if let Some(ip) = source {
                *self.admitted.entry(ip).or_insert(0) += 1;
            }
            return Verdict {
                admit: true,
                summary,
            };
        }
        *self.suppressed.entry(event.event.clone()).or_insert(0) += 1;
        match source {
            Some(ip)
                if self.sources.contains_key(&ip)
                    || self.sources.len() < SUPPRESSED_SOURCES_NAMED =>
            {
                *self.sources.entry(ip).or_insert(0) += 1;
            }
            _ => self.unnamed += 1,
        }
        Verdict {
            admit: false,
            summary,
        }
    }

    /// Ends the window if it is over; returns its summary when it suppressed anything.
    pub(crate) fn roll(&mut self, now: Instant) -> Option<SecurityBody> {
        if now.duration_since(self.started) < LOGIN_EVENT_WINDOW {
            return None;
        }
        let summary = self.summary();
        *self = Throttle::new(now);
        summary
    }

    /// The summary of what this window suppressed so far (`None` if nothing).
    pub(crate) fn summary(&self) -> Option<SecurityBody> {
        let count: u64 = self.suppressed.values().sum();
        if count == 0 {
            return None;
        }
        let events: Vec<String> = self
            .suppressed
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let mut sources: Vec<String> = self
            .sources
            .iter()
            .map(|(ip, n)| format!("{ip} ({n})"))
            .collect();
        if self.unnamed > 0 {
            sources.push(format!("{} more from other sources", self.unnamed));
        }
        Some(SecurityBody {
            event: SUPPRESSED.to_owned(),
            identity: None,
            peer: None,
            act_seq: None,
            reason: format!(
                "{count} security events before login not journaled (over {} per source or {} \
                 in all per {} s): {}; from {}",
                LOGIN_EVENTS_PER_SOURCE,
                LOGIN_EVENTS_PER_WINDOW,
                LOGIN_EVENT_WINDOW.as_secs(),
                events.join(", "),
                sources.join(", ")
            ),
        })
    }
}

/// What [`Throttle::admit`] decided.
pub(crate) struct Verdict {
    /// Whether the event is journaled.
    pub(crate) admit: bool,
    /// The summary of a window that just ended, to journal first.
    pub(crate) summary: Option<SecurityBody>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(peer: &str) -> SecurityBody {
        SecurityBody {
            event: "bad_login".into(),
            identity: None,
            peer: Some(peer.into()),
            act_seq: None,
            reason: "malformed login".into(),
        }
    }

    #[test]
    fn a_source_gets_a_few_records_per_window_then_one_summary() {
        let t0 = Instant::now();
        let mut t = Throttle::new(t0);
        let per = LOGIN_EVENTS_PER_SOURCE as usize;
        let admitted = (0..100)
            .filter(|i| t.admit(&event(&format!("10.0.0.1:{}", 1000 + i)), t0).admit)
            .count();
        assert_eq!(admitted, per);
        assert!(t.admit(&event("10.0.0.2:1"), t0).admit, "another source");
        assert!(t.roll(t0).is_none(), "the window is not over");
        let summary = t.roll(t0 + LOGIN_EVENT_WINDOW).expect("a summary");
        assert!(
            summary
                .reason
                .starts_with(&format!("{} security events", 100 - per)),
            "{}",
            summary.reason
        );
        assert!(
            summary.reason.contains("10.0.0.1 (95)"),
            "{}",
            summary.reason
        );
        assert!(t.admit(&event("10.0.0.1:1"), t0 + LOGIN_EVENT_WINDOW).admit);
        assert!(
            t.roll(t0 + LOGIN_EVENT_WINDOW * 2).is_none(),
            "nothing suppressed"
        );
    }

    #[test]
    fn all_sources_together_are_capped_and_memory_is_bounded() {
        let t0 = Instant::now();
        let mut t = Throttle::new(t0);
        let admitted = (0..10_000u32)
            .filter(|i| {
                let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
                t.admit(&event(&format!("{ip}:1")), t0).admit
            })
            .count();
        assert_eq!(admitted, LOGIN_EVENTS_PER_WINDOW as usize);
        assert!(t.admitted.len() <= LOGIN_EVENTS_PER_WINDOW as usize);
        assert_eq!(t.sources.len(), SUPPRESSED_SOURCES_NAMED);
        let summary = t.summary().expect("a summary");
        assert!(summary.reason.len() < 1024, "{}", summary.reason.len());
    }
}
