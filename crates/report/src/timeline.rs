//! The timeline: each channel's records over exercise (scenario) time, as the journaled clock
//! placed them, plus the clock's own changes; and a one-line description of any record.

use fusioncell_wire::act_body::{ClockAction, ClockBody, InjectBody};
use fusioncell_wire::{ActKind, ChannelId, IdentityId};

use crate::model::{ChannelInfo, Entry};

/// What a mark on a channel's strip stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkKind {
    /// A scenario inject.
    Inject,
    /// A post delivered to the channel.
    Post,
    /// A post held for the mediator.
    Held,
    /// A held post released.
    Approve,
    /// A held post refused.
    Reject,
    /// A hotline post acknowledged.
    Ack,
    /// A hotline post escalated to the mediator.
    Escalate,
    /// Anything else on the channel (membership changes, ...).
    Other,
}

impl MarkKind {
    /// Every kind, in legend order.
    pub const ALL: [MarkKind; 8] = [
        MarkKind::Inject,
        MarkKind::Post,
        MarkKind::Held,
        MarkKind::Approve,
        MarkKind::Reject,
        MarkKind::Ack,
        MarkKind::Escalate,
        MarkKind::Other,
    ];

    /// A legend label.
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Inject => "inject",
            MarkKind::Post => "post",
            MarkKind::Held => "post held for the mediator",
            MarkKind::Approve => "approved",
            MarkKind::Reject => "rejected",
            MarkKind::Ack => "acknowledged",
            MarkKind::Escalate => "escalated",
            MarkKind::Other => "other",
        }
    }

    fn of(e: &Entry) -> MarkKind {
        match e.kind {
            ActKind::Inject => MarkKind::Inject,
            ActKind::Post if e.held => MarkKind::Held,
            ActKind::Post => MarkKind::Post,
            ActKind::Approve => MarkKind::Approve,
            ActKind::Reject => MarkKind::Reject,
            ActKind::Ack => MarkKind::Ack,
            ActKind::Escalate => MarkKind::Escalate,
            _ => MarkKind::Other,
        }
    }
}

/// One record on a channel's strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Its seq.
    pub seq: u64,
    /// Scenario time (0 before STARTEX).
    pub scenario_ms: u64,
    /// What it is.
    pub kind: MarkKind,
    /// Who made it.
    pub actor: IdentityId,
    /// A short label: the inject's control number, else the actor.
    pub label: String,
}

/// One channel's strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// The channel.
    pub channel: ChannelId,
    /// Its policy.
    pub policy: &'static str,
    /// Its records, in order.
    pub marks: Vec<Mark>,
}

/// A change of the exercise clock, drawn across every strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockMark {
    /// Its seq.
    pub seq: u64,
    /// Scenario time.
    pub scenario_ms: u64,
    /// What changed.
    pub action: ClockAction,
}

/// The timeline of the exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Scenario time covered, in ms (at least 1).
    pub span_ms: u64,
    /// One strip per channel, in config order.
    pub lanes: Vec<Lane>,
    /// Clock changes.
    pub clock: Vec<ClockMark>,
}

/// Places every channel record on its channel's strip.
pub fn build(entries: &[Entry], channels: &[ChannelInfo], span_ms: u64) -> Timeline {
    let mut lanes: Vec<Lane> = channels
        .iter()
        .map(|c| Lane {
            channel: c.id.clone(),
            policy: c.policy,
            marks: Vec::new(),
        })
        .collect();
    let mut clock = Vec::new();
    for e in entries {
        let at = e.scenario_ms.unwrap_or(0);
        if e.kind == ActKind::Clock {
            if let Some(c) = e.params::<ClockBody>() {
                clock.push(ClockMark {
                    seq: e.seq,
                    scenario_ms: at,
                    action: c.action,
                });
            }
            continue;
        }
        let Some(channel) = &e.channel else { continue };
        let lane = match lanes.iter().position(|l| l.channel == *channel) {
            Some(i) => &mut lanes[i],
            None => {
                lanes.push(Lane {
                    channel: channel.clone(),
                    policy: "unknown",
                    marks: Vec::new(),
                });
                let last = lanes.len() - 1;
                &mut lanes[last]
            }
        };
        let kind = MarkKind::of(e);
        let label = match kind {
            MarkKind::Inject => e
                .params::<InjectBody>()
                .map_or_else(|| "inject".to_owned(), |i| i.id),
            _ => e.actor.to_string(),
        };
        lane.marks.push(Mark {
            seq: e.seq,
            scenario_ms: at,
            kind,
            actor: e.actor.clone(),
            label,
        });
    }
    Timeline {
        span_ms: span_ms.max(1),
        lanes,
        clock,
    }
}

/// A one-line description of a record, for transcripts and tables: the cell's one describer.
/// Unescaped: the caller escapes for its format.
pub fn describe(e: &Entry) -> String {
    fusioncell_cell::describe(e.body.as_ref())
}
