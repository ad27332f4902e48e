//! `grant` and `revoke`: the mediator changes a channel's membership at run time. Members are
//! parties; readers are parties or observers. Records keep the audience they had when applied.
//! A grant or revoke reaches the channel's readers after the change, the identity whose access
//! changed (so that its client learns it), and the supervisors (PROTOCOL.md §3.3).

use fusioncell_wire::act_body::{Access, GrantBody};
use fusioncell_wire::{ErrorCode, IdentityId, Role};

use super::rules::{Context, Denied};
use crate::model::Cell;
use crate::state::{Audience, State};

pub(super) fn authorize(ctx: &Context<'_>, g: &GrantBody, grant: bool) -> Result<(), Denied> {
    ctx.require(&[Role::Mediator])?;
    ctx.known_identity(&g.identity)?;
    ctx.same_channel(Some(&g.channel))?;
    let role = ctx.cell.identity(&g.identity).map(|i| i.role);
    let fits = match g.access {
        Access::Member => role == Some(Role::Party),
        Access::Reader => matches!(role, Some(Role::Party | Role::Observer)),
    };
    if !fits && grant {
        return Err(Denied::new(
            ErrorCode::Forbidden,
            format!(
                "`{}` cannot be made a {} (members are parties; readers are parties or observers)",
                g.identity,
                access_name(g.access)
            ),
        ));
    }
    Ok(())
}

pub(super) fn apply(state: &mut State, cell: &Cell, g: &GrantBody, grant: bool) -> Audience {
    let key = (g.channel.clone(), g.identity.clone());
    if grant {
        state.revoked.remove(&key);
        state.granted.insert(key, g.access);
    } else {
        state.granted.remove(&key);
        state.revoked.insert(key);
    }
    state.readers.clear();
    state.epoch += 1;
    let mut named: Vec<IdentityId> = match state.channel_audience(cell, g.channel.clone()) {
        Audience::Channel { readers, .. } => readers.to_vec(),
        _ => Vec::new(),
    };
    if !named.contains(&g.identity) {
        named.push(g.identity.clone());
    }
    Audience::Named(named)
}

pub(super) fn describe(g: &GrantBody, grant: bool) -> String {
    if grant {
        format!(
            "granted {} {} access to #{}",
            g.identity,
            access_name(g.access),
            g.channel
        )
    } else {
        format!("revoked {}'s access to #{}", g.identity, g.channel)
    }
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Member => "member",
        Access::Reader => "reader",
    }
}
