//! [`View`]: who this client is in the cell, and what that means for a record — whether a
//! post is held for the mediator, whether it is a hotline post to acknowledge.

use std::collections::HashMap;

use fusioncell_cell::{AckClock, Cell, Policy};
use fusioncell_wire::act_body::{Access, GrantBody};
use fusioncell_wire::{ActKind, ChannelId, IdentityId, Record, Role};

use crate::Welcome;

/// The viewer, the cell's roles, and the viewer's channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The identity this client logged in as.
    pub me: IdentityId,
    /// Its role.
    pub role: Role,
    /// Every identity and its role, in the cell's order.
    pub roles: Vec<(IdentityId, Role)>,
    /// Channel policies, when the cell config is at hand (the relay does not send them).
    pub policies: Option<HashMap<ChannelId, Policy>>,
    /// The viewer's channels, and whether it may post to each.
    pub channels: Vec<(ChannelId, bool)>,
}

impl View {
    /// The view the relay's welcome gives, with the policies of `cell` when known.
    pub fn new(welcome: &Welcome, cell: Option<&Cell>) -> View {
        View {
            me: welcome.identity.clone(),
            role: welcome.role,
            roles: welcome
                .identities
                .iter()
                .map(|i| (i.id.clone(), i.role))
                .collect(),
            policies: cell.map(|c| {
                c.channels()
                    .iter()
                    .map(|ch| (ch.id.clone(), ch.policy))
                    .collect()
            }),
            channels: welcome
                .channels
                .iter()
                .map(|c| (c.id.clone(), c.write))
                .collect(),
        }
    }

    /// A channel's policy, if the cell config is known.
    pub fn policy(&self, channel: &ChannelId) -> Option<Policy> {
        self.policies.as_ref()?.get(channel).copied()
    }

    /// Whether the viewer may post to `channel`.
    pub fn writes(&self, channel: &ChannelId) -> bool {
        self.channels.iter().any(|(c, w)| c == channel && *w)
    }

    /// Whether the viewer may post anywhere.
    pub fn can_post(&self) -> bool {
        self.channels.iter().any(|(_, w)| *w)
    }

    /// Whether `id` is a party (only parties' posts are held or need acknowledging).
    pub fn is_party(&self, id: &IdentityId) -> bool {
        self.roles.iter().any(|(i, r)| i == id && *r == Role::Party)
    }

    /// A party's post to a moderated channel, which only its sender and the mediator see
    /// until the mediator decides.
    pub fn is_held(&self, r: &Record, released_by: Option<u64>) -> bool {
        released_by.is_none()
            && matches!(r.act.kind, ActKind::Post | ActKind::Reply)
            && self.is_party(&r.act.actor)
            && r.act.channel.as_ref().and_then(|c| self.policy(c)) == Some(Policy::Moderated)
    }

    /// A party's post to a hotline channel: its acknowledgement deadline in seconds, and
    /// what those seconds count.
    pub fn hotline(&self, r: &Record) -> Option<(u32, AckClock)> {
        if !matches!(r.act.kind, ActKind::Post | ActKind::Reply) || !self.is_party(&r.act.actor) {
            return None;
        }
        match self.policy(r.act.channel.as_ref()?)? {
            Policy::Hotline {
                ack_seconds,
                ack_clock,
            } => Some((ack_seconds, ack_clock)),
            _ => None,
        }
    }

    /// Applies a `grant` (`give`) or `revoke` of the viewer's own access.
    pub(crate) fn access_changed(&mut self, g: &GrantBody, give: bool) {
        let channels = &mut self.channels;
        let at = channels.iter().position(|(c, _)| *c == g.channel);
        match (give, at) {
            (true, Some(i)) => channels[i].1 |= g.access == Access::Member,
            (true, None) => channels.push((g.channel.clone(), g.access == Access::Member)),
            (false, Some(i)) => {
                channels.remove(i);
            }
            (false, None) => {}
        }
    }
}
