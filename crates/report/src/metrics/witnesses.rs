//! Witness cosignatures: the largest checkpoint each identity cosigned.

use std::collections::BTreeMap;

use fusioncell_wire::IdentityId;
use fusioncell_wire::act_body::CosignBody;

use crate::model::Entry;

/// The largest checkpoint an identity cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Who.
    pub identity: IdentityId,
    /// The tree size cosigned.
    pub size: u64,
    /// The root cosigned, hex.
    pub root: String,
    /// The cosignature's seq.
    pub seq: u64,
}

/// Per cosigning identity (in id order), its cosignature of the largest checkpoint.
pub(super) fn witnesses(entries: &[Entry]) -> Vec<Witness> {
    let mut by_identity: BTreeMap<IdentityId, Witness> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.kind_name() == "cosign") {
        let Some(c) = e.params::<CosignBody>() else {
            continue;
        };
        let w = by_identity.entry(e.actor.clone()).or_insert(Witness {
            identity: e.actor.clone(),
            size: 0,
            root: String::new(),
            seq: e.seq,
        });
        if c.size >= w.size {
            *w = Witness {
                identity: e.actor.clone(),
                size: c.size,
                root: c.root.to_hex(),
                seq: e.seq,
            };
        }
    }
    by_identity.into_values().collect()
}
