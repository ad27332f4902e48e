//! `receipt`: signed proof that records were delivered to, or read by, their receiver. One
//! receipt may cover a batch (`target` and `also`), so that a console receipting a busy
//! channel signs one act per batch and stays within its rate limit. Only the receipt's maker,
//! the senders of the records it covers and the supervisors receive it.

use std::collections::BTreeSet;

use fusioncell_wire::act_body::{MAX_RECEIPT_ALSO, ReceiptBody, ReceiptKind};
use fusioncell_wire::{ErrorCode, Record};

use super::rules::{Context, Denied};
use crate::policy::{can_read, can_see};
use crate::state::{Audience, State};

/// Only for records the actor received: each in its audience, or released to a channel it
/// reads. A batch is bounded and names each record once.
pub(super) fn authorize(ctx: &Context<'_>, r: &ReceiptBody) -> Result<(), Denied> {
    let (cell, state, who) = (ctx.cell, ctx.state, &ctx.actor.id);
    if r.also.len() > MAX_RECEIPT_ALSO {
        return Err(Denied::new(
            ErrorCode::Malformed,
            format!(
                "receipt covers {} more records; at most {MAX_RECEIPT_ALSO}",
                r.also.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for target in r.targets() {
        if !seen.insert(target) {
            return Err(Denied::new(
                ErrorCode::Malformed,
                format!("receipt names record {target} twice"),
            ));
        }
        let released = state
            .released_to(target)
            .is_some_and(|c| can_read(cell, state, who, c));
        if !can_see(cell, state, who, target) && !released {
            return Err(Denied::new(
                ErrorCode::Forbidden,
                format!("`{who}` did not receive record {target}"),
            ));
        }
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, record: &Record, r: &ReceiptBody) -> Audience {
    let mut audience = vec![record.act.actor.clone()];
    for target in r.targets() {
        if let Some(sender) = state.actor(target)
            && !audience.contains(sender)
        {
            audience.push(sender.clone());
        }
    }
    Audience::Named(audience)
}

pub(super) fn describe(r: &ReceiptBody) -> String {
    let what = match r.kind {
        ReceiptKind::Delivered => "received",
        ReceiptKind::Read => "read",
    };
    let targets: Vec<String> = r.targets().map(|t| format!("#{t}")).collect();
    format!("{what} {}", targets.join(", "))
}
