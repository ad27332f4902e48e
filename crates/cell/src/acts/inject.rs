//! `inject`: exercise control delivers a scripted scenario event to a channel's readers.

use fusioncell_wire::Role;
use fusioncell_wire::act_body::InjectBody;

use super::rules::{Context, Denied};

/// Control only, to a channel of the cell. (`None`: the body was redacted.)
pub(super) fn authorize(ctx: &Context<'_>, _body: Option<&InjectBody>) -> Result<(), Denied> {
    ctx.require(&[Role::Control])?;
    ctx.channel()?;
    Ok(())
}

/// Marked as exercise traffic is ([`crate::EXERCISE_PREFIX`]): in every view, not in the body.
pub(super) fn describe(i: &InjectBody) -> String {
    format!(
        "{} INJECT {} \"{}\": {}",
        crate::EXERCISE_PREFIX,
        i.id,
        i.title,
        i.text
    )
}
