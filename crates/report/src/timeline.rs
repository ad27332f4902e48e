//! The timeline: each channel's records over exercise (scenario) time, as the journaled clock
//! placed them, plus the clock's own changes; and a one-line description of any record.

use fusioncell_wire::act_body::{
    AckBody, ClockAction, ClockBody, DecisionBody, EscalateBody, GrantBody, InjectBody, MuteBody,
    ObserveBody, ReceiptBody, ReceiptKind, RedactBody,
};
use fusioncell_wire::{ActKind, ChannelId, IdentityId, OpenBody, RecoveredBody, SecurityBody};

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
            if let Some(c) = e.parse::<ClockBody>() {
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
                .parse::<InjectBody>()
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

/// A one-line description of a record, for transcripts and tables. Post text is the body
/// itself; a redacted body is `[redacted]`. Unescaped: the caller escapes for its format.
pub fn describe(e: &Entry) -> String {
    const REDACTED: &str = "[redacted]";
    let Some(body) = e.body.as_deref() else {
        return match e.kind {
            ActKind::Inject => format!("inject {REDACTED}"),
            ActKind::Observe => format!("observation {REDACTED}"),
            _ => REDACTED.to_owned(),
        };
    };
    let unparsed = || format!("{} (body not understood)", e.kind_name());
    match e.kind {
        ActKind::Post => body.to_owned(),
        ActKind::Inject => e.parse::<InjectBody>().map_or_else(unparsed, |i| {
            format!("INJECT {} \"{}\": {}", i.id, i.title, i.text)
        }),
        ActKind::Approve => e.parse::<DecisionBody>().map_or_else(unparsed, |d| {
            format!("approved #{}: released to the channel", d.target)
        }),
        ActKind::Reject => e.parse::<DecisionBody>().map_or_else(unparsed, |d| {
            format!(
                "rejected #{}: {}",
                d.target,
                d.reason.as_deref().unwrap_or("(no reason)")
            )
        }),
        ActKind::Ack => e
            .parse::<AckBody>()
            .map_or_else(unparsed, |a| format!("acknowledged #{}", a.target)),
        ActKind::Escalate => e.parse::<EscalateBody>().map_or_else(unparsed, |x| {
            format!(
                "#{} from {} not acknowledged within {} s: escalated to the mediator",
                x.target, x.sender, x.ack_seconds
            )
        }),
        ActKind::Clock => e.parse::<ClockBody>().map_or_else(unparsed, |c| {
            let reason = c.reason.map(|r| format!(": {r}")).unwrap_or_default();
            match c.action {
                ClockAction::Start => format!("STARTEX (×{}){reason}", c.speed.unwrap_or(1)),
                ClockAction::Pause => format!("play paused{reason}"),
                ClockAction::Resume => format!("play resumed{reason}"),
                ClockAction::End => format!("ENDEX{reason}"),
                ClockAction::Halt => format!("REAL-WORLD EMERGENCY: play halted{reason}"),
            }
        }),
        ActKind::Observe => e.parse::<ObserveBody>().map_or_else(unparsed, |o| {
            let refs: Vec<String> = o.refs.iter().map(|r| format!("#{r}")).collect();
            let about = o.about.map(|a| format!(" about {a}")).unwrap_or_default();
            format!("observation on {}{about}: {}", refs.join(", "), o.text)
        }),
        ActKind::Receipt => e.parse::<ReceiptBody>().map_or_else(unparsed, |r| {
            let what = match r.kind {
                ReceiptKind::Delivered => "received",
                ReceiptKind::Read => "read",
            };
            format!("{what} #{}", r.target)
        }),
        ActKind::Mute | ActKind::Unmute => e.parse::<MuteBody>().map_or_else(unparsed, |m| {
            let verb = if e.kind == ActKind::Mute {
                "muted"
            } else {
                "unmuted"
            };
            let on = m
                .channel
                .map_or_else(|| "everywhere".to_owned(), |c| format!("on {c}"));
            format!("{verb} {} {on}", m.identity)
        }),
        ActKind::Grant | ActKind::Revoke => e.parse::<GrantBody>().map_or_else(unparsed, |g| {
            let (verb, prep) = if e.kind == ActKind::Grant {
                ("granted", "to")
            } else {
                ("revoked", "from")
            };
            let access = match g.access {
                fusioncell_wire::act_body::Access::Member => "member",
                fusioncell_wire::act_body::Access::Reader => "reader",
            };
            format!(
                "{verb} {access} access to {} {prep} {}",
                g.channel, g.identity
            )
        }),
        ActKind::Redact => e.parse::<RedactBody>().map_or_else(unparsed, |r| {
            format!("redacted the body of #{}: {}", r.target, r.reason)
        }),
        ActKind::Open => e.parse::<OpenBody>().map_or_else(unparsed, |o| {
            format!(
                "cell {} opened: {} identities, {} channels",
                o.cell,
                o.identities.len(),
                o.channels.len()
            )
        }),
        ActKind::Security => e.parse::<SecurityBody>().map_or_else(unparsed, |s| {
            let who = s.identity.map(|i| format!(" ({i})")).unwrap_or_default();
            format!("security: {}{who}: {}", s.event, s.reason)
        }),
        ActKind::Recovered => e.parse::<RecoveredBody>().map_or_else(unparsed, |r| {
            format!(
                "relay restarted: {} records intact, {} torn bytes cut off",
                r.records, r.truncated_bytes
            )
        }),
        _ if e.kind_name() == "cosign" => e
            .parse::<crate::metrics::CosignFields>()
            .map_or_else(unparsed, |c| {
                format!("cosigned the checkpoint of size {}", c.size)
            }),
        _ => body.to_owned(),
    }
}
