//! `cosign`: a witness (a party or the mediator) countersigns a relay checkpoint it received,
//! so that nobody can later show one side a rewritten or forked journal undetected.

use fusioncell_wire::act_body::CosignBody;
use fusioncell_wire::{ErrorCode, Record, Role};

use super::rules::{Context, Denied};
use crate::state::{Audience, State};

/// Parties and the mediator; a size the journal has reached, larger than the witness's last.
/// (Whether the root is the journal's root at that size is the relay's check: the state does not
/// hold the tree.)
pub(super) fn authorize(ctx: &Context<'_>, c: &CosignBody) -> Result<(), Denied> {
    ctx.require(&[Role::Party, Role::Mediator])?;
    let len = ctx.state.len();
    if c.size == 0 || c.size > len {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!(
                "no checkpoint of size {} can exist: the journal has {len} records",
                c.size
            ),
        ));
    }
    let before = ctx
        .state
        .witnessed()
        .get(&ctx.actor.id)
        .copied()
        .unwrap_or(0);
    if c.size <= before {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!("`{}` already cosigned size {before}", ctx.actor.id),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, record: &Record, c: &CosignBody) -> Audience {
    let size = state.witnessed.entry(record.act.actor.clone()).or_default();
    *size = (*size).max(c.size);
    Audience::Everyone
}

pub(super) fn describe(c: &CosignBody) -> String {
    format!("cosigned the checkpoint of size {}", c.size)
}
