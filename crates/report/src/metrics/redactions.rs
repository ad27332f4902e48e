//! Redactions: what was redacted and by whom, never the text.

use fusioncell_wire::act_body::RedactBody;
use fusioncell_wire::{ActKind, IdentityId};

use crate::model::Entry;

/// A redaction: never the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Who redacted.
    pub by: IdentityId,
    /// The record redacted.
    pub target: u64,
    /// Its kind.
    pub target_kind: Option<&'static str>,
    /// Its author.
    pub target_actor: Option<IdentityId>,
    /// Why (the mediator's own words).
    pub reason: String,
}

/// Every redaction, with the kind and author of the record it removed.
pub(super) fn redactions(entries: &[Entry]) -> Vec<Redaction> {
    entries
        .iter()
        .filter(|e| e.kind == ActKind::Redact)
        .filter_map(|e| {
            let r = e.params::<RedactBody>()?;
            let target = usize::try_from(r.target).ok().and_then(|i| entries.get(i));
            Some(Redaction {
                seq: e.seq,
                ts: e.ts,
                by: e.actor.clone(),
                target: r.target,
                target_kind: target.map(Entry::kind_name),
                target_actor: target.map(|t| t.actor.clone()),
                reason: r.reason,
            })
        })
        .collect()
}
