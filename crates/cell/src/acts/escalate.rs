//! `escalate` (the relay's): a hotline post was not acknowledged within its deadline. It goes
//! to the channel's readers, the mediator among them, and ends the wait.

use fusioncell_wire::Record;
use fusioncell_wire::act_body::EscalateBody;

use crate::model::Cell;
use crate::state::{Audience, State};

pub(super) fn apply(state: &mut State, cell: &Cell, record: &Record, e: &EscalateBody) -> Audience {
    state.awaiting.remove(&e.target);
    state.on_channel(cell, &record.act)
}

pub(super) fn describe(e: &EscalateBody) -> String {
    format!(
        "#{} from {} not acknowledged within {} s: escalated to the mediator",
        e.target, e.sender, e.ack_seconds
    )
}
