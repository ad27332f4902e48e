//! `ack`: the other party on a hotline channel acknowledges a post before its deadline.

use fusioncell_wire::act_body::AckBody;
use fusioncell_wire::{ErrorCode, Record, Role};

use super::rules::{Context, Denied};
use crate::model::Cell;
use crate::policy::writes;
use crate::state::{Audience, State};

/// Only for a hotline post awaiting acknowledgement, on its channel, by a party member of that
/// channel other than its sender.
pub(super) fn authorize(ctx: &Context<'_>, a: &AckBody) -> Result<(), Denied> {
    let awaiting = ctx.state.awaiting().get(&a.target).ok_or_else(|| {
        Denied::new(
            ErrorCode::Conflict,
            format!(
                "record {} is not a hotline message awaiting acknowledgement",
                a.target
            ),
        )
    })?;
    if ctx.act.channel.as_ref() != Some(&awaiting.channel) {
        return Err(Denied::new(
            ErrorCode::Forbidden,
            format!("record {} is on channel `{}`", a.target, awaiting.channel),
        ));
    }
    let actor = ctx.actor;
    if actor.id == awaiting.sender {
        return Err(Denied::new(
            ErrorCode::OwnPost,
            format!(
                "`{}` cannot acknowledge its own hotline message: the other side does",
                actor.id
            ),
        ));
    }
    let member = ctx
        .cell
        .channel(&awaiting.channel)
        .is_some_and(|c| writes(ctx.state, actor, c));
    if actor.role != Role::Party || !member {
        return Err(Denied::new(
            ErrorCode::Forbidden,
            format!(
                "only the other party on `{}` acknowledges `{}`'s hotline message",
                awaiting.channel, awaiting.sender
            ),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, cell: &Cell, record: &Record, a: &AckBody) -> Audience {
    state.awaiting.remove(&a.target);
    state.on_channel(cell, &record.act)
}

pub(super) fn describe(a: &AckBody) -> String {
    format!("acknowledged #{}", a.target)
}
