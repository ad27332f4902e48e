//! `observe`: an evaluator's private observation about earlier records, seen by evaluators and
//! exercise control only — never by players.
//!
//! An observation may name the scenario objective it evaluates and rate it (HSEEP's P/S/M/U).
//! The relay holds the cell, not the scenario, so it checks what it can know: the objective id
//! has the scenario-id form and a rating comes with an objective. Whether the id is one of the
//! scenario's objectives is checked where the scenario is — the console offers only the
//! scenario's objectives, and the after-action report lists observations naming any other id
//! apart (PROTOCOL.md §4).

use fusioncell_wire::act_body::ObserveBody;
use fusioncell_wire::ids::check_scenario_id;
use fusioncell_wire::{ErrorCode, Role};

use super::rules::{Context, Denied};

/// Evaluators only; every record it refers to must exist; an objective id has the scenario-id
/// form; a rating needs an objective. (`None`: the body was redacted.)
pub(super) fn authorize(ctx: &Context<'_>, body: Option<&ObserveBody>) -> Result<(), Denied> {
    ctx.require(&[Role::Evaluator])?;
    let Some(o) = body else { return Ok(()) };
    if let Some(bad) = o.refs.iter().find(|r| **r >= ctx.state.len()) {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!("observation refers to record {bad}, which does not exist"),
        ));
    }
    if let Some(objective) = &o.objective {
        check_scenario_id(objective).map_err(|why| {
            Denied::new(ErrorCode::Malformed, format!("observation objective {why}"))
        })?;
    }
    if o.rating.is_some() && o.objective.is_none() {
        return Err(Denied::new(
            ErrorCode::Malformed,
            "observation rating needs an objective: a rating is of an objective",
        ));
    }
    Ok(())
}

pub(super) fn describe(o: &ObserveBody) -> String {
    let refs: Vec<String> = o.refs.iter().map(|r| format!("#{r}")).collect();
    let about = o
        .about
        .as_deref()
        .map(|a| format!(" (about {a})"))
        .unwrap_or_default();
    let objective = match (&o.objective, o.rating) {
        (Some(id), Some(r)) => format!(" [objective {id}: {}]", r.letter()),
        (Some(id), None) => format!(" [objective {id}]"),
        (None, _) => String::new(),
    };
    format!(
        "observation on {}{about}{objective}: {}",
        refs.join(", "),
        o.text
    )
}
