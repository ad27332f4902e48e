//! Acts per identity, by category.

use fusioncell_wire::{ActKind, IdentityId, Role};

use crate::model::{Entry, Participant};

/// The participation categories, in chart order.
pub const CATEGORIES: [&str; 7] = [
    "posts",
    "acks",
    "receipts",
    "decisions",
    "injects",
    "observations",
    "other",
];

/// Acts of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    /// Who.
    pub id: IdentityId,
    /// Role.
    pub role: Option<Role>,
    /// Posts.
    pub posts: u64,
    /// Hotline acknowledgements.
    pub acks: u64,
    /// Delivery and read receipts.
    pub receipts: u64,
    /// Moderation decisions (approve, reject).
    pub decisions: u64,
    /// Injects.
    pub injects: u64,
    /// Observations.
    pub observations: u64,
    /// Everything else (clock, mutes, grants, redactions, cosignatures).
    pub other: u64,
}

impl Participation {
    fn new(id: IdentityId, role: Option<Role>) -> Participation {
        Participation {
            id,
            role,
            posts: 0,
            acks: 0,
            receipts: 0,
            decisions: 0,
            injects: 0,
            observations: 0,
            other: 0,
        }
    }

    /// The counts by category, in [`CATEGORIES`] order.
    pub fn parts(&self) -> [(&'static str, u64); 7] {
        let n = [
            self.posts,
            self.acks,
            self.receipts,
            self.decisions,
            self.injects,
            self.observations,
            self.other,
        ];
        std::array::from_fn(|i| (CATEGORIES[i], n[i]))
    }

    /// All acts.
    pub fn total(&self) -> u64 {
        self.parts().iter().map(|(_, n)| n).sum()
    }
}

/// Acts per identity: the cell's identities in config order, then any other actor (the relay
/// excluded) in order of first act.
pub(super) fn participation(entries: &[Entry], identities: &[Participant]) -> Vec<Participation> {
    let mut out: Vec<Participation> = identities
        .iter()
        .map(|p| Participation::new(p.id.clone(), Some(p.role)))
        .collect();
    for e in entries.iter().filter(|e| !e.actor.is_relay()) {
        let i = match out.iter().position(|p| p.id == e.actor) {
            Some(i) => i,
            None => {
                out.push(Participation::new(e.actor.clone(), e.role));
                out.len() - 1
            }
        };
        let p = &mut out[i];
        match e.kind {
            ActKind::Post => p.posts += 1,
            ActKind::Ack => p.acks += 1,
            ActKind::Receipt => p.receipts += 1,
            ActKind::Approve | ActKind::Reject => p.decisions += 1,
            ActKind::Inject => p.injects += 1,
            ActKind::Observe => p.observations += 1,
            _ => p.other += 1,
        }
    }
    out
}
