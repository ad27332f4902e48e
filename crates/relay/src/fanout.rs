//! Delivery to sessions. Each record is serialized once; every recipient's bounded queue gets
//! a cheap clone of the same frame. A session whose queue is full (in frames or bytes) is
//! closed as "too slow" rather than buffered without bound or silently skipped
//! (SECURITY.md, P2 and P16): it reconnects and resumes from the journal, so it misses nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use fusioncell_cell::{Audience, Cell, State};
use fusioncell_journal::Durable;
use fusioncell_wire::{IdentityId, PresenceMode, Record, Role};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::acknowledgement::Acknowledgement;
use crate::metrics::Metrics;
use crate::outbound::{Outbound, Refused};
use crate::presence::Presence;
use crate::session_end::SessionEnd;

/// A way to close one session from another task, with a code and reason. One allocation
/// per session: the end and the wake-up share it.
#[derive(Clone, Default)]
pub struct Killer(Arc<Kill>);

#[derive(Default)]
struct Kill {
    why: std::sync::OnceLock<SessionEnd>,
    notify: tokio::sync::Notify,
}

impl Killer {
    /// Asks the session to end with `end` (the first request wins).
    pub fn kill(&self, end: SessionEnd) {
        if self.0.why.set(end).is_ok() {
            self.0.notify.notify_waiters();
        }
    }

    /// Resolves with the end once [`Self::kill`] was called.
    pub async fn killed(&self) -> SessionEnd {
        loop {
            // Listening before looking, so that a kill in between is not missed.
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if let Some(why) = self.0.why.get() {
                return why.clone();
            }
            notified.await;
        }
    }
}

/// What the commit thread holds of one session.
pub struct SessionHandle {
    /// The relay's number for the session.
    pub id: u64,
    /// Who it is.
    pub identity: IdentityId,
    /// Its role.
    pub role: Role,
    /// Its outbound queue (bounded in frames and bytes).
    pub tx: Outbound,
    /// Closes it.
    pub killer: Killer,
    /// What its `presence` announcements carry after the first.
    pub presence: PresenceMode,
}

struct Entry {
    handle: SessionHandle,
    /// Whether it has subscribed: only live sessions get deliveries.
    live: bool,
    /// The reader set of a channel audience last asked about, and whether it admits this
    /// session. Records of a channel share one set until its membership changes, so fan-out
    /// decides once per session and set instead of searching the set for every record. The
    /// `Arc` held here keeps its address from being reused while it is compared.
    readers_seen: Option<(Arc<[IdentityId]>, bool)>,
    /// The version of the online set it was last told ([`Presence`]).
    told: u64,
}

impl Entry {
    /// Whether this session receives a record with `audience`.
    fn admits(&mut self, audience: &Audience) -> bool {
        let (who, role) = (&self.handle.identity, self.handle.role);
        match audience {
            Audience::Channel { readers, .. } if !role.reads_all() => match &self.readers_seen {
                Some((seen, admitted)) if Arc::ptr_eq(seen, readers) => *admitted,
                _ => {
                    let admitted = audience.admits(who, role);
                    self.readers_seen = Some((readers.clone(), admitted));
                    admitted
                }
            },
            _ => audience.admits(who, role),
        }
    }
}

/// Every connected session, by number (numbers increase, so the first of an identity's
/// sessions in the map is its oldest).
pub struct Fanout {
    sessions: BTreeMap<u64, Entry>,
    /// Each online identity's sessions, oldest first: the online set and the per-identity cap
    /// without a scan of every session at every login.
    by_identity: BTreeMap<IdentityId, Vec<u64>>,
    max_per_identity: usize,
    /// The changes of the online set that sessions have yet to be told.
    presence: Presence,
    /// Deliveries and queued frames, counted once per call rather than per frame.
    metrics: Arc<Metrics>,
}

impl Fanout {
    /// An empty registry.
    pub fn new(cell: &Cell, metrics: Arc<Metrics>) -> Self {
        let limits = cell.limits();
        Fanout {
            metrics,
            max_per_identity: limits.max_sessions_per_identity.max(1),
            sessions: BTreeMap::new(),
            by_identity: BTreeMap::new(),
            presence: Presence::default(),
        }
    }

    /// Adds a session. If its identity now has more sessions than allowed, the oldest is
    /// closed with 4010 (a deterministic policy: the newest device wins).
    pub fn register(&mut self, handle: SessionHandle) {
        let same = self
            .by_identity
            .get(&handle.identity)
            .cloned()
            .unwrap_or_default();
        let excess = (same.len() + 1).saturating_sub(self.max_per_identity);
        for id in same.into_iter().take(excess) {
            if let Some(old) = self.remove(id) {
                old.handle.killer.kill(SessionEnd::Superseded {
                    identity: handle.identity.clone(),
                    limit: self.max_per_identity,
                });
            }
        }
        let sessions = self.by_identity.entry(handle.identity.clone()).or_default();
        if sessions.is_empty() {
            self.presence.joined(&handle.identity);
        }
        sessions.push(handle.id);
        self.sessions.insert(
            handle.id,
            Entry {
                handle,
                live: false,
                readers_seen: None,
                told: 0,
            },
        );
    }

    /// Removes a session (it closed).
    pub fn unregister(&mut self, id: u64) {
        self.remove(id);
    }

    /// Takes a session out of the registry and, if it was its identity's last, out of the
    /// online set.
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.sessions.remove(&id)?;
        if let Some(sessions) = self.by_identity.get_mut(&entry.handle.identity) {
            sessions.retain(|s| *s != id);
            if sessions.is_empty() {
                self.by_identity.remove(&entry.handle.identity);
                self.presence.left(&entry.handle.identity);
            }
        }
        Some(entry)
    }

    /// The identities with at least one session, sorted.
    pub fn online(&self) -> Vec<IdentityId> {
        self.by_identity.keys().cloned().collect()
    }

    /// The whole online set for a session that just registered, to greet it with: written
    /// past tungstenite's write buffer ([`crate::greeting`]), which would otherwise keep the
    /// size of the set (130 KB in a cell of 10,000) for the life of the connection.
    pub fn greet_presence(&mut self, newcomer: u64) -> Utf8Bytes {
        let (frame, version) = self.presence.greeting(self.by_identity.keys());
        if let Some(e) = self.sessions.get_mut(&newcomer) {
            e.told = version;
        }
        frame
    }

    /// Whether the online set changed since it was last announced.
    pub fn presence_changed(&self) -> bool {
        self.presence.changed()
    }

    /// Tells every session what it is owed of the online set, if it changed since it was
    /// last announced: the whole set, or (`presence: "changes"`) who came and went. The
    /// commit thread calls it at most once per
    /// [`PRESENCE_EVERY`](crate::defaults::PRESENCE_EVERY): the logins and logouts between
    /// two calls make one announcement, so a login storm of N sessions costs each session a
    /// few frames rather than N.
    pub fn announce_presence(&mut self) {
        let Some(announcement) = self.presence.announce(self.by_identity.keys()) else {
            return;
        };
        let version = announcement.version();
        let mut queued = 0;
        let mut dead = Vec::new();
        for (id, e) in &mut self.sessions {
            let Some(frame) = announcement.owed(e.told, e.handle.presence) else {
                e.told = version;
                continue;
            };
            if push(&e.handle, frame) {
                e.told = version;
                queued += 1;
            } else {
                dead.push(*id);
            }
        }
        self.presence.announced();
        self.metrics.queued(queued, 0);
        for id in dead {
            self.remove(id);
        }
    }

    /// Starts deliveries to a session.
    pub fn go_live(&mut self, id: u64) {
        if let Some(e) = self.sessions.get_mut(&id) {
            e.live = true;
        }
    }

    /// Number of connected sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is connected.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Queues a frame to one session (an error, a proof, presence).
    pub fn send_to(&mut self, id: u64, frame: Utf8Bytes) {
        let Some(e) = self.sessions.get(&id) else {
            return;
        };
        if push(&e.handle, frame) {
            self.metrics.queued(1, 0);
        } else {
            self.remove(id);
        }
    }

    /// Queues what a group commit owes: each session's `replies` (acks and errors, in their
    /// order), then the durable records to every live session that may see them (`state` has
    /// them applied); an `approve` carries the post it releases. Taking `&Durable` makes
    /// delivering an act that is not yet on disk a compile error.
    ///
    /// One session's frames are queued together, before the next session's: a session woken
    /// by its first frame then finds the rest queued and writes them in one batch (queued
    /// acks first, then record by record across all sessions, 12–44 % of the acks of traced
    /// `many` runs were written alone; 2–3 % since).
    pub fn deliver(
        &mut self,
        durable: &Durable,
        records: &[Record],
        state: &State,
        released: &HashMap<u64, Record>,
        mut replies: Vec<(u64, Reply)>,
    ) {
        debug_assert_eq!(durable.count() as usize, records.len());
        let frames: Vec<(Utf8Bytes, &Audience)> = records
            .iter()
            .zip(durable.lines())
            .filter_map(|(record, line)| {
                let audience = state.audience(record.seq)?;
                Some((
                    deliver_frame_of_json(line, released.get(&record.seq)),
                    audience,
                ))
            })
            .collect();
        // Stable: a session's replies keep their order.
        replies.sort_by_key(|(session, _)| *session);
        let mut replies = replies.into_iter().peekable();
        let mut dead = Vec::new();
        let (mut answered, mut delivered) = (0, 0);
        for (id, e) in &mut self.sessions {
            while replies.next_if(|(session, _)| session < id).is_some() {}
            let mut alive = true;
            while let Some((_, reply)) = replies.next_if(|(session, _)| session == id) {
                alive = alive && push(&e.handle, reply.frame());
                answered += usize::from(alive);
            }
            if alive && e.live {
                for (frame, audience) in &frames {
                    if !e.admits(audience) {
                        continue;
                    }
                    if !push(&e.handle, frame.clone()) {
                        alive = false;
                        break;
                    }
                    delivered += 1;
                }
            }
            if !alive {
                dead.push(*id);
            }
        }
        self.metrics.queued(answered + delivered, delivered);
        for id in dead {
            self.remove(id);
        }
    }

    /// Queues a frame to every live session (checkpoints).
    pub fn broadcast(&mut self, frame: Utf8Bytes) {
        self.broadcast_where(frame, |e| e.live);
    }

    /// Queues a frame to every session, subscribed or not (the supervision state).
    pub fn broadcast_all(&mut self, frame: Utf8Bytes) {
        self.broadcast_where(frame, |_| true);
    }

    fn broadcast_where(&mut self, frame: Utf8Bytes, to: impl Fn(&Entry) -> bool) {
        let mut queued = 0;
        let dead: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, e)| to(e))
            .filter(|(_, e)| {
                let pushed = push(&e.handle, frame.clone());
                queued += usize::from(pushed);
                !pushed
            })
            .map(|(id, _)| *id)
            .collect();
        self.metrics.queued(queued, 0);
        for id in dead {
            self.remove(id);
        }
    }

    /// Ends every session with `end`.
    pub fn kill_all(&mut self, end: &SessionEnd) {
        for e in self.sessions.values() {
            e.handle.killer.kill(end.clone());
        }
    }
}

/// What a group commit owes one session, queued before its deliveries.
pub enum Reply {
    /// The only way an `ack` reaches a session: an [`Acknowledgement`], which only the
    /// journal's `Durable` proof can make.
    Ack(Acknowledgement),
    /// An error frame (a refusal), after the acks of earlier acts.
    Frame(Utf8Bytes),
}

impl Reply {
    fn frame(self) -> Utf8Bytes {
        match self {
            Reply::Ack(ack) => ack.frame(),
            Reply::Frame(frame) => frame,
        }
    }
}

/// Queues one frame; false (and the session told to close) when it cannot keep up or is gone.
fn push(h: &SessionHandle, frame: Utf8Bytes) -> bool {
    match h.tx.try_push(frame) {
        Ok(()) => true,
        Err(Refused::Bytes) => {
            h.killer.kill(SessionEnd::QueueFull("bytes"));
            false
        }
        Err(Refused::Frames) => {
            h.killer.kill(SessionEnd::QueueFull("frames"));
            false
        }
        Err(Refused::Closed) => false,
    }
}

/// The `deliver` frame of a record (and the post it releases), built once for all recipients.
pub fn deliver_frame(record: &Record, released: Option<&Record>) -> Utf8Bytes {
    deliver_frame_of_json(&json(record), released)
}

/// [`deliver_frame`] from the record's JSON, as the journal wrote it.
fn deliver_frame_of_json(record: &str, released: Option<&Record>) -> Utf8Bytes {
    Utf8Bytes::from(match released {
        Some(post) => format!(
            r#"{{"type":"deliver","record":{record},"released":{}}}"#,
            json(post)
        ),
        None => format!(r#"{{"type":"deliver","record":{record}}}"#),
    })
}

fn json(record: &Record) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use fusioncell_journal::{Journal, Options};
    use fusioncell_wire::{ActBody, CloseCode, ServerMsg};

    use super::*;
    use crate::outbound::{self, Inbox};
    use crate::sequencer::{Decision, Sequencer};
    use crate::testing::{example_cell, key, metrics, verified};

    const NOW: i64 = 1_764_115_200_000;

    struct Probe {
        rx: Inbox,
        killer: Killer,
    }

    fn session(f: &mut Fanout, id: u64, who: &str, queue: usize) -> Probe {
        let cell = example_cell();
        let (tx, rx) = outbound::queue(queue, cell.limits().outbound_queue_bytes);
        let killer = Killer::default();
        let identity = IdentityId::new(who).unwrap();
        let role = cell.identity(&identity).unwrap().role;
        f.register(SessionHandle {
            id,
            identity,
            role,
            tx,
            killer: killer.clone(),
            presence: Default::default(),
        });
        f.go_live(id);
        Probe { rx, killer }
    }

    /// Durable posts to `channel`, through a real journal.
    fn durable_posts(
        n: u64,
        channel: &str,
    ) -> (tempfile::TempDir, Durable, Vec<Record>, Sequencer) {
        let dir = tempfile::tempdir().unwrap();
        let cell = example_cell();
        let mut seq = Sequencer::new(cell.clone());
        let open = seq.relay_record(
            &key("relay"),
            None,
            ActBody::Open(cell.open_body([0; 32])),
            NOW,
        );
        let (mut journal, _) = Journal::open(dir.path(), Options::default(), |_| {}).unwrap();
        let _ = journal.append(&[open]).unwrap();
        let records: Vec<Record> = (1..=n)
            .map(|i| {
                match seq.decide(
                    verified(&cell, "israel", channel, i, NOW, "m"),
                    NOW,
                    &|_| None,
                ) {
                    Decision::Accept(r) => r,
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        let durable = journal.append(&records).unwrap();
        (dir, durable, records, seq)
    }

    /// Delivers `n` durable posts to `channel` with no replies; the journal's folder lives as
    /// long as the returned guard.
    fn deliver_posts(f: &mut Fanout, n: u64, channel: &str) -> tempfile::TempDir {
        let (dir, durable, records, seq) = durable_posts(n, channel);
        deliver(f, &durable, &records, &seq);
        dir
    }

    /// Delivers `records` (made durable by `durable`, applied by `seq`) with no replies.
    fn deliver(f: &mut Fanout, durable: &Durable, records: &[Record], seq: &Sequencer) {
        f.deliver(
            durable,
            records,
            &seq.state().read(),
            &HashMap::new(),
            Vec::new(),
        );
    }

    #[tokio::test]
    async fn delivers_to_readers_only() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut syria = session(&mut f, 1, "syria", 16);
        let mut france = session(&mut f, 2, "france", 16);
        let _dir = deliver_posts(&mut f, 1, "us-israel");
        assert!(
            syria.rx.try_recv().is_none(),
            "syria is not on the back-channel"
        );
        assert!(france.rx.try_recv().is_none());
        let _dir = deliver_posts(&mut f, 1, "diplomacy");
        assert!(syria.rx.try_recv().is_some());
        assert!(france.rx.try_recv().is_some(), "france reads diplomacy");
    }

    /// The admission cache follows the reader set: a changed membership (a new set) is asked
    /// again, and never answered from the set seen before.
    #[tokio::test]
    async fn a_new_reader_set_is_decided_again() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let _syria = session(&mut f, 1, "syria", 16);
        let e = f.sessions.get_mut(&1).unwrap();
        let ids = |names: &[&str]| -> Arc<[IdentityId]> {
            names.iter().map(|n| IdentityId::new(*n).unwrap()).collect()
        };
        let channel = fusioncell_wire::ChannelId::new("diplomacy").unwrap();
        let with = Audience::Channel {
            channel: channel.clone(),
            readers: ids(&["israel", "syria"]),
        };
        let without = Audience::Channel {
            channel,
            readers: ids(&["israel"]),
        };
        assert!(e.admits(&with));
        assert!(e.admits(&with), "answered from the cache");
        assert!(!e.admits(&without), "a new set is searched");
        assert!(e.admits(&with));
        assert!(
            !e.admits(&Audience::Supervisors),
            "other audiences bypass the cache"
        );
        assert!(e.admits(&with));
    }

    /// A group's replies reach each session before its deliveries, in their order; a reply
    /// to a session that is gone is dropped, and a session that is not live gets its replies
    /// but no deliveries.
    #[tokio::test]
    async fn each_session_gets_its_replies_then_its_deliveries() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut syria = session(&mut f, 1, "syria", 16);
        let mut us = session(&mut f, 2, "us", 16);
        let (tx, mut quiet) = outbound::queue(16, cell.limits().outbound_queue_bytes);
        f.register(SessionHandle {
            id: 3,
            identity: IdentityId::new("france").unwrap(),
            role: Role::Party,
            tx,
            killer: Killer::default(),
            presence: Default::default(),
        });
        let (_dir, durable, records, seq) = durable_posts(2, "diplomacy");
        let frame = |s: &str| Reply::Frame(Utf8Bytes::from(s.to_owned()));
        let replies = vec![
            (2, frame("us-1")),
            (9, frame("gone")),
            (1, frame("syria-1")),
            (2, frame("us-2")),
            (3, frame("france-1")),
        ];
        f.deliver(
            &durable,
            &records,
            &seq.state().read(),
            &HashMap::new(),
            replies,
        );
        let drain = |rx: &mut Inbox| {
            let mut got = Vec::new();
            while let Some(frame) = rx.try_recv() {
                got.push(match ServerMsg::from_json(&frame) {
                    Ok(ServerMsg::Deliver { record, .. }) => format!("deliver {}", record.seq),
                    _ => frame.to_string(),
                });
            }
            got
        };
        assert_eq!(drain(&mut syria.rx), ["syria-1", "deliver 1", "deliver 2"]);
        assert_eq!(
            drain(&mut us.rx),
            ["us-1", "us-2", "deliver 1", "deliver 2"]
        );
        assert_eq!(drain(&mut quiet), ["france-1"], "not live: replies only");
    }

    /// The frame is encoded once and shared: every recipient gets the same bytes.
    #[tokio::test]
    async fn one_frame_for_all_recipients() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut a = session(&mut f, 1, "syria", 16);
        let mut b = session(&mut f, 2, "us", 16);
        let _dir = deliver_posts(&mut f, 1, "diplomacy");
        let (fa, fb) = (a.rx.try_recv().unwrap(), b.rx.try_recv().unwrap());
        assert_eq!(fa.as_str().as_ptr(), fb.as_str().as_ptr(), "same buffer");
    }

    #[tokio::test]
    async fn a_full_queue_closes_the_session_as_too_slow() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let slow = session(&mut f, 1, "syria", 2);
        let mut fast = session(&mut f, 2, "us", 16);
        let _dir = deliver_posts(&mut f, 3, "diplomacy");
        let close = slow.killer.killed().await;
        assert_eq!(close.close_code(), CloseCode::TooSlow);
        assert_eq!(f.len(), 1, "the slow session is gone from the registry");
        for _ in 0..3 {
            assert!(fast.rx.try_recv().is_some(), "others get everything");
        }
    }

    /// The queue's bound in bytes closes a session as too slow too, and says so.
    #[tokio::test]
    async fn a_queue_full_in_bytes_closes_the_session_as_too_slow() {
        let cell = example_cell();
        let (_dir, durable, records, seq) = durable_posts(2, "diplomacy");
        // The size of one delivery, from a session with room for both.
        let mut roomy = Fanout::new(&cell, metrics(&cell));
        let mut measure = session(&mut roomy, 1, "syria", 16);
        deliver(&mut roomy, &durable, &records, &seq);
        let one = measure.rx.try_recv().expect("a delivery").len();
        // Room in bytes for one and a half deliveries: the second does not fit.
        let mut f = Fanout::new(&cell, metrics(&cell));
        let (tx, mut rx) = outbound::queue(16, one + one / 2);
        let killer = Killer::default();
        f.register(SessionHandle {
            id: 1,
            identity: IdentityId::new("syria").unwrap(),
            role: Role::Party,
            tx,
            killer: killer.clone(),
            presence: Default::default(),
        });
        f.go_live(1);
        deliver(&mut f, &durable, &records, &seq);
        assert!(matches!(
            killer.killed().await,
            SessionEnd::QueueFull("bytes")
        ));
        assert!(f.is_empty(), "the slow session is gone from the registry");
        assert!(rx.try_recv().is_some(), "the first record fit");
        assert!(rx.try_recv().is_none());
    }

    /// The next `presence` frame queued: the whole set, or `+joined` and `-left` names.
    fn presence(rx: &mut Inbox) -> Option<Vec<String>> {
        let names = |ids: Vec<IdentityId>, sign: &str| -> Vec<String> {
            ids.iter().map(|i| format!("{sign}{i}")).collect()
        };
        while let Some(frame) = rx.try_recv() {
            if let Ok(ServerMsg::Presence {
                online,
                joined,
                left,
            }) = ServerMsg::from_json(&frame)
            {
                return Some(match online {
                    Some(online) => names(online, ""),
                    None => [names(joined, "+"), names(left, "-")].concat(),
                });
            }
        }
        None
    }

    /// The whole set a newcomer is greeted with.
    fn greeting(f: &mut Fanout, newcomer: u64) -> Vec<String> {
        match ServerMsg::from_json(&f.greet_presence(newcomer)) {
            Ok(ServerMsg::Presence {
                online: Some(online),
                ..
            }) => online.iter().map(|i| i.to_string()).collect(),
            other => panic!("not the whole set: {other:?}"),
        }
    }

    /// A session that asked for changes gets the whole set once, then who came and went;
    /// one that did not gets the whole set each time.
    #[tokio::test]
    async fn presence_as_changes_after_the_whole_set() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let (tx, mut rx) = outbound::queue(64, cell.limits().outbound_queue_bytes);
        f.register(SessionHandle {
            id: 1,
            identity: IdentityId::new("syria").unwrap(),
            role: Role::Party,
            tx,
            killer: Killer::default(),
            presence: PresenceMode::Changes,
        });
        assert_eq!(greeting(&mut f, 1), ["syria"]);
        let mut us = session(&mut f, 2, "us", 64);
        assert_eq!(greeting(&mut f, 2), ["syria", "us"]);
        f.announce_presence();
        // Syria was greeted after the last announcement: it is told the state now of everyone
        // whose presence changed since, itself included.
        assert_eq!(presence(&mut rx).unwrap(), ["+syria", "+us"]);
        assert!(presence(&mut us.rx).is_none(), "greeted with it already");
        let _israel = session(&mut f, 3, "israel", 64);
        f.unregister(2);
        f.announce_presence();
        assert_eq!(presence(&mut rx).unwrap(), ["+israel", "-us"]);
    }

    #[tokio::test]
    async fn presence_goes_to_newcomers_at_once_and_to_everyone_when_announced() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut syria = session(&mut f, 1, "syria", 64);
        assert_eq!(greeting(&mut f, 1), ["syria"]);
        assert!(f.presence_changed());
        f.announce_presence();
        assert!(presence(&mut syria.rx).is_none(), "greeted with it already");
        assert!(!f.presence_changed());
        let mut us = session(&mut f, 2, "us", 64);
        assert_eq!(greeting(&mut f, 2), ["syria", "us"]);
        assert!(
            presence(&mut syria.rx).is_none(),
            "told at the announcement"
        );
        // A second session of an online identity changes nothing for the others.
        let _us2 = session(&mut f, 3, "us", 64);
        assert_eq!(greeting(&mut f, 3), ["syria", "us"]);
        f.announce_presence();
        assert_eq!(presence(&mut syria.rx).unwrap(), ["syria", "us"]);
        assert!(presence(&mut us.rx).is_none(), "greeted with it already");
        f.unregister(2);
        assert!(!f.presence_changed(), "us is still online");
        f.announce_presence();
        assert!(presence(&mut syria.rx).is_none());
        // Changes between two announcements make one; a leave and a return make none.
        f.unregister(3);
        let _us3 = session(&mut f, 4, "us", 64);
        f.announce_presence();
        assert!(presence(&mut syria.rx).is_none(), "us left and came back");
        f.unregister(4);
        assert!(f.presence_changed());
        f.announce_presence();
        assert_eq!(presence(&mut syria.rx).unwrap(), ["syria"]);
        assert!(presence(&mut syria.rx).is_none(), "one announcement");
    }

    /// The per-identity cap holds with the index of sessions by identity: the oldest session
    /// goes, and the identity stays online.
    #[tokio::test]
    async fn the_oldest_session_of_an_identity_over_its_cap_is_closed() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let cap = cell.limits().max_sessions_per_identity.max(1);
        let probes: Vec<Probe> = (1..=cap as u64 + 1)
            .map(|id| session(&mut f, id, "syria", 16))
            .collect();
        let end = probes[0].killer.killed().await;
        assert!(matches!(end, SessionEnd::Superseded { .. }), "{end:?}");
        assert_eq!(f.len(), cap);
        assert_eq!(f.online().len(), 1);
    }

    #[tokio::test]
    async fn the_oldest_session_beyond_the_limit_is_superseded() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let limit = example_cell().limits().max_sessions_per_identity;
        let probes: Vec<Probe> = (0..=limit as u64)
            .map(|i| session(&mut f, i, "syria", 4))
            .collect();
        assert_eq!(
            probes[0].killer.killed().await.close_code(),
            CloseCode::Superseded
        );
        assert_eq!(f.len(), limit);
    }
}
