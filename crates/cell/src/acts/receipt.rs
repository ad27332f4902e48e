//! `receipt`: signed proof that a record was delivered to, or read by, its receiver. Only the
//! receipt's maker, the target's sender and the supervisors receive it.

use fusioncell_wire::act_body::{ReceiptBody, ReceiptKind};
use fusioncell_wire::{ErrorCode, Record};

use super::rules::{Context, Denied};
use crate::policy::{can_read, can_see};
use crate::state::{Audience, State};

/// Only for a record the actor received: in its audience, or released to a channel it reads.
pub(super) fn authorize(ctx: &Context<'_>, r: &ReceiptBody) -> Result<(), Denied> {
    let (cell, state, who) = (ctx.cell, ctx.state, &ctx.actor.id);
    let released = state
        .released_to(r.target)
        .is_some_and(|c| can_read(cell, state, who, c));
    if !can_see(cell, state, who, r.target) && !released {
        return Err(Denied::new(
            ErrorCode::Forbidden,
            format!("`{who}` did not receive record {}", r.target),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, record: &Record, r: &ReceiptBody) -> Audience {
    let target_actor = state.actor(r.target).cloned();
    Audience::Named(
        std::iter::once(record.act.actor.clone())
            .chain(target_actor)
            .collect(),
    )
}

pub(super) fn describe(r: &ReceiptBody) -> String {
    let what = match r.kind {
        ReceiptKind::Delivered => "received",
        ReceiptKind::Read => "read",
    };
    format!("{what} #{}", r.target)
}
