//! `redact`: the mediator removes the text of a post, reply, inject or observation from every
//! delivery, resume and export. Its hash stays, so the journal still verifies. The redaction
//! reaches those who received its target, and the supervisors (PROTOCOL.md §3.3).

use fusioncell_wire::act_body::RedactBody;
use fusioncell_wire::{ActKind, ErrorCode, Role};

use super::rules::{Context, Denied};
use crate::model::Cell;
use crate::state::{Audience, State};

pub(super) fn authorize(ctx: &Context<'_>, r: &RedactBody) -> Result<(), Denied> {
    ctx.require(&[Role::Mediator])?;
    match ctx.state.kind(r.target) {
        Some(ActKind::Post | ActKind::Reply | ActKind::Inject | ActKind::Observe) => {}
        Some(k) => {
            return Err(Denied::new(
                ErrorCode::Conflict,
                format!(
                    "record {} is a `{}`: only text can be redacted",
                    r.target,
                    k.as_str()
                ),
            ));
        }
        None => {
            return Err(Denied::new(
                ErrorCode::Conflict,
                format!("no record {}", r.target),
            ));
        }
    }
    if ctx.state.is_redacted(r.target) {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!("record {} is already redacted", r.target),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, cell: &Cell, r: &RedactBody) -> Audience {
    state.redacted.insert(r.target);
    state.epoch += 1;
    if let Some(channel) = state.released_to(r.target).cloned() {
        // A held post that an approval released: its channel's readers received it.
        return state.channel_audience(cell, channel);
    }
    match state.audience(r.target) {
        // A held post: its sender and the mediator (who redacts).
        Some(a @ (Audience::Channel { .. } | Audience::Held { .. } | Audience::Named(_))) => {
            a.clone()
        }
        // An observation (evaluators and control) or a record without a channel: the
        // supervisors, the mediator who redacts among them.
        _ => Audience::Supervisors,
    }
}

pub(super) fn describe(r: &RedactBody) -> String {
    format!("redacted the body of #{}: {}", r.target, r.reason)
}
