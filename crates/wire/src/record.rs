//! A journal record: one sequenced act. The same value is a line of the journal file and the
//! payload of a delivery, so what a participant receives is exactly what the audit keeps.

use serde::{Deserialize, Serialize};

use crate::act::{Act, SignedAct};
use crate::body::{ActBody, Body, BodyError};
use crate::bytes::SignatureBytes;
use crate::canonical;

/// One sequenced act, as journaled and as delivered. Reading one (from the journal or a
/// delivery) decodes its body for its kind, so a record in hand always has typed parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRecord")]
pub struct Record {
    /// The cell-wide sequence number, from 0; also the record's leaf index in the Merkle tree.
    pub seq: u64,
    /// The relay's clock when it sequenced the act, in milliseconds since the Unix epoch.
    pub ts: i64,
    /// The signed header.
    pub act: Act,
    /// The body, or `None` once a mediator has redacted it (its hash stays in `act`).
    pub body: Option<Body>,
    /// The actor's signature over the act's canonical bytes.
    pub sig: SignatureBytes,
}

/// A record as text before its body is decoded: the shape on the wire and in the journal.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    seq: u64,
    ts: i64,
    act: Act,
    body: Option<String>,
    sig: SignatureBytes,
}

impl TryFrom<RawRecord> for Record {
    type Error = BodyError;

    fn try_from(raw: RawRecord) -> Result<Self, BodyError> {
        let body = match raw.body {
            Some(text) => Some(Body::decode(raw.act.kind, text)?),
            None => None,
        };
        Ok(Record {
            seq: raw.seq,
            ts: raw.ts,
            act: raw.act,
            body,
            sig: raw.sig,
        })
    }
}

impl Record {
    /// An act at its place in the cell.
    pub fn new(seq: u64, ts: i64, act: Act, body: Body, sig: SignatureBytes) -> Self {
        Record {
            seq,
            ts,
            act,
            body: Some(body),
            sig,
        }
    }

    /// A signed act at its place in the cell, its body decoded for its kind.
    pub fn from_signed(seq: u64, ts: i64, signed: SignedAct) -> Result<Self, BodyError> {
        let body = Body::decode(signed.act.kind, signed.body)?;
        Ok(Record::new(seq, ts, signed.act, body, signed.sig))
    }

    /// The body's exact text; `None` if redacted.
    pub fn text(&self) -> Option<&str> {
        self.body.as_ref().map(Body::text)
    }

    /// The body's parameters; `None` if redacted.
    pub fn params(&self) -> Option<&ActBody> {
        self.body.as_ref().map(Body::value)
    }

    /// The Merkle leaf bytes of this record (see [`canonical::leaf_bytes`]).
    pub fn leaf_bytes(&self) -> Vec<u8> {
        canonical::leaf_bytes(self.seq, self.ts, &self.act, &self.sig.0)
    }
}
