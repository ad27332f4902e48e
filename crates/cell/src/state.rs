//! The cell's run-time state, folded from the journal one record at a time.
//!
//! The relay decides every act against this state and then applies the act's record; an
//! offline verifier replays the journal through the same [`State::apply`] and re-derives every
//! decision. One deterministic fold serves both, so they cannot disagree (SECURITY.md, §3.3:
//! offline verification re-derives every decision).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fusioncell_wire::act_body::Access;
use fusioncell_wire::{ActKind, ChannelId, IdentityId, Record, Role};

use crate::deadline::Due;
use crate::model::Cell;
use fusioncell_wire::clock::Clock;

/// Who may receive a record: decided once, when the record is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// Whoever could read the channel when the record was applied: the roles that read
    /// everything, and these identities. Fixed at that moment, so a later grant or revoke
    /// changes nothing about who received what — live, on resume and in a replay alike.
    Channel {
        /// The channel.
        channel: ChannelId,
        /// The identities (other than roles that read everything) that could read it, sorted.
        /// Shared by every record of the channel until its membership changes.
        readers: Arc<[IdentityId]>,
    },
    /// A post held for moderation: its sender and the mediator only.
    Held {
        /// The sender.
        actor: IdentityId,
    },
    /// These identities, plus the roles that read everything.
    Named(Vec<IdentityId>),
    /// Every identity of the cell (what names no channel: the clock, a mute everywhere,
    /// cosignatures).
    Everyone,
    /// The roles that read everything (the relay's own records).
    Supervisors,
    /// Evaluators and exercise control only: never players (evaluator observations).
    WhiteCell,
}

impl Audience {
    /// Whether `who`, whose role is `role`, receives a record with this audience.
    pub fn admits(&self, who: &IdentityId, role: Role) -> bool {
        match self {
            Audience::Channel { readers, .. } => {
                role.reads_all() || readers.binary_search(who).is_ok()
            }
            Audience::Held { actor } => actor == who || role == Role::Mediator,
            Audience::Named(ids) => role.reads_all() || ids.contains(who),
            Audience::Everyone => true,
            Audience::Supervisors => role.reads_all(),
            Audience::WhiteCell => matches!(role, Role::Evaluator | Role::Control),
        }
    }
}

/// A post waiting for the mediator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Who posted it.
    pub actor: IdentityId,
    /// Where.
    pub channel: ChannelId,
    /// SHA-256 of its canonical act bytes: a decision must name exactly this.
    pub digest: [u8; 32],
}

/// A hotline post waiting for the other side's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    /// Who posted it.
    pub sender: IdentityId,
    /// The hotline channel.
    pub channel: ChannelId,
    /// When its deadline passes, on the exercise clock.
    pub due: Due,
    /// The channel's deadline, in seconds.
    pub ack_seconds: u32,
}

/// What the state remembers of every record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Meta {
    kind: ActKind,
    actor: IdentityId,
    audience: Audience,
}

/// The fold of the journal so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub(crate) epoch: u64,
    pub(crate) clock: Clock,
    records: Vec<Meta>,
    pub(crate) muted: BTreeSet<(IdentityId, Option<ChannelId>)>,
    pub(crate) granted: BTreeMap<(ChannelId, IdentityId), Access>,
    pub(crate) revoked: BTreeSet<(ChannelId, IdentityId)>,
    pub(crate) held: BTreeMap<u64, Held>,
    pub(crate) released: BTreeMap<u64, ChannelId>,
    pub(crate) awaiting: BTreeMap<u64, Awaiting>,
    pub(crate) redacted: BTreeSet<u64>,
    pub(crate) witnessed: BTreeMap<IdentityId, u64>,
    /// Each channel's current readers, computed once per membership change (grant, revoke)
    /// instead of once per record; the same fold fills it the same way.
    pub(crate) readers: BTreeMap<ChannelId, Arc<[IdentityId]>>,
}

impl State {
    /// The state of an empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// The supervision epoch: it changes with every mute, membership change, redaction and
    /// clock change, so a moderation decision can be bound to the state it was made in.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The exercise clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Number of records applied.
    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }

    /// Whether no record was applied.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Who may receive record `seq` (`None` for a record not applied yet).
    pub fn audience(&self, seq: u64) -> Option<&Audience> {
        self.meta(seq).map(|m| &m.audience)
    }

    /// The kind of record `seq`.
    pub fn kind(&self, seq: u64) -> Option<ActKind> {
        self.meta(seq).map(|m| m.kind)
    }

    /// Posts held for moderation, by sequence number.
    pub fn held(&self) -> &BTreeMap<u64, Held> {
        &self.held
    }

    /// The channel a held post was released to by an approval (its readers received it with
    /// the approval, not on its own).
    pub fn released_to(&self, seq: u64) -> Option<&ChannelId> {
        self.released.get(&seq)
    }

    /// Hotline posts waiting for acknowledgement, by sequence number.
    pub fn awaiting(&self) -> &BTreeMap<u64, Awaiting> {
        &self.awaiting
    }

    /// Hotline posts whose deadline has passed at relay time `now_ms` (never while play
    /// stands still: [`Due`]).
    pub fn overdue(&self, now_ms: i64) -> Vec<(u64, &Awaiting)> {
        self.awaiting
            .iter()
            .filter(|(_, a)| a.due.passed(&self.clock, now_ms))
            .map(|(s, a)| (*s, a))
            .collect()
    }

    /// The largest tree size each witness has cosigned.
    pub fn witnessed(&self) -> &BTreeMap<IdentityId, u64> {
        &self.witnessed
    }

    /// Whether record `seq`'s body was redacted.
    pub fn is_redacted(&self, seq: u64) -> bool {
        self.redacted.contains(&seq)
    }

    /// Whether `who` is muted on `channel` (or everywhere).
    pub fn is_muted(&self, who: &IdentityId, channel: &ChannelId) -> bool {
        self.muted.contains(&(who.clone(), None))
            || self.muted.contains(&(who.clone(), Some(channel.clone())))
    }

    /// Whether a mute of `who` (on `channel`, or everywhere) is in force.
    pub fn has_mute(&self, who: &IdentityId, channel: Option<&ChannelId>) -> bool {
        self.muted.contains(&(who.clone(), channel.cloned()))
    }

    /// The access granted at run time, if any.
    pub fn granted(&self, channel: &ChannelId, who: &IdentityId) -> Option<Access> {
        self.granted.get(&(channel.clone(), who.clone())).copied()
    }

    /// Whether configured access was revoked at run time.
    pub fn is_revoked(&self, channel: &ChannelId, who: &IdentityId) -> bool {
        self.revoked.contains(&(channel.clone(), who.clone()))
    }

    fn meta(&self, seq: u64) -> Option<&Meta> {
        usize::try_from(seq).ok().and_then(|i| self.records.get(i))
    }

    /// Folds one record in. Records must come in order; each kind's effect is in its module
    /// under `acts`.
    pub fn apply(&mut self, cell: &Cell, record: &Record) {
        let audience = crate::acts::apply(self, cell, record);
        self.push(&record.act, audience);
    }

    /// The channel whose readers received record `seq`, if it went to a channel.
    pub fn channel_of(&self, seq: u64) -> Option<&ChannelId> {
        match self.audience(seq)? {
            Audience::Channel { channel, .. } => Some(channel),
            _ => None,
        }
    }

    fn push(&mut self, act: &fusioncell_wire::Act, audience: Audience) {
        self.records.push(Meta {
            kind: act.kind,
            actor: act.actor.clone(),
            audience,
        });
    }

    /// Who made record `seq`.
    pub fn actor(&self, seq: u64) -> Option<&IdentityId> {
        self.meta(seq).map(|m| &m.actor)
    }
}

impl State {
    /// The audience of an act addressed to a channel (the relay's checks guarantee it has
    /// one; without, only supervisors would see it).
    pub(crate) fn on_channel(&mut self, cell: &Cell, act: &fusioncell_wire::Act) -> Audience {
        match act.channel.clone() {
            Some(channel) => self.channel_audience(cell, channel),
            None => Audience::Supervisors,
        }
    }

    /// Who can read `channel` now.
    pub(crate) fn channel_audience(&mut self, cell: &Cell, channel: ChannelId) -> Audience {
        if let Some(readers) = self.readers.get(&channel) {
            let readers = Arc::clone(readers);
            return Audience::Channel { channel, readers };
        }
        let mut readers: Vec<IdentityId> = cell
            .identities()
            .iter()
            .filter(|i| !i.role.reads_all())
            .filter(|i| crate::policy::can_read(cell, self, &i.id, &channel))
            .map(|i| i.id.clone())
            .collect();
        readers.sort();
        let readers: Arc<[IdentityId]> = readers.into();
        self.readers.insert(channel.clone(), Arc::clone(&readers));
        Audience::Channel { channel, readers }
    }
}
