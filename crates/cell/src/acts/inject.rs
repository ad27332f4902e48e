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

pub(super) fn describe(i: &InjectBody) -> String {
    format!("INJECT {} \"{}\": {}", i.id, i.title, i.text)
}
