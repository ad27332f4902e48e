//! The channels of a cell from `[[channel]]`: how posts flow in each ([`Policy`]), and who
//! reads and writes it, each an existing identity of a role that may.

use std::collections::{BTreeMap, BTreeSet};

use fusioncell_wire::{ChannelId, IdentityId, Role};

use crate::defaults::HOTLINE_ACK_SECONDS;
use crate::error::CellError;
use crate::field::display_text;
use crate::file::{AckClock, ChannelEntry, PolicyName};
use crate::identity::Identity;

/// One channel of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Its id.
    pub id: ChannelId,
    /// Display title (the id if the config gives none).
    pub title: String,
    /// How posts flow.
    pub policy: Policy,
    /// Identities that read and write it.
    pub members: BTreeSet<IdentityId>,
    /// Identities that only read it.
    pub readers: BTreeSet<IdentityId>,
}

/// How posts flow in a channel: the rules a post meets before its readers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// Members post freely.
    Open,
    /// A party's post waits for the mediator's release before anyone else sees it.
    Moderated,
    /// A post must be acknowledged by the other side within `ack_seconds`, or it escalates to
    /// the mediator.
    Hotline {
        /// The acknowledgement deadline, in seconds.
        ack_seconds: u32,
        /// Whether those are wall or scenario seconds.
        ack_clock: AckClock,
    },
}

impl Policy {
    /// The policy's name as in the config and the `open` record.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Open => "open",
            Policy::Moderated => "moderated",
            Policy::Hotline { .. } => "hotline",
        }
    }
}

/// Validates `[[channel]]` entries against the identities.
pub(crate) fn channels(
    entries: Vec<ChannelEntry>,
    identities: &[Identity],
    identity_index: &BTreeMap<IdentityId, usize>,
) -> Result<(Vec<Channel>, BTreeMap<ChannelId, usize>), CellError> {
    let role_of = |id: &IdentityId| {
        identity_index
            .get(id)
            .and_then(|&i| identities.get(i))
            .map(|i| i.role)
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut index = BTreeMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("channel[{i}].{name}");
        if let Some(j) = index.get(&e.id) {
            return Err(CellError::invalid(
                field("id"),
                format!("`{}` is already channel[{j}]", e.id),
            ));
        }
        let title = display_text(&field("title"), e.title, e.id.as_str())?;
        let policy = match (e.policy, e.ack_seconds, e.ack_clock) {
            (PolicyName::Hotline, Some(0), _) => {
                return Err(CellError::invalid(
                    field("ack_seconds"),
                    "must be at least 1",
                ));
            }
            (PolicyName::Hotline, ack, clock) => Policy::Hotline {
                ack_seconds: ack.unwrap_or(HOTLINE_ACK_SECONDS),
                ack_clock: clock.unwrap_or_default(),
            },
            (_, Some(_), _) => {
                return Err(CellError::invalid(
                    field("ack_seconds"),
                    "only a hotline channel has an acknowledgement deadline",
                ));
            }
            (_, _, Some(_)) => {
                return Err(CellError::invalid(
                    field("ack_clock"),
                    "only a hotline channel has an acknowledgement deadline",
                ));
            }
            (PolicyName::Open, None, None) => Policy::Open,
            (PolicyName::Moderated, None, None) => Policy::Moderated,
        };
        let mut members = BTreeSet::new();
        for (j, m) in e.members.into_iter().enumerate() {
            let f = format!("channel[{i}].members[{j}]");
            let role = role_of(&m)
                .ok_or_else(|| CellError::invalid(&f, format!("`{m}` is not an identity")))?;
            // Members read and write. Observers and evaluators write nothing, and exercise
            // control reads all and injects anywhere without being a member.
            if !matches!(role, Role::Party | Role::Mediator) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{m}` has role {role}; members must be parties or the mediator"),
                ));
            }
            if !members.insert(m.clone()) {
                return Err(CellError::invalid(&f, format!("`{m}` is listed twice")));
            }
        }
        let mut readers = BTreeSet::new();
        for (j, r) in e.readers.into_iter().enumerate() {
            let f = format!("channel[{i}].readers[{j}]");
            let role = role_of(&r)
                .ok_or_else(|| CellError::invalid(&f, format!("`{r}` is not an identity")))?;
            // The other roles read every channel already.
            if !matches!(role, Role::Observer | Role::Party) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{r}` has role {role}; readers must be observers or parties"),
                ));
            }
            if members.contains(&r) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{r}` is already a member (members read and write)"),
                ));
            }
            if !readers.insert(r.clone()) {
                return Err(CellError::invalid(&f, format!("`{r}` is listed twice")));
            }
        }
        index.insert(e.id.clone(), i);
        out.push(Channel {
            id: e.id,
            title,
            policy,
            members,
            readers,
        });
    }
    if out.is_empty() {
        return Err(CellError::invalid(
            "channel",
            "a cell needs at least one channel, or nothing can be posted",
        ));
    }
    Ok((out, index))
}
