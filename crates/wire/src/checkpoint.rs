//! Checkpoints: the relay's signature over the Merkle tree head. Whoever holds one can later
//! prove that the journal they are shown extends what they saw (no rewrite, no truncation).

use serde::{Deserialize, Serialize};

use crate::bytes::{Digest, SignatureBytes};
use crate::canonical;
use crate::ids::CellId;

/// A relay-signed tree head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The cell whose journal this covers.
    pub cell: CellId,
    /// Number of records covered (records `0..size`).
    pub size: u64,
    /// RFC 9162 Merkle tree hash of those records' leaves.
    pub root: Digest,
    /// The relay's clock when it signed, in milliseconds since the Unix epoch.
    pub ts: i64,
    /// The relay's signature over [`canonical::checkpoint_bytes`].
    pub sig: SignatureBytes,
}

impl Checkpoint {
    /// The bytes the relay signed.
    pub fn signed_bytes(&self) -> Vec<u8> {
        canonical::checkpoint_bytes(&self.cell, self.size, &self.root, self.ts)
    }
}
