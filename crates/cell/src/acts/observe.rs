//! `observe`: an evaluator's private observation about earlier records, seen by evaluators and
//! exercise control only — never by players.

use fusioncell_wire::act_body::ObserveBody;
use fusioncell_wire::{ErrorCode, Role};

use super::rules::{Context, Denied};

/// Evaluators only; every record it refers to must exist. (`None`: the body was redacted.)
pub(super) fn authorize(ctx: &Context<'_>, body: Option<&ObserveBody>) -> Result<(), Denied> {
    ctx.require(&[Role::Evaluator])?;
    if let Some(o) = body
        && let Some(bad) = o.refs.iter().find(|r| **r >= ctx.state.len())
    {
        return Err(Denied::new(
            ErrorCode::Conflict,
            format!("observation refers to record {bad}, which does not exist"),
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
    format!("observation on {}{about}: {}", refs.join(", "), o.text)
}
