//! `clock`: the exercise clock (STARTEX, pause, resume, ENDEX, and the real-world halt).
//! Control starts and ends play; the mediator may also pause, resume and halt it.

use fusioncell_wire::act_body::{ClockAction, ClockBody};
use fusioncell_wire::{ErrorCode, Record, Role};

use super::rules::{Context, Denied};
use crate::state::{Audience, State};

pub(super) fn authorize(ctx: &Context<'_>, c: &ClockBody) -> Result<(), Denied> {
    let roles: &[Role] = match c.action {
        ClockAction::Pause | ClockAction::Resume | ClockAction::Halt => {
            &[Role::Control, Role::Mediator]
        }
        _ => &[Role::Control],
    };
    ctx.require(roles)?;
    ctx.state
        .clock()
        .check(c.action)
        .map_err(|reason| Denied::new(ErrorCode::Conflict, reason))
}

pub(super) fn apply(state: &mut State, record: &Record, c: &ClockBody) -> Audience {
    state.clock.apply(c.action, record.ts, c.speed);
    state.epoch += 1;
    Audience::Everyone
}

pub(super) fn describe(c: &ClockBody) -> String {
    let reason = c
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match c.action {
        ClockAction::Start => format!("STARTEX (×{}){reason}", c.speed.unwrap_or(1)),
        ClockAction::Pause => format!("play paused{reason}"),
        ClockAction::Resume => format!("play resumed{reason}"),
        ClockAction::End => format!("ENDEX{reason}"),
        ClockAction::Halt => format!("REAL-WORLD EMERGENCY — PLAY HALTED{reason}"),
    }
}
