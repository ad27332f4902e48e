//! [`Model`]: what a participant's client knows, folded from the events it receives — held
//! posts awaiting the mediator, hotline posts awaiting acknowledgement, the exercise clock as
//! seen, who is online, its channel access, receipts, and the last records by number (to
//! decide, acknowledge and redact by number). Pure: no I/O, so it is tested by folding.

use std::collections::BTreeMap;

use fusioncell_cell::Due;
use fusioncell_wire::act_body::{AckBody, ClockAction, EscalateBody, ReceiptKind};
use fusioncell_wire::{ActBody, Clock, IdentityId, Record, Role};

use crate::{Event, SupervisionState, View};

/// How many received records are kept to act on by number.
const REMEMBER: usize = 10_000;

/// A hotline post not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    /// The post.
    pub record: Record,
    /// Its acknowledgement deadline, in seconds after the post.
    pub ack_seconds: u32,
    /// When the deadline passes, on the exercise clock as of the post.
    pub due: Due,
}

/// Where a hotline post's countdown stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    /// Relay milliseconds left if play goes on (0: passed).
    pub left_ms: u64,
    /// Whether it is counting down now (it stands still while play does).
    pub counting: bool,
}

/// A signed receipt for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Who received or read it.
    pub by: IdentityId,
    /// Delivered or read.
    pub kind: ReceiptKind,
    /// The `receipt` record.
    pub seq: u64,
}

/// What folding an event changed, beyond the event itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing more.
    Nothing,
    /// A released post this client already received while it was held: nothing new.
    Repeat,
    /// The clock changed, now (past the backlog): clock records in the backlog are history.
    Clock,
    /// This identity's own channel access changed.
    Channels,
    /// The set of online identities changed.
    Presence,
}

/// The client-side state of one participant.
#[derive(Debug, Clone)]
pub struct Model {
    view: View,
    /// The last records received, by sequence number.
    records: BTreeMap<u64, Record>,
    /// Held posts not yet decided (the mediator's queue).
    held: BTreeMap<u64, Record>,
    /// Hotline posts not yet acknowledged.
    awaiting: BTreeMap<u64, Awaiting>,
    /// Receipts received, by the record they are for.
    receipts: BTreeMap<u64, Vec<Receipt>>,
    clock: Clock,
    /// The clock folded from every clock record in journal order, backlog included: the
    /// clock as of each record, which places its hotline deadline. Once live it is the
    /// announced clock.
    history: Clock,
    halt_reason: Option<String>,
    /// The identities online, as the relay last announced them.
    online: Vec<IdentityId>,
    /// Past the backlog: clock records are changes happening now.
    live: bool,
}

impl Model {
    /// The state at login: who this client is, and the clock as announced.
    pub fn new(view: View, clock: Clock) -> Model {
        Model {
            view,
            records: BTreeMap::new(),
            held: BTreeMap::new(),
            awaiting: BTreeMap::new(),
            receipts: BTreeMap::new(),
            clock,
            history: Clock::default(),
            halt_reason: None,
            online: Vec::new(),
            live: false,
        }
    }

    /// Who this client is, and its channels.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// Held posts awaiting the mediator's decision (tracked for the mediator only), oldest
    /// first.
    pub fn held(&self) -> impl ExactSizeIterator<Item = &Record> {
        self.held.values()
    }

    /// Hotline posts awaiting acknowledgement, oldest first.
    pub fn awaiting(&self) -> impl ExactSizeIterator<Item = &Awaiting> {
        self.awaiting.values()
    }

    /// Where hotline post `seq`'s countdown stands at relay time `now`, if it awaits an
    /// acknowledgement.
    pub fn countdown(&self, seq: u64, now: i64) -> Option<Countdown> {
        let a = self.awaiting.get(&seq)?;
        Some(Countdown {
            left_ms: a.due.remaining_ms(&self.history, now),
            counting: a.due.counting(&self.history),
        })
    }

    /// The exercise clock as last seen.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The reason given with the last halt.
    pub fn halt_reason(&self) -> Option<&str> {
        self.halt_reason.as_deref()
    }

    /// The identities online, sorted.
    pub fn online(&self) -> &[IdentityId] {
        &self.online
    }

    /// Whether `id` has a session open.
    pub fn is_online(&self, id: &IdentityId) -> bool {
        self.online.contains(id)
    }

    /// The receipts received for record `target`.
    pub fn receipts(&self, target: u64) -> &[Receipt] {
        self.receipts.get(&target).map_or(&[], Vec::as_slice)
    }

    /// Whether the backlog has been received.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Record `seq`, if this client received it and still remembers it.
    pub fn find(&self, seq: u64) -> Option<&Record> {
        self.held
            .get(&seq)
            .or_else(|| self.awaiting.get(&seq).map(|a| &a.record))
            .or_else(|| self.records.get(&seq))
    }

    /// Folds one event in.
    pub fn fold(&mut self, event: &Event) -> Change {
        match event {
            Event::Record {
                record,
                released_by,
                ..
            } => self.fold_record(record, *released_by),
            Event::State(state) => self.fold_state(*state),
            Event::Live { .. } => {
                self.live = true;
                // A backlog without a clock record (or none at all) placed nothing on the
                // clock: the announced one is the best known.
                if self.history == Clock::default() {
                    self.history = self.clock;
                }
                Change::Nothing
            }
            Event::Presence { online } => self.fold_presence(online),
            _ => Change::Nothing,
        }
    }

    /// Folds a record in; `released_by` is the approval that released a held post.
    pub fn fold_record(&mut self, record: &Record, released_by: Option<u64>) -> Change {
        // A released post this client already received while it was held (its sender, the
        // mediator): the approval's own record says enough.
        let repeat = released_by.is_some() && self.records.contains_key(&record.seq);
        let mut change = Change::Nothing;
        match record.params() {
            Some(ActBody::Post | ActBody::Reply(_)) => {
                if self.view.role == Role::Mediator && self.view.is_held(record, released_by) {
                    self.held.insert(record.seq, record.clone());
                }
                if let Some((ack_seconds, ack_clock)) = self.view.hotline(record) {
                    let awaiting = Awaiting {
                        record: record.clone(),
                        ack_seconds,
                        due: Due::of(&self.history, record.ts, ack_seconds, ack_clock),
                    };
                    self.awaiting.insert(record.seq, awaiting);
                }
            }
            Some(ActBody::Approve(d) | ActBody::Reject(d)) => {
                self.held.remove(&d.target);
            }
            Some(ActBody::Ack(AckBody { target }))
            | Some(ActBody::Escalate(EscalateBody { target, .. })) => {
                self.awaiting.remove(target);
            }
            Some(ActBody::Redact(x)) => self.redact(x.target),
            Some(ActBody::Receipt(x)) => {
                self.receipts.entry(x.target).or_default().push(Receipt {
                    by: record.act.actor.clone(),
                    kind: x.kind,
                    seq: record.seq,
                });
            }
            Some(body @ (ActBody::Grant(g) | ActBody::Revoke(g)))
                if g.identity == self.view.me && !self.view.role.reads_all() =>
            {
                self.view
                    .access_changed(g, matches!(body, ActBody::Grant(_)));
                change = Change::Channels;
            }
            Some(ActBody::Clock(c)) => {
                if c.action == ClockAction::Halt {
                    self.halt_reason = c.reason.clone();
                }
                self.history.apply(c.action, record.ts, c.speed);
                if self.live {
                    self.clock.apply(c.action, record.ts, c.speed);
                    change = Change::Clock;
                }
            }
            _ => {}
        }
        self.remember(record.clone());
        if repeat { Change::Repeat } else { change }
    }

    /// Folds an announcement of the supervision state in: [`Change::Clock`] when it moved
    /// the clock after the backlog.
    pub fn fold_state(&mut self, state: SupervisionState) -> Change {
        let changed = state.clock != self.clock;
        self.clock = state.clock;
        if self.live {
            self.history = state.clock;
        }
        if changed && self.live {
            Change::Clock
        } else {
            Change::Nothing
        }
    }

    /// Folds an announcement of who is online in.
    pub fn fold_presence(&mut self, online: &[IdentityId]) -> Change {
        if self.online == online {
            return Change::Nothing;
        }
        self.online = online.to_vec();
        Change::Presence
    }

    fn redact(&mut self, target: u64) {
        for r in [
            self.records.get_mut(&target),
            self.held.get_mut(&target),
            self.awaiting.get_mut(&target).map(|a| &mut a.record),
        ]
        .into_iter()
        .flatten()
        {
            r.body = None;
        }
    }

    fn remember(&mut self, record: Record) {
        self.records.insert(record.seq, record);
        while self.records.len() > REMEMBER {
            self.records.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use fusioncell_wire::ActKind;

    use super::*;
    use crate::acts;
    use crate::fixtures::{T, ch, id, record, welcome};
    use fusioncell_cell::Policy;
    use fusioncell_wire::Phase;

    const PARTY_CHANNELS: &[(&str, bool)] = &[
        ("security", true),
        ("deescalation", true),
        ("diplomacy", true),
    ];

    /// A model with the example cell's policies, past its backlog.
    fn model(me: &str, role: Role, channels: &[(&str, bool)]) -> Model {
        let mut view = View::new(&welcome(me, role, channels), None);
        view.policies = Some(
            [
                ("security", Policy::Moderated),
                (
                    "deescalation",
                    Policy::Hotline {
                        ack_seconds: 120,
                        ack_clock: fusioncell_cell::AckClock::Wall,
                    },
                ),
                ("diplomacy", Policy::Open),
            ]
            .into_iter()
            .map(|(c, p)| (ch(c), p))
            .collect(),
        );
        let mut m = Model::new(view, Clock::default());
        assert_eq!(m.fold(&Event::Live { size: 0 }), Change::Nothing);
        m
    }

    /// The record a builder's act becomes once the relay journals it.
    fn journaled(seq: u64, actor: &str, draft: acts::ActDraft) -> Record {
        let channel = draft.channel.as_ref().map(|c| c.as_str().to_owned());
        record(
            seq,
            draft.kind(),
            actor,
            channel.as_deref(),
            draft.body.text(),
        )
    }

    fn seqs<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<u64> {
        records.map(|r| r.seq).collect()
    }

    #[test]
    fn the_mediator_holds_posts_until_decided_and_a_release_is_a_repeat() {
        let mut us = model("us", Role::Mediator, PARTY_CHANNELS);
        let a = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        let b = record(9, ActKind::Post, "syria", Some("security"), "Also quiet.");
        let open = record(10, ActKind::Post, "syria", Some("diplomacy"), "Talks?");
        for r in [&a, &b, &open] {
            assert_eq!(us.fold_record(r, None), Change::Nothing);
        }
        assert_eq!(seqs(us.held()), [8, 9]);
        assert_eq!(
            us.fold_record(&journaled(11, "us", acts::approve(&a, 0)), None),
            Change::Nothing
        );
        // The approval carries the post again: nothing new.
        assert_eq!(us.fold_record(&a, Some(11)), Change::Repeat);
        assert_eq!(
            us.fold_record(&journaled(12, "us", acts::reject(&b, 0, "no")), None),
            Change::Nothing
        );
        assert_eq!(us.held().len(), 0);
        assert_eq!(us.find(8).map(|r| r.seq), Some(8));
    }

    #[test]
    fn only_the_mediator_keeps_a_queue_of_held_posts() {
        let mut israel = model("israel", Role::Party, PARTY_CHANNELS);
        let held = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        israel.fold_record(&held, None);
        assert_eq!(israel.held().len(), 0);
        // A post seen first when released is new to its reader.
        let mut syria = model("syria", Role::Party, PARTY_CHANNELS);
        assert_eq!(syria.fold_record(&held, Some(9)), Change::Nothing);
    }

    #[test]
    fn hotline_posts_await_an_ack_or_an_escalation_with_their_deadline() {
        let mut syria = model("syria", Role::Party, PARTY_CHANNELS);
        let first = record(4, ActKind::Post, "israel", Some("deescalation"), "Patrol.");
        let second = record(5, ActKind::Post, "israel", Some("deescalation"), "Again.");
        let mediator = record(6, ActKind::Post, "us", Some("deescalation"), "Noted.");
        for r in [&first, &second, &mediator] {
            syria.fold_record(r, None);
        }
        let awaiting: Vec<(u64, Option<Countdown>)> = syria
            .awaiting()
            .map(|a| (a.record.seq, syria.countdown(a.record.seq, T + 20_000)))
            .collect();
        let left = Some(Countdown {
            left_ms: 100_000,
            counting: true,
        });
        assert_eq!(awaiting, [(4, left), (5, left)]);
        syria.fold_record(&journaled(7, "syria", acts::ack(&first)), None);
        let escalate = record(
            8,
            ActKind::Escalate,
            "relay",
            Some("deescalation"),
            r#"{"target":5,"sender":"israel","ack_seconds":120}"#,
        );
        syria.fold_record(&escalate, None);
        assert_eq!(syria.awaiting().len(), 0);
    }

    #[test]
    fn a_redaction_removes_the_body_everywhere_it_is_kept() {
        let mut us = model("us", Role::Mediator, PARTY_CHANNELS);
        let held = record(8, ActKind::Post, "israel", Some("security"), "A spill.");
        let hot = record(9, ActKind::Post, "israel", Some("deescalation"), "Spill.");
        us.fold_record(&held, None);
        us.fold_record(&hot, None);
        us.fold_record(&journaled(10, "us", acts::redact(8, "spill")), None);
        us.fold_record(&journaled(11, "us", acts::redact(9, "spill")), None);
        assert_eq!(us.held().next().map(|r| r.body.clone()), Some(None));
        assert_eq!(
            us.awaiting().next().map(|a| a.record.body.clone()),
            Some(None)
        );
        assert_eq!(us.find(8).map(|r| r.body.clone()), Some(None));
    }

    #[test]
    fn the_clock_moves_with_live_clock_records_and_state() {
        let view = View::new(&welcome("syria", Role::Party, PARTY_CHANNELS), None);
        let mut s = Model::new(view, Clock::default());
        // In the backlog a clock record is history: the announced clock stands.
        let start = journaled(3, "control", acts::clock_start(Some(60)));
        assert_eq!(s.fold_record(&start, None), Change::Nothing);
        assert_eq!(s.clock().phase, Phase::NotStarted);
        s.fold(&Event::Live { size: 4 });
        assert!(s.is_live());
        assert_eq!(s.fold_record(&start, None), Change::Clock);
        assert_eq!((s.clock().phase, s.clock().speed), (Phase::Running, 60));
        // The state frame that follows says the same: no change.
        let state = SupervisionState {
            epoch: 1,
            clock: *s.clock(),
            now: T + 1000,
        };
        assert_eq!(s.fold(&Event::State(state)), Change::Nothing);
        let halt = journaled(4, "us", acts::clock_halt(Some("real fire".into())));
        assert_eq!(s.fold_record(&halt, None), Change::Clock);
        assert!(s.clock().halted);
        assert_eq!(s.halt_reason(), Some("real fire"));
        let mut resumed = *s.clock();
        resumed.apply(ClockAction::Resume, T + 5000, None);
        let state = SupervisionState {
            epoch: 2,
            clock: resumed,
            now: T + 5000,
        };
        assert_eq!(s.fold(&Event::State(state)), Change::Clock);
        assert!(!s.clock().halted);
    }

    #[test]
    fn presence_is_the_last_announcement() {
        let mut s = model("syria", Role::Party, PARTY_CHANNELS);
        let online = vec![id("israel"), id("syria")];
        assert_eq!(
            s.fold(&Event::Presence {
                online: online.clone()
            }),
            Change::Presence
        );
        assert!(s.is_online(&id("israel")) && !s.is_online(&id("us")));
        assert_eq!(s.fold(&Event::Presence { online }), Change::Nothing);
        s.fold(&Event::Presence {
            online: vec![id("syria")],
        });
        assert_eq!(s.online(), [id("syria")]);
    }

    #[test]
    fn grants_and_revokes_of_ones_own_access_change_the_channels() {
        let mut france = model("france", Role::Observer, &[("diplomacy", false)]);
        let grant = acts::grant(
            id("france"),
            ch("commerce"),
            fusioncell_wire::act_body::Access::Reader,
        );
        assert_eq!(
            france.fold_record(&journaled(5, "us", grant), None),
            Change::Channels
        );
        assert!(!france.view().writes(&ch("commerce")));
        let member = acts::grant(
            id("france"),
            ch("commerce"),
            fusioncell_wire::act_body::Access::Member,
        );
        france.fold_record(&journaled(6, "us", member), None);
        assert!(france.view().writes(&ch("commerce")));
        let revoke = acts::revoke(
            id("france"),
            ch("diplomacy"),
            fusioncell_wire::act_body::Access::Reader,
        );
        france.fold_record(&journaled(7, "us", revoke), None);
        assert_eq!(france.view().channels, [(ch("commerce"), true)]);
        // Someone else's access is not ours.
        let other = acts::grant(
            id("syria"),
            ch("us-israel"),
            fusioncell_wire::act_body::Access::Member,
        );
        assert_eq!(
            france.fold_record(&journaled(8, "us", other), None),
            Change::Nothing
        );
    }

    #[test]
    fn receipts_are_kept_by_the_record_they_are_for() {
        let mut israel = model("israel", Role::Party, PARTY_CHANNELS);
        israel.fold_record(
            &journaled(6, "syria", acts::receipt(3, ReceiptKind::Delivered)),
            None,
        );
        israel.fold_record(
            &journaled(7, "syria", acts::receipt(3, ReceiptKind::Read)),
            None,
        );
        let got: Vec<(IdentityId, ReceiptKind, u64)> = israel
            .receipts(3)
            .iter()
            .map(|r| (r.by.clone(), r.kind, r.seq))
            .collect();
        assert_eq!(
            got,
            [
                (id("syria"), ReceiptKind::Delivered, 6),
                (id("syria"), ReceiptKind::Read, 7)
            ]
        );
        assert!(israel.receipts(4).is_empty());
    }

    #[test]
    fn only_the_last_records_are_remembered() {
        let mut s = model("syria", Role::Party, PARTY_CHANNELS);
        for seq in 0..=REMEMBER as u64 {
            s.fold_record(
                &record(seq, ActKind::Post, "israel", Some("diplomacy"), "x"),
                None,
            );
        }
        assert!(s.find(0).is_none());
        assert!(s.find(1).is_some() && s.find(REMEMBER as u64).is_some());
    }
}
