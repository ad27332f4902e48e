//! A journal record: one sequenced act. The same value is a line of the journal file and the
//! payload of a delivery, so what a participant receives is exactly what the audit keeps.

use serde::{Deserialize, Serialize};

use crate::act::{Act, SignedAct};
use crate::bytes::SignatureBytes;
use crate::canonical;

/// One sequenced act, as journaled and as delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The cell-wide sequence number, from 0; also the record's leaf index in the Merkle tree.
    pub seq: u64,
    /// The relay's clock when it sequenced the act, in milliseconds since the Unix epoch.
    pub ts: i64,
    /// The signed header.
    pub act: Act,
    /// The body, or `None` once a mediator has redacted it (its hash stays in `act`).
    pub body: Option<String>,
    /// The actor's signature over the act's canonical bytes.
    pub sig: SignatureBytes,
}

impl Record {
    /// Wraps a signed act at its place in the cell.
    pub fn new(seq: u64, ts: i64, signed: SignedAct) -> Self {
        Record {
            seq,
            ts,
            act: signed.act,
            body: Some(signed.body),
            sig: signed.sig,
        }
    }

    /// The Merkle leaf bytes of this record (see [`canonical::leaf_bytes`]).
    pub fn leaf_bytes(&self) -> Vec<u8> {
        canonical::leaf_bytes(self.seq, self.ts, &self.act, &self.sig.0)
    }
}
