//! What the exercise measured, derived from the placed records: each inject with the responses
//! it drew, evaluator observations against expected actions, moderation decisions and time in
//! queue, pauses and halts, hotline acknowledgements and escalations, participation per
//! identity, security events, redactions (never their text) and witness cosignatures.

use std::collections::{BTreeMap, BTreeSet};

use fusioncell_scenario::Scenario;
use fusioncell_wire::act_body::{
    AckBody, ClockAction, ClockBody, DecisionBody, EscalateBody, InjectBody, ObserveBody,
    ReceiptBody, ReceiptKind, RedactBody,
};
use fusioncell_wire::{ActKind, ChannelId, IdentityId, RecoveredBody, Role, SecurityBody};
use serde::Deserialize;

use crate::format::median;
use crate::model::{ChannelInfo, Entry, Participant};

/// Everything measured.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Injects delivered, in journal order.
    pub injects: Vec<InjectReport>,
    /// Scenario injects never delivered (skipped, held back, contingency not needed).
    pub unfired: Vec<Planned>,
    /// Evaluator observations.
    pub observations: Vec<Observation>,
    /// Moderated posts and decisions.
    pub moderation: Moderation,
    /// Every change of the exercise clock.
    pub clock_events: Vec<ClockEvent>,
    /// Pauses and halts.
    pub stoppages: Vec<Stoppage>,
    /// Hotline posts.
    pub hotline: Vec<HotlineMessage>,
    /// Acts per identity, in config order.
    pub participation: Vec<Participation>,
    /// Refused logins and acts.
    pub security: Vec<SecurityEvent>,
    /// Relay restarts.
    pub recoveries: Vec<Recovery>,
    /// Redactions (what and by whom, never the text).
    pub redactions: Vec<Redaction>,
    /// Mutes, unmutes, grants and revocations: their seqs.
    pub supervision: Vec<u64>,
    /// Per witness, the largest checkpoint it cosigned.
    pub witnesses: Vec<Witness>,
    /// Receipts: delivered, read.
    pub receipts: (u64, u64),
}

/// A scenario inject as planned (controller material included: this is for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Control number.
    pub id: String,
    /// Planned scenario time, seconds from STARTEX.
    pub at_s: u64,
    /// Move.
    pub move_id: String,
    /// Channel.
    pub channel: ChannelId,
    /// Title.
    pub title: String,
    /// Expected player actions.
    pub expected: Vec<String>,
    /// Objective or capability.
    pub objective: Option<String>,
    /// A contingency inject.
    pub contingency: bool,
}

impl Planned {
    fn of(i: &fusioncell_scenario::Inject) -> Planned {
        Planned {
            id: i.id.to_string(),
            at_s: i.at_s,
            move_id: i.move_id.to_string(),
            channel: i.channel.clone(),
            title: i.title.clone(),
            expected: i.expected.clone(),
            objective: i.objective.clone(),
            contingency: i.contingency,
        }
    }
}

/// A post that answered an inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Its seq.
    pub seq: u64,
    /// Who.
    pub actor: IdentityId,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Held for the mediator.
    pub held: bool,
}

/// A delivered inject and what it drew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectReport {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time of delivery.
    pub scenario_ms: Option<u64>,
    /// Channel.
    pub channel: ChannelId,
    /// Control number (`None` if the body was redacted).
    pub id: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Planned scenario time, seconds, as the inject carried it.
    pub at_s: Option<u64>,
    /// The scenario's entry for it.
    pub planned: Option<Planned>,
    /// Posts on its channel after it, until the next inject there (not by control).
    pub responses: Vec<Response>,
    /// Indices into [`Metrics::observations`] about it.
    pub observations: Vec<usize>,
}

impl InjectReport {
    /// The first response.
    pub fn first(&self) -> Option<&Response> {
        self.responses.first()
    }

    /// Real time to the first response, ms.
    pub fn first_real_ms(&self) -> Option<i64> {
        self.first().map(|r| r.ts.saturating_sub(self.ts))
    }

    /// Scenario time to the first response, ms.
    pub fn first_scenario_ms(&self) -> Option<u64> {
        let r = self.first()?;
        Some(r.scenario_ms?.saturating_sub(self.scenario_ms?))
    }

    /// Distinct responders, in order of first response.
    pub fn responders(&self) -> Vec<&IdentityId> {
        let mut out: Vec<&IdentityId> = Vec::new();
        for r in &self.responses {
            if !out.contains(&&r.actor) {
                out.push(&r.actor);
            }
        }
        out
    }

    /// The control number, or `#seq` when unknown.
    pub fn name(&self) -> String {
        self.id.clone().unwrap_or_else(|| format!("#{}", self.seq))
    }
}

/// An evaluator observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// The evaluator.
    pub actor: IdentityId,
    /// Records referenced.
    pub refs: Vec<u64>,
    /// The inject or objective it evaluates.
    pub about: Option<String>,
    /// The text; `None` when redacted.
    pub text: Option<String>,
    /// Seqs of the injects it is about.
    pub injects: Vec<u64>,
}

/// A decision on a held post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Who decided.
    pub by: IdentityId,
    /// Released (or refused).
    pub approved: bool,
    /// The reason given with a refusal.
    pub reason: Option<String>,
}

/// A post held for the mediator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPost {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Channel.
    pub channel: ChannelId,
    /// Sender.
    pub sender: IdentityId,
    /// The decision, if one was made.
    pub decision: Option<Decision>,
}

impl HeldPost {
    /// Real time in the queue, ms (until the decision).
    pub fn queue_real_ms(&self) -> Option<i64> {
        self.decision.as_ref().map(|d| d.ts.saturating_sub(self.ts))
    }

    /// Scenario time in the queue, ms.
    pub fn queue_scenario_ms(&self) -> Option<u64> {
        let d = self.decision.as_ref()?;
        Some(d.scenario_ms?.saturating_sub(self.scenario_ms?))
    }
}

/// Moderation on the cell's moderated channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderation {
    /// Every held post, in order.
    pub posts: Vec<HeldPost>,
}

impl Moderation {
    /// Posts held.
    pub fn held(&self) -> usize {
        self.posts.len()
    }

    /// Posts approved.
    pub fn approved(&self) -> usize {
        self.count(|d| d.approved)
    }

    /// Posts rejected.
    pub fn rejected(&self) -> usize {
        self.count(|d| !d.approved)
    }

    /// Posts never decided.
    pub fn pending(&self) -> usize {
        self.posts.iter().filter(|p| p.decision.is_none()).count()
    }

    fn count(&self, f: impl Fn(&Decision) -> bool) -> usize {
        self.posts
            .iter()
            .filter(|p| p.decision.as_ref().is_some_and(&f))
            .count()
    }

    /// Median and maximum real time in the queue, ms.
    pub fn queue_real(&self) -> Option<(i64, i64)> {
        let v: Vec<i64> = self
            .posts
            .iter()
            .filter_map(HeldPost::queue_real_ms)
            .collect();
        Some((median(&v)?, *v.iter().max()?))
    }

    /// Median and maximum scenario time in the queue, ms.
    pub fn queue_scenario(&self) -> Option<(u64, u64)> {
        let v: Vec<i64> = self
            .posts
            .iter()
            .filter_map(HeldPost::queue_scenario_ms)
            .map(|m| i64::try_from(m).unwrap_or(i64::MAX))
            .collect();
        let m = median(&v)?;
        Some((m.unsigned_abs(), (*v.iter().max()?).unsigned_abs()))
    }
}

/// A change of the exercise clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockEvent {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time after it.
    pub scenario_ms: Option<u64>,
    /// Who.
    pub actor: IdentityId,
    /// What.
    pub action: ClockAction,
    /// Speed set (start).
    pub speed: Option<u32>,
    /// Reason given.
    pub reason: Option<String>,
}

/// A pause or a halt, and what ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stoppage {
    /// The clock act that stopped play.
    pub start: ClockEvent,
    /// A real-world-emergency halt (else a pause).
    pub halted: bool,
    /// The clock act that ended it (resume, end, or a halt during a pause); `None` when play
    /// was still stopped at the end of the journal.
    pub end: Option<ClockEvent>,
}

impl Stoppage {
    /// Real time stopped, ms.
    pub fn real_ms(&self) -> Option<i64> {
        self.end
            .as_ref()
            .map(|e| e.ts.saturating_sub(self.start.ts))
    }
}

/// The acknowledgement, or escalation, of a hotline post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Its seq.
    pub seq: u64,
    /// Who.
    pub actor: IdentityId,
    /// Real time after the post, ms.
    pub real_ms: i64,
    /// Scenario time after the post, ms.
    pub scenario_ms: Option<u64>,
}

/// A hotline post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotlineMessage {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// The hotline.
    pub channel: ChannelId,
    /// Sender.
    pub sender: IdentityId,
    /// The deadline, seconds, when known (config or escalation).
    pub ack_seconds: Option<u32>,
    /// The first acknowledgement.
    pub ack: Option<Reply>,
    /// The escalation to the mediator.
    pub escalation: Option<Reply>,
}

/// The participation categories, in chart order.
pub const CATEGORIES: [&str; 7] = [
    "posts",
    "acks",
    "receipts",
    "decisions",
    "injects",
    "observations",
    "other",
];

/// Acts of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    /// Who.
    pub id: IdentityId,
    /// Role.
    pub role: Option<Role>,
    /// Posts.
    pub posts: u64,
    /// Hotline acknowledgements.
    pub acks: u64,
    /// Delivery and read receipts.
    pub receipts: u64,
    /// Moderation decisions (approve, reject).
    pub decisions: u64,
    /// Injects.
    pub injects: u64,
    /// Observations.
    pub observations: u64,
    /// Everything else (clock, mutes, grants, redactions, cosignatures).
    pub other: u64,
}

impl Participation {
    fn new(id: IdentityId, role: Option<Role>) -> Participation {
        Participation {
            id,
            role,
            posts: 0,
            acks: 0,
            receipts: 0,
            decisions: 0,
            injects: 0,
            observations: 0,
            other: 0,
        }
    }

    /// The counts by category, in [`CATEGORIES`] order.
    pub fn parts(&self) -> [(&'static str, u64); 7] {
        let n = [
            self.posts,
            self.acks,
            self.receipts,
            self.decisions,
            self.injects,
            self.observations,
            self.other,
        ];
        std::array::from_fn(|i| (CATEGORIES[i], n[i]))
    }

    /// All acts.
    pub fn total(&self) -> u64 {
        self.parts().iter().map(|(_, n)| n).sum()
    }
}

/// A refused login or act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// The event (`bad_login`, an error code, ...).
    pub event: String,
    /// Identity claimed or authenticated.
    pub identity: Option<String>,
    /// Socket address.
    pub peer: Option<String>,
    /// Details.
    pub reason: String,
}

/// A relay restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Records found intact.
    pub records: u64,
    /// Torn bytes cut off.
    pub truncated_bytes: u64,
}

/// A redaction: never the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Who redacted.
    pub by: IdentityId,
    /// The record redacted.
    pub target: u64,
    /// Its kind.
    pub target_kind: Option<&'static str>,
    /// Its author.
    pub target_actor: Option<IdentityId>,
    /// Why (the mediator's own words).
    pub reason: String,
}

/// The largest checkpoint an identity cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Who.
    pub identity: IdentityId,
    /// The tree size cosigned.
    pub size: u64,
    /// The root cosigned, hex.
    pub root: String,
    /// The cosignature's seq.
    pub seq: u64,
}

/// The body of a `cosign` act, read leniently: the kind is newer than this crate's wire
/// version may be.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CosignFields {
    pub(crate) size: u64,
    #[serde(default)]
    pub(crate) root: String,
}

/// Derives every metric from the placed records.
pub fn compute(
    entries: &[Entry],
    identities: &[Participant],
    channels: &[ChannelInfo],
    scenario: Option<&Scenario>,
) -> Metrics {
    let mut m = Metrics {
        participation: identities
            .iter()
            .map(|p| Participation::new(p.id.clone(), Some(p.role)))
            .collect(),
        ..Metrics::default()
    };
    // The inject currently drawing responses on each channel (index into m.injects).
    let mut current: BTreeMap<ChannelId, usize> = BTreeMap::new();
    let mut held_index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut hotline_index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut witnesses: BTreeMap<IdentityId, Witness> = BTreeMap::new();
    let mut open_stop: Option<Stoppage> = None;

    for e in entries {
        count(&mut m.participation, e);
        match e.kind {
            ActKind::Inject => {
                let body = e.parse::<InjectBody>();
                let Some(channel) = e.channel.clone() else {
                    continue;
                };
                let planned = body
                    .as_ref()
                    .and_then(|b| scenario?.inject(&b.id))
                    .map(Planned::of);
                current.insert(channel.clone(), m.injects.len());
                m.injects.push(InjectReport {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    channel,
                    id: body.as_ref().map(|b| b.id.clone()),
                    title: body.as_ref().map(|b| b.title.clone()),
                    at_s: body.as_ref().map(|b| b.at_s),
                    planned,
                    responses: Vec::new(),
                    observations: Vec::new(),
                });
            }
            ActKind::Post => {
                let Some(channel) = &e.channel else { continue };
                if e.role != Some(Role::Control)
                    && let Some(&i) = current.get(channel)
                {
                    m.injects[i].responses.push(Response {
                        seq: e.seq,
                        actor: e.actor.clone(),
                        ts: e.ts,
                        scenario_ms: e.scenario_ms,
                        held: e.held,
                    });
                }
                if e.held {
                    held_index.insert(e.seq, m.moderation.posts.len());
                    m.moderation.posts.push(HeldPost {
                        seq: e.seq,
                        ts: e.ts,
                        scenario_ms: e.scenario_ms,
                        channel: channel.clone(),
                        sender: e.actor.clone(),
                        decision: None,
                    });
                }
                if e.hotline {
                    hotline_index.insert(e.seq, m.hotline.len());
                    m.hotline.push(HotlineMessage {
                        seq: e.seq,
                        ts: e.ts,
                        scenario_ms: e.scenario_ms,
                        channel: channel.clone(),
                        sender: e.actor.clone(),
                        ack_seconds: channels
                            .iter()
                            .find(|c| c.id == *channel)
                            .and_then(|c| c.ack_seconds),
                        ack: None,
                        escalation: None,
                    });
                }
            }
            ActKind::Approve | ActKind::Reject => {
                let Some(d) = e.parse::<DecisionBody>() else {
                    continue;
                };
                if let Some(&i) = held_index.get(&d.target) {
                    let post = &mut m.moderation.posts[i];
                    if post.decision.is_none() {
                        post.decision = Some(Decision {
                            seq: e.seq,
                            ts: e.ts,
                            scenario_ms: e.scenario_ms,
                            by: e.actor.clone(),
                            approved: e.kind == ActKind::Approve,
                            reason: d.reason,
                        });
                    }
                }
            }
            ActKind::Ack | ActKind::Escalate => {
                let (target, ack_seconds) = if e.kind == ActKind::Ack {
                    let Some(a) = e.parse::<AckBody>() else {
                        continue;
                    };
                    (a.target, None)
                } else {
                    let Some(x) = e.parse::<EscalateBody>() else {
                        continue;
                    };
                    (x.target, Some(x.ack_seconds))
                };
                if let Some(&i) = hotline_index.get(&target) {
                    let msg = &mut m.hotline[i];
                    let reply = Reply {
                        seq: e.seq,
                        actor: e.actor.clone(),
                        real_ms: e.ts.saturating_sub(msg.ts),
                        scenario_ms: e
                            .scenario_ms
                            .zip(msg.scenario_ms)
                            .map(|(a, b)| a.saturating_sub(b)),
                    };
                    let slot = if e.kind == ActKind::Ack {
                        &mut msg.ack
                    } else {
                        msg.ack_seconds = msg.ack_seconds.or(ack_seconds);
                        &mut msg.escalation
                    };
                    if slot.is_none() {
                        *slot = Some(reply);
                    }
                }
            }
            ActKind::Clock => {
                let Some(c) = e.parse::<ClockBody>() else {
                    continue;
                };
                let event = ClockEvent {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    actor: e.actor.clone(),
                    action: c.action,
                    speed: c.speed,
                    reason: c.reason,
                };
                m.clock_events.push(event.clone());
                match c.action {
                    ClockAction::Pause | ClockAction::Halt => {
                        if let Some(mut stop) = open_stop.take() {
                            stop.end = Some(event.clone());
                            m.stoppages.push(stop);
                        }
                        open_stop = Some(Stoppage {
                            start: event,
                            halted: c.action == ClockAction::Halt,
                            end: None,
                        });
                    }
                    ClockAction::Resume | ClockAction::End => {
                        if let Some(mut stop) = open_stop.take() {
                            stop.end = Some(event);
                            m.stoppages.push(stop);
                        }
                    }
                    ClockAction::Start => {}
                }
            }
            ActKind::Observe => {
                let body = e.parse::<ObserveBody>();
                m.observations.push(Observation {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    actor: e.actor.clone(),
                    refs: body.as_ref().map(|o| o.refs.clone()).unwrap_or_default(),
                    about: body.as_ref().and_then(|o| o.about.clone()),
                    text: body.map(|o| o.text),
                    injects: Vec::new(),
                });
            }
            ActKind::Receipt => match e.parse::<ReceiptBody>().map(|r| r.kind) {
                Some(ReceiptKind::Delivered) => m.receipts.0 += 1,
                Some(ReceiptKind::Read) => m.receipts.1 += 1,
                None => {}
            },
            ActKind::Security => {
                let body = e.parse::<SecurityBody>();
                m.security.push(SecurityEvent {
                    seq: e.seq,
                    ts: e.ts,
                    event: body
                        .as_ref()
                        .map_or_else(|| "unknown".to_owned(), |b| b.event.clone()),
                    identity: body.as_ref().and_then(|b| b.identity.clone()),
                    peer: body.as_ref().and_then(|b| b.peer.clone()),
                    reason: body.map(|b| b.reason).unwrap_or_default(),
                });
            }
            ActKind::Recovered => {
                if let Some(r) = e.parse::<RecoveredBody>() {
                    m.recoveries.push(Recovery {
                        seq: e.seq,
                        ts: e.ts,
                        records: r.records,
                        truncated_bytes: r.truncated_bytes,
                    });
                }
            }
            ActKind::Redact => {
                if let Some(r) = e.parse::<RedactBody>() {
                    let target = usize::try_from(r.target).ok().and_then(|i| entries.get(i));
                    m.redactions.push(Redaction {
                        seq: e.seq,
                        ts: e.ts,
                        by: e.actor.clone(),
                        target: r.target,
                        target_kind: target.map(Entry::kind_name),
                        target_actor: target.map(|t| t.actor.clone()),
                        reason: r.reason,
                    });
                }
            }
            ActKind::Mute | ActKind::Unmute | ActKind::Grant | ActKind::Revoke => {
                m.supervision.push(e.seq);
            }
            _ if e.kind_name() == "cosign" => {
                if let Some(c) = e.parse::<CosignFields>() {
                    let w = witnesses.entry(e.actor.clone()).or_insert(Witness {
                        identity: e.actor.clone(),
                        size: 0,
                        root: String::new(),
                        seq: e.seq,
                    });
                    if c.size >= w.size {
                        *w = Witness {
                            identity: e.actor.clone(),
                            size: c.size,
                            root: c.root,
                            seq: e.seq,
                        };
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(stop) = open_stop {
        m.stoppages.push(stop);
    }
    m.witnesses = witnesses.into_values().collect();
    link_observations(&mut m);
    if let Some(s) = scenario {
        let fired: BTreeSet<&str> = m.injects.iter().filter_map(|i| i.id.as_deref()).collect();
        m.unfired = s
            .timeline()
            .into_iter()
            .filter(|i| !fired.contains(i.id.as_str()))
            .map(Planned::of)
            .collect();
    }
    m
}

fn count(participation: &mut Vec<Participation>, e: &Entry) {
    if e.actor.is_relay() {
        return;
    }
    let i = match participation.iter().position(|p| p.id == e.actor) {
        Some(i) => i,
        None => {
            participation.push(Participation::new(e.actor.clone(), e.role));
            participation.len() - 1
        }
    };
    let p = &mut participation[i];
    match e.kind {
        ActKind::Post => p.posts += 1,
        ActKind::Ack => p.acks += 1,
        ActKind::Receipt => p.receipts += 1,
        ActKind::Approve | ActKind::Reject => p.decisions += 1,
        ActKind::Inject => p.injects += 1,
        ActKind::Observe => p.observations += 1,
        _ => p.other += 1,
    }
}

/// An observation is about an inject when it references the inject's record or one of its
/// responses, names it in `about`, or mentions its control number in its text.
fn link_observations(m: &mut Metrics) {
    for (oi, o) in m.observations.iter_mut().enumerate() {
        for inject in &mut m.injects {
            let refs = o
                .refs
                .iter()
                .any(|r| *r == inject.seq || inject.responses.iter().any(|resp| resp.seq == *r));
            let named = inject.id.as_deref().is_some_and(|id| {
                o.about.as_deref() == Some(id) || o.text.as_deref().is_some_and(|t| mentions(t, id))
            });
            if refs || named {
                inject.observations.push(oi);
                o.injects.push(inject.seq);
            }
        }
    }
}

/// Whether `text` names `id` as a whole word (`M1-1` is not mentioned by `M1-10`).
pub(crate) fn mentions(text: &str, id: &str) -> bool {
    if id.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_control_numbers_only() {
        assert!(mentions("M1-01: answered late", "M1-01"));
        assert!(mentions("see (M1-01).", "M1-01"));
        assert!(!mentions("see M1-010", "M1-01"));
        assert!(!mentions("XM1-01", "M1-01"));
        assert!(mentions("XM1-01 and M1-01", "M1-01"));
        assert!(!mentions("anything", ""));
    }
}
