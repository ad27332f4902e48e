//! Delivery to sessions. Each record is serialized once; every recipient's bounded queue gets
//! a cheap clone of the same frame. A session whose queue is full (in frames or bytes) is
//! closed as "too slow" rather than buffered without bound or silently skipped
//! (SECURITY.md, P2 and P16): it reconnects and resumes from the journal, so it misses nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use fusioncell_cell::{Audience, Cell, State};
use fusioncell_journal::Durable;
use fusioncell_wire::{IdentityId, Record, Role, ServerMsg};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

use crate::acknowledgement::Acknowledgement;
use crate::metrics::Metrics;
use crate::outbound::{Outbound, Refused};
use crate::session_end::SessionEnd;

/// A way to close one session from another task, with a code and reason.
#[derive(Clone, Default)]
pub struct Killer {
    token: CancellationToken,
    why: Arc<std::sync::OnceLock<SessionEnd>>,
}

impl Killer {
    /// Asks the session to end with `end` (the first request wins).
    pub fn kill(&self, end: SessionEnd) {
        let _ = self.why.set(end);
        self.token.cancel();
    }

    /// Resolves with the end once [`Self::kill`] was called.
    pub async fn killed(&self) -> SessionEnd {
        self.token.cancelled().await;
        self.why.get().cloned().unwrap_or(SessionEnd::Unexplained)
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
    max_per_identity: usize,
    /// The online identities last announced with `presence`.
    announced: Vec<IdentityId>,
    /// Whether sessions were added or removed since the last announcement.
    presence_dirty: bool,
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
            announced: Vec::new(),
            presence_dirty: false,
        }
    }

    /// Adds a session. If its identity now has more sessions than allowed, the oldest is
    /// closed with 4010 (a deterministic policy: the newest device wins).
    pub fn register(&mut self, handle: SessionHandle) {
        let same: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, e)| e.handle.identity == handle.identity)
            .map(|(id, _)| *id)
            .collect();
        let excess = (same.len() + 1).saturating_sub(self.max_per_identity);
        for id in same.into_iter().take(excess) {
            if let Some(old) = self.sessions.remove(&id) {
                old.handle.killer.kill(SessionEnd::Superseded {
                    identity: handle.identity.clone(),
                    limit: self.max_per_identity,
                });
            }
        }
        self.presence_dirty = true;
        self.sessions.insert(
            handle.id,
            Entry {
                handle,
                live: false,
                readers_seen: None,
            },
        );
    }

    /// Removes a session (it closed).
    pub fn unregister(&mut self, id: u64) {
        if self.sessions.remove(&id).is_some() {
            self.presence_dirty = true;
        }
    }

    /// The identities with at least one session, sorted.
    pub fn online(&self) -> Vec<IdentityId> {
        let set: BTreeSet<&IdentityId> =
            self.sessions.values().map(|e| &e.handle.identity).collect();
        set.into_iter().cloned().collect()
    }

    /// Sends `presence` to every session when the set of online identities changed since it
    /// was last announced; otherwise only to `newcomer` (a session that just registered).
    pub fn announce_presence(&mut self, newcomer: Option<u64>) {
        if !self.presence_dirty && newcomer.is_none() {
            return;
        }
        self.presence_dirty = false;
        let online = self.online();
        let changed = online != self.announced;
        if !changed && newcomer.is_none() {
            return;
        }
        let frame = Utf8Bytes::from(
            ServerMsg::Presence {
                online: online.clone(),
            }
            .to_json(),
        );
        self.announced = online;
        match newcomer {
            Some(id) if !changed => self.send_to(id, frame),
            _ => self.broadcast_all(frame),
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

    /// Queues an acknowledgement to the session that submitted the act. The only way an
    /// `ack` reaches a session: it takes an [`Acknowledgement`], which only the journal's
    /// `Durable` proof can make.
    pub fn acknowledge(&mut self, id: u64, ack: &Acknowledgement) {
        self.send_to(id, ack.frame());
    }

    /// Queues a frame to one session (an error, a proof, presence).
    pub fn send_to(&mut self, id: u64, frame: Utf8Bytes) {
        let Some(e) = self.sessions.get(&id) else {
            return;
        };
        if push(&e.handle, frame) {
            self.metrics.queued(1, 0);
        } else {
            self.sessions.remove(&id);
            self.presence_dirty = true;
        }
    }

    /// Delivers durable records to every live session that may see them (`state` has them
    /// applied); an `approve` carries the post it releases. Taking `&Durable` makes delivering
    /// an act that is not yet on disk a compile error.
    pub fn deliver(
        &mut self,
        durable: &Durable,
        records: &[Record],
        state: &State,
        released: &HashMap<u64, Record>,
    ) {
        debug_assert_eq!(durable.count() as usize, records.len());
        let mut dead = Vec::new();
        let mut delivered = 0;
        for (record, line) in records.iter().zip(durable.lines()) {
            let frame = deliver_frame_of_json(line, released.get(&record.seq));
            let Some(audience) = state.audience(record.seq) else {
                continue;
            };
            for (id, e) in &mut self.sessions {
                if e.live && e.admits(audience) {
                    if push(&e.handle, frame.clone()) {
                        delivered += 1;
                    } else {
                        dead.push(*id);
                    }
                }
            }
        }
        self.metrics.queued(delivered, delivered);
        for id in dead {
            self.sessions.remove(&id);
            self.presence_dirty = true;
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
            self.sessions.remove(&id);
            self.presence_dirty = true;
        }
    }

    /// Ends every session with `end`.
    pub fn kill_all(&mut self, end: &SessionEnd) {
        for e in self.sessions.values() {
            e.handle.killer.kill(end.clone());
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
    use fusioncell_wire::{ActBody, CloseCode};

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

    #[tokio::test]
    async fn delivers_to_readers_only() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut syria = session(&mut f, 1, "syria", 16);
        let mut france = session(&mut f, 2, "france", 16);
        let (_dir, durable, records, seq) = durable_posts(1, "us-israel");
        f.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
        assert!(
            syria.rx.try_recv().is_none(),
            "syria is not on the back-channel"
        );
        assert!(france.rx.try_recv().is_none());
        let (_dir, durable, records, seq) = durable_posts(1, "diplomacy");
        f.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
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

    /// The frame is encoded once and shared: every recipient gets the same bytes.
    #[tokio::test]
    async fn one_frame_for_all_recipients() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut a = session(&mut f, 1, "syria", 16);
        let mut b = session(&mut f, 2, "us", 16);
        let (_dir, durable, records, seq) = durable_posts(1, "diplomacy");
        f.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
        let (fa, fb) = (a.rx.try_recv().unwrap(), b.rx.try_recv().unwrap());
        assert_eq!(fa.as_str().as_ptr(), fb.as_str().as_ptr(), "same buffer");
    }

    #[tokio::test]
    async fn a_full_queue_closes_the_session_as_too_slow() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let slow = session(&mut f, 1, "syria", 2);
        let mut fast = session(&mut f, 2, "us", 16);
        let (_dir, durable, records, seq) = durable_posts(3, "diplomacy");
        f.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
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
        roomy.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
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
        });
        f.go_live(1);
        f.deliver(&durable, &records, &seq.state().read(), &HashMap::new());
        assert!(matches!(
            killer.killed().await,
            SessionEnd::QueueFull("bytes")
        ));
        assert!(f.is_empty(), "the slow session is gone from the registry");
        assert!(rx.try_recv().is_some(), "the first record fit");
        assert!(rx.try_recv().is_none());
    }

    fn presence(rx: &mut Inbox) -> Option<Vec<String>> {
        while let Some(frame) = rx.try_recv() {
            if let Ok(ServerMsg::Presence { online }) = ServerMsg::from_json(&frame) {
                return Some(online.iter().map(|i| i.to_string()).collect());
            }
        }
        None
    }

    #[tokio::test]
    async fn presence_is_announced_on_change_and_to_newcomers() {
        let cell = example_cell();
        let mut f = Fanout::new(&cell, metrics(&cell));
        let mut syria = session(&mut f, 1, "syria", 16);
        f.announce_presence(Some(1));
        assert_eq!(presence(&mut syria.rx).unwrap(), ["syria"]);
        let mut us = session(&mut f, 2, "us", 16);
        f.announce_presence(Some(2));
        assert_eq!(presence(&mut syria.rx).unwrap(), ["syria", "us"]);
        assert_eq!(presence(&mut us.rx).unwrap(), ["syria", "us"]);
        // A second session of an online identity: only it is told.
        let mut us2 = session(&mut f, 3, "us", 16);
        f.announce_presence(Some(3));
        assert_eq!(presence(&mut us2.rx).unwrap(), ["syria", "us"]);
        assert!(presence(&mut syria.rx).is_none());
        f.unregister(2);
        f.announce_presence(None);
        assert!(presence(&mut syria.rx).is_none(), "us is still online");
        f.unregister(3);
        f.announce_presence(None);
        assert_eq!(presence(&mut syria.rx).unwrap(), ["syria"]);
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
