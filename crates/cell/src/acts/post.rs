//! `post`: a message to a channel. A party's post to a moderated channel is held for the
//! mediator; to a hotline channel, it waits for the other side's acknowledgement.

use fusioncell_keys::sha256;
use fusioncell_wire::{ErrorCode, Record, Role, canonical};

use super::rules::{Context, Denied};
use crate::deadline::Due;
use crate::model::{Cell, Policy};
use crate::policy::may_post;
use crate::state::{Audience, Awaiting, Held, State};

/// The channel must exist, the actor may post there, is not muted there, and — a party —
/// only while play is on.
pub(super) fn authorize(ctx: &Context<'_>) -> Result<(), Denied> {
    let channel = ctx.channel()?;
    may_post(ctx.state, ctx.actor, channel)?;
    if ctx.state.is_muted(&ctx.actor.id, &channel.id) {
        return Err(Denied::new(
            ErrorCode::Muted,
            format!(
                "`{}` is muted on `{}` by the mediator",
                ctx.actor.id, channel.id
            ),
        ));
    }
    let clock = ctx.state.clock();
    if ctx.actor.role == Role::Party && !clock.play_allowed() {
        return Err(Denied::new(
            ErrorCode::Paused,
            format!(
                "the exercise is {}{}: parties cannot post",
                fusioncell_wire::clock::phase_name(clock.phase),
                if clock.halted {
                    " (real-world emergency halt)"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(())
}

/// Holds a party's post to a moderated channel, starts a hotline deadline, and gives the
/// audience: the sender and mediator while held, else the channel's readers. Also serves
/// `reply`, which channels treat as a post.
pub(super) fn apply(state: &mut State, cell: &Cell, record: &Record) -> Audience {
    let act = &record.act;
    let Some(channel) = act.channel.clone() else {
        return Audience::Supervisors;
    };
    let role = cell.identity(&act.actor).map(|i| i.role);
    let policy = cell.channel(&channel).map(|c| c.policy);
    if role == Some(Role::Party) {
        if policy == Some(Policy::Moderated) {
            state.held.insert(
                record.seq,
                Held {
                    actor: act.actor.clone(),
                    channel: channel.clone(),
                    digest: sha256(&canonical::act_bytes(act)),
                },
            );
            return Audience::Held {
                actor: act.actor.clone(),
            };
        }
        if let Some(Policy::Hotline {
            ack_seconds,
            ack_clock,
        }) = policy
        {
            state.awaiting.insert(
                record.seq,
                Awaiting {
                    sender: act.actor.clone(),
                    channel: channel.clone(),
                    due: Due::of(&state.clock, record.ts, ack_seconds, ack_clock),
                    ack_seconds,
                },
            );
        }
    }
    state.channel_audience(cell, channel)
}
