//! The checks that several act kinds share: the act's channel, the actor's role, the identity
//! or channel a body names.

use fusioncell_wire::{Act, ChannelId, ErrorCode, IdentityId, Role};

use crate::model::{Cell, Channel, Identity};
use crate::state::State;

/// Why an act is refused: the error code the actor gets and a reason naming the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Denied {
    /// The in-band error code.
    pub code: ErrorCode,
    /// Which rule refused it, naming the role, channel or target.
    pub reason: String,
}

impl Denied {
    pub(crate) fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Denied {
            code,
            reason: reason.into(),
        }
    }
}

/// What every rule may look at: the cell, the state before the act, the act and its actor.
pub(super) struct Context<'a> {
    pub(super) cell: &'a Cell,
    pub(super) state: &'a State,
    pub(super) act: &'a Act,
    pub(super) actor: &'a Identity,
}

impl Context<'_> {
    /// The channel the act is addressed to, which must exist.
    pub(super) fn channel(&self) -> Result<&Channel, Denied> {
        let id = self.act.channel.as_ref().ok_or_else(|| {
            Denied::new(
                ErrorCode::UnknownChannel,
                format!("{} needs a channel", self.act.kind.as_str()),
            )
        })?;
        self.cell.channel(id).ok_or_else(|| {
            Denied::new(
                ErrorCode::UnknownChannel,
                format!("no channel `{id}` in this cell"),
            )
        })
    }

    /// The actor must have one of `roles`.
    pub(super) fn require(&self, roles: &[Role]) -> Result<(), Denied> {
        if roles.contains(&self.actor.role) {
            return Ok(());
        }
        Err(Denied::new(
            ErrorCode::Forbidden,
            format!(
                "`{}` has role {}; only {} may {}",
                self.actor.id,
                self.actor.role,
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                self.act.kind.as_str()
            ),
        ))
    }

    /// `who` must be an identity of the cell.
    pub(super) fn known_identity(&self, who: &IdentityId) -> Result<(), Denied> {
        match self.cell.identity(who) {
            Some(_) => Ok(()),
            None => Err(Denied::new(
                ErrorCode::Forbidden,
                format!("`{who}` is not an identity of this cell"),
            )),
        }
    }

    /// The act's channel must be the one its body names (so the channel in the signed header
    /// is the one acted on), and must exist.
    pub(super) fn same_channel(&self, named: Option<&ChannelId>) -> Result<(), Denied> {
        if self.act.channel.as_ref() != named {
            return Err(Denied::new(
                ErrorCode::Malformed,
                "the act's channel must be the channel its body names",
            ));
        }
        if let Some(c) = named
            && self.cell.channel(c).is_none()
        {
            return Err(Denied::new(
                ErrorCode::UnknownChannel,
                format!("no channel `{c}` in this cell"),
            ));
        }
        Ok(())
    }
}
