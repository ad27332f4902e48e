//! `reply`: a message that answers an earlier record of the same channel. It follows the rules
//! of a post (membership, mutes, the clock, moderation, hotline deadlines); its target must be a
//! post, reply or inject of that channel that the replier received. Clients show it threaded
//! under its target.

use fusioncell_wire::act_body::ReplyBody;
use fusioncell_wire::{ActKind, ErrorCode};

use super::post;
use super::rules::{Context, Denied};
use crate::policy::can_see;

/// A post's rules, plus a target the replier received on the same channel.
pub(super) fn authorize(ctx: &Context<'_>, body: &ReplyBody) -> Result<(), Denied> {
    post::authorize(ctx)?;
    let state = ctx.state;
    match state.kind(body.target) {
        Some(ActKind::Post | ActKind::Reply | ActKind::Inject) => {}
        Some(other) => {
            return Err(Denied::new(
                ErrorCode::Conflict,
                format!(
                    "record {} is a `{}`: only posts, replies and injects can be answered",
                    body.target,
                    other.as_str()
                ),
            ));
        }
        None => {
            return Err(Denied::new(
                ErrorCode::Conflict,
                format!("no record {}", body.target),
            ));
        }
    }
    let released = state.released_to(body.target);
    let channel = state.channel_of(body.target).or(released);
    if channel != ctx.act.channel.as_ref() {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!("record {} is not on this channel", body.target),
        ));
    }
    if !can_see(ctx.cell, state, &ctx.actor.id, body.target) && released.is_none() {
        return Err(Denied::new(
            ErrorCode::Forbidden,
            format!("`{}` did not receive record {}", ctx.actor.id, body.target),
        ));
    }
    Ok(())
}

/// A redacted reply is re-decided (by `audit verify`) on the rules of a post alone.
pub(super) fn authorize_redacted(ctx: &Context<'_>) -> Result<(), Denied> {
    post::authorize(ctx)
}

pub(super) fn describe(body: &ReplyBody) -> String {
    format!("re #{}: {}", body.target, body.text)
}
