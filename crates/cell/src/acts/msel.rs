//! `msel`: exercise control skips, holds or releases an inject of the timeline. The relay does
//! not know the scenario, so it checks only who may do it and that an inject is named; what the
//! decision does to the timeline is the scheduler's business
//! (`fusioncell_scenario::Schedule::apply`), applied the same way by every reader of the journal.

use fusioncell_wire::act_body::{MselAction, MselBody};
use fusioncell_wire::{ErrorCode, Role};

use super::rules::{Context, Denied};

/// Control only, cell-wide (no channel), naming an inject.
pub(super) fn authorize(ctx: &Context<'_>, body: &MselBody) -> Result<(), Denied> {
    ctx.require(&[Role::Control])?;
    if ctx.act.channel.is_some() {
        return Err(Denied::new(
            ErrorCode::Malformed,
            "an `msel` act is cell-wide: it takes no channel",
        ));
    }
    if body.id.trim().is_empty() {
        return Err(Denied::new(
            ErrorCode::Malformed,
            "an `msel` act must name an inject (`id` is empty)",
        ));
    }
    Ok(())
}

pub(super) fn describe(m: &MselBody) -> String {
    let done = match m.action {
        MselAction::Skip => "skipped",
        MselAction::Hold => "held",
        MselAction::Release => "released",
    };
    format!("MSEL: inject {} {done}", m.id)
}
