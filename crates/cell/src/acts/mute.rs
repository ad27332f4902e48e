//! `mute` and `unmute`: the mediator silences an identity on one channel or everywhere, and
//! lifts it. A mute on one channel reaches that channel's readers (and the supervisors); a mute
//! everywhere names no channel and reaches every identity (PROTOCOL.md §3.3).

use fusioncell_wire::act_body::MuteBody;
use fusioncell_wire::{ErrorCode, Role};

use super::rules::{Context, Denied};
use crate::model::Cell;
use crate::state::{Audience, State};

pub(super) fn authorize(ctx: &Context<'_>, m: &MuteBody, mute: bool) -> Result<(), Denied> {
    ctx.require(&[Role::Mediator])?;
    ctx.known_identity(&m.identity)?;
    ctx.same_channel(m.channel.as_ref())?;
    let muted = ctx.state.has_mute(&m.identity, m.channel.as_ref());
    if muted == mute {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!(
                "`{}` is {} muted there",
                m.identity,
                if muted { "already" } else { "not" }
            ),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, cell: &Cell, m: &MuteBody, mute: bool) -> Audience {
    let key = (m.identity.clone(), m.channel.clone());
    if mute {
        state.muted.insert(key);
    } else {
        state.muted.remove(&key);
    }
    state.epoch += 1;
    match &m.channel {
        Some(channel) => state.channel_audience(cell, channel.clone()),
        None => Audience::Everyone,
    }
}

pub(super) fn describe(m: &MuteBody, mute: bool) -> String {
    let verb = if mute { "muted" } else { "unmuted" };
    match &m.channel {
        Some(c) => format!("{verb} {} on #{c}", m.identity),
        None => format!("{verb} {} on every channel", m.identity),
    }
}
