//! What each session has been told of the online set (PROTOCOL.md §4.2, `presence`).
//!
//! Why its own state: in a cell of N participants, the whole set to every session is N² names
//! per announcement (1.3 GB for 10,000). A session that logged in with `presence: "changes"`
//! gets the whole set once, at login, and after that only who came and went. Sessions are
//! told at different moments (a newcomer at once, the others at the next announcement), so
//! each change of the set gets a version number and each session remembers the version it
//! was last told: one told at the last announcement is owed the net changes since, one greeted
//! after it the state now of everyone whose presence changed since (`Presence::frames`).

use std::collections::BTreeMap;

use fusioncell_wire::{IdentityId, PresenceMode, ServerMsg};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The changes of the online set since the last announcement, and the frames built from it.
#[derive(Default)]
pub struct Presence {
    /// Version of the current set: one more per identity that came online or went offline.
    version: u64,
    /// The version everyone was told at the last announcement.
    announced: u64,
    /// Every change after `announced`: the version it made, who, and whether they came online.
    changes: Vec<(u64, IdentityId, bool)>,
    /// The `presence` frame of the whole current set and its version, built once per change:
    /// every newcomer gets it, and a login storm does not serialize the set once per login.
    whole: Option<(u64, Utf8Bytes)>,
}

/// What an announcement owes each session.
pub struct Announcement<'a> {
    presence: &'a Presence,
    whole: Utf8Bytes,
    /// What changed since the last announcement, for every session told at that time.
    net: Option<Utf8Bytes>,
    /// Everyone whose presence changed since then, as they are now, for the sessions greeted
    /// since ([`Presence::frames`]).
    touched: Utf8Bytes,
}

impl Presence {
    /// `identity` came online (its first session).
    pub fn joined(&mut self, identity: &IdentityId) {
        self.change(identity, true);
    }

    /// `identity` went offline (its last session ended).
    pub fn left(&mut self, identity: &IdentityId) {
        self.change(identity, false);
    }

    fn change(&mut self, identity: &IdentityId, online: bool) {
        self.version += 1;
        self.changes.push((self.version, identity.clone(), online));
    }

    /// Whether the set changed since the last announcement (a leave and a return count: the
    /// announcement then finds nothing to say).
    pub fn changed(&self) -> bool {
        self.version != self.announced
    }

    /// The whole set as a frame, and its version: what a newcomer is greeted with. `online`
    /// is the current set, sorted.
    pub fn greeting<'a>(
        &mut self,
        online: impl Iterator<Item = &'a IdentityId>,
    ) -> (Utf8Bytes, u64) {
        let frame = match &self.whole {
            Some((v, frame)) if *v == self.version => frame.clone(),
            _ => {
                let frame = whole_frame(online);
                self.whole = Some((self.version, frame.clone()));
                frame
            }
        };
        (frame, self.version)
    }

    /// Starts an announcement of the current set (`online`, sorted), or `None` when nothing
    /// changed. Every session is then told [`Announcement::owed`]; [`Self::announced`] ends it.
    pub fn announce<'a>(
        &mut self,
        online: impl Iterator<Item = &'a IdentityId>,
    ) -> Option<Announcement<'_>> {
        if !self.changed() {
            return None;
        }
        let (whole, _) = self.greeting(online);
        let (net, touched) = self.frames();
        Some(Announcement {
            presence: self,
            whole,
            net,
            touched,
        })
    }

    /// Ends an announcement: every session has been told the current version.
    pub fn announced(&mut self) {
        self.announced = self.version;
        self.changes.clear();
    }

    /// The frames of the changes since the last announcement. `net`: who came online and
    /// who went offline (`None` when they cancel out), for the sessions told at that
    /// announcement. `touched`: everyone whose presence changed, in the state they are in now,
    /// for the sessions greeted since: each holds the set of some moment in between, and
    /// setting every named identity to its state now brings any such set up to date. One
    /// frame for all of them, not one per newcomer: in a login storm of 800 a second, one per
    /// newcomer was O(L²) names serialized per announcement.
    fn frames(&self) -> (Option<Utf8Bytes>, Utf8Bytes) {
        // Per identity: its state at the announcement (the opposite of its first change) and
        // its state now (its last change).
        let mut states: BTreeMap<&IdentityId, (bool, bool)> = BTreeMap::new();
        for (_, who, online) in &self.changes {
            states
                .entry(who)
                .and_modify(|(_, now)| *now = *online)
                .or_insert((!*online, *online));
        }
        let frame = |joined: Vec<IdentityId>, left: Vec<IdentityId>| {
            Utf8Bytes::from(
                ServerMsg::Presence {
                    online: None,
                    joined,
                    left,
                }
                .to_json(),
            )
        };
        let (mut joined, mut left) = (Vec::new(), Vec::new());
        let (mut online, mut offline) = (Vec::new(), Vec::new());
        for (who, (before, now)) in states {
            match (before, now) {
                (false, true) => joined.push(who.clone()),
                (true, false) => left.push(who.clone()),
                _ => {}
            }
            if now {
                online.push(who.clone());
            } else {
                offline.push(who.clone());
            }
        }
        let net = (!joined.is_empty() || !left.is_empty()).then(|| frame(joined, left));
        (net, frame(online, offline))
    }
}

/// The `presence` frame of the whole set, as serde writes it. Written by hand because it is
/// built at every login of a login storm, from up to N names: serde would copy each name into
/// a `String` first (an id serializes through `String`), which was a third of the commit
/// thread's time logging in 10,000 participants. Names need no JSON escaping (`ids`: `a-z`,
/// `0-9`, `-`, `_`).
fn whole_frame<'a>(online: impl Iterator<Item = &'a IdentityId>) -> Utf8Bytes {
    let mut out = String::from(r#"{"type":"presence","online":["#);
    for (i, id) in online.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(id.as_str());
        out.push('"');
    }
    out.push_str("]}");
    Utf8Bytes::from(out)
}

impl Announcement<'_> {
    /// The version of the set announced: what every session has been told once it got
    /// [`Self::owed`].
    pub fn version(&self) -> u64 {
        self.presence.version
    }

    /// The frame a session last told `told` is owed, in the form it asked for; `None` when it
    /// already knows the current set.
    pub fn owed(&self, told: u64, mode: PresenceMode) -> Option<Utf8Bytes> {
        if told == self.presence.version {
            return None;
        }
        match (told == self.presence.announced, mode) {
            (true, PresenceMode::Full) => self.net.as_ref().map(|_| self.whole.clone()),
            (true, PresenceMode::Changes) => self.net.clone(),
            (false, PresenceMode::Full) => Some(self.whole.clone()),
            (false, PresenceMode::Changes) => Some(self.touched.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> IdentityId {
        IdentityId::new(name).unwrap()
    }

    fn parse(frame: &Utf8Bytes) -> (Option<Vec<String>>, Vec<String>, Vec<String>) {
        let names = |v: Vec<IdentityId>| v.into_iter().map(|i| i.to_string()).collect();
        match ServerMsg::from_json(frame).unwrap() {
            ServerMsg::Presence {
                online,
                joined,
                left,
            } => (online.map(names), names(joined), names(left)),
            other => panic!("not presence: {other:?}"),
        }
    }

    /// A session greeted between two announcements is owed the changes after its greeting,
    /// not after the announcement before it: an identity that came and went in between is
    /// not reported gone to a session that never saw it come.
    #[test]
    fn each_session_is_owed_the_changes_after_what_it_was_told() {
        let mut p = Presence::default();
        let (a, b, c) = (id("a"), id("b"), id("c"));
        p.joined(&a);
        p.announce([&a].into_iter()).unwrap();
        p.announced();
        let told_before = p.version;
        p.joined(&b);
        let (whole, at_ab) = p.greeting([&a, &b].into_iter());
        assert_eq!(parse(&whole).0.unwrap(), ["a", "b"]);
        p.joined(&c);
        p.left(&b);
        let online = [&a, &c];
        let ann = p.announce(online.into_iter()).unwrap();
        let (_, joined, left) = parse(&ann.owed(told_before, PresenceMode::Changes).unwrap());
        assert_eq!(
            (joined, left),
            (vec!["c".to_owned()], vec![]),
            "b came and went"
        );
        let (_, joined, left) = parse(&ann.owed(at_ab, PresenceMode::Changes).unwrap());
        assert_eq!((joined, left), (vec!["c".to_owned()], vec!["b".to_owned()]));
        let (online, ..) = parse(&ann.owed(at_ab, PresenceMode::Full).unwrap());
        assert_eq!(online.unwrap(), ["a", "c"]);
        assert!(ann.owed(ann.version(), PresenceMode::Changes).is_none());
        p.announced();
        assert!(!p.changed());
    }

    /// The hand-written frame is serde's, byte for byte, for no name, one, and many.
    #[test]
    fn the_whole_set_is_written_as_serde_writes_it() {
        for names in [vec![], vec!["a"], vec!["a-1", "b_2", "member-9999", "z"]] {
            let ids: Vec<IdentityId> = names.iter().map(|n| id(n)).collect();
            let serde = ServerMsg::Presence {
                online: Some(ids.clone()),
                joined: Vec::new(),
                left: Vec::new(),
            }
            .to_json();
            assert_eq!(whole_frame(ids.iter()).as_str(), serde);
        }
    }

    /// A leave and a return between two announcements make no frame at all.
    #[test]
    fn a_leave_and_a_return_cancel_out() {
        let mut p = Presence::default();
        let a = id("a");
        p.joined(&a);
        p.announce([&a].into_iter()).unwrap();
        p.announced();
        let told = p.version;
        p.left(&a);
        p.joined(&a);
        assert!(p.changed());
        let ann = p.announce([&a].into_iter()).unwrap();
        assert!(ann.owed(told, PresenceMode::Changes).is_none());
        assert!(ann.owed(told, PresenceMode::Full).is_none());
    }
}
