//! What one identity received, derived from the journal alone: each record it could see when
//! the record was sequenced, in order, with an approval bringing the held post it releases —
//! exactly what the relay delivered to it live and on resume. `audit replay --as` and the
//! after-action report use it.

use fusioncell_wire::{ActBody, IdentityId, Record};

use crate::model::Cell;
use crate::policy::can_see;
use crate::state::State;

/// One record as an identity received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The record (its body absent if it was redacted).
    pub record: Record,
    /// For a held post reaching this identity with its approval: the approval's record.
    pub released_by: Option<u64>,
}

/// Every record of `records` (a whole journal, in order from record 0) that `who` received.
pub fn seen_by(cell: &Cell, records: &[Record], who: &IdentityId) -> Vec<Seen> {
    let mut state = State::new();
    let mut seen = Vec::new();
    for record in records {
        state.apply(cell, record);
        if !can_see(cell, &state, who, record.seq) {
            continue;
        }
        if let Some(ActBody::Approve(d)) = record.params()
            && let Some(post) = usize::try_from(d.target).ok().and_then(|i| records.get(i))
        {
            seen.push(Seen {
                record: post.clone(),
                released_by: Some(record.seq),
            });
        }
        seen.push(Seen {
            record: record.clone(),
            released_by: None,
        });
    }
    for s in &mut seen {
        if state.is_redacted(s.record.seq) {
            s.record.body = None;
        }
    }
    seen
}
