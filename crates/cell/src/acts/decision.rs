//! `approve` and `reject`: the mediator's decision on a post held in a moderated channel. A
//! decision names the held act's digest (it cannot be moved to another act) and the epoch it was
//! made in (a decision made before a later change is stale).

use fusioncell_wire::act_body::DecisionBody;
use fusioncell_wire::{ErrorCode, Record, Role};

use super::rules::{Context, Denied};
use crate::model::Cell;
use crate::state::{Audience, State};

pub(super) fn authorize(ctx: &Context<'_>, d: &DecisionBody, reject: bool) -> Result<(), Denied> {
    ctx.require(&[Role::Mediator])?;
    let state = ctx.state;
    let held = state.held().get(&d.target).ok_or_else(|| {
        Denied::new(
            ErrorCode::Conflict,
            format!("record {} is not a post awaiting moderation", d.target),
        )
    })?;
    if held.digest != d.target_digest.0 {
        return Err(Denied::new(
            ErrorCode::TargetMismatch,
            format!("the decision names another act than record {}", d.target),
        ));
    }
    if ctx.act.channel.as_ref() != Some(&held.channel) {
        return Err(Denied::new(
            ErrorCode::TargetMismatch,
            format!("record {} is on channel `{}`", d.target, held.channel),
        ));
    }
    if d.epoch != state.epoch() {
        return Err(Denied::new(
            ErrorCode::StaleEpoch,
            format!(
                "decided in epoch {}, the cell is now in epoch {}: look again",
                d.epoch,
                state.epoch()
            ),
        ));
    }
    if reject && d.reason.as_deref().is_none_or(str::is_empty) {
        return Err(Denied::new(
            ErrorCode::Malformed,
            "a rejection needs a reason",
        ));
    }
    Ok(())
}

/// The held post is released to its channel, whose readers receive the approval.
pub(super) fn apply_approve(
    state: &mut State,
    cell: &Cell,
    record: &Record,
    d: &DecisionBody,
) -> Audience {
    if let Some(h) = state.held.remove(&d.target) {
        state.released.insert(d.target, h.channel);
    }
    state.on_channel(cell, &record.act)
}

/// The held post stays with its sender, who (with the supervisors) receives the rejection.
pub(super) fn apply_reject(state: &mut State, d: &DecisionBody) -> Audience {
    let sender = state.held.remove(&d.target).map(|h| h.actor);
    Audience::Named(sender.into_iter().collect())
}

pub(super) fn describe(d: &DecisionBody, reject: bool) -> String {
    if reject {
        format!(
            "rejected #{}: {}",
            d.target,
            d.reason.as_deref().unwrap_or("(no reason)")
        )
    } else {
        format!("approved #{} — released to the channel", d.target)
    }
}
