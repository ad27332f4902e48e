//! The checks a session makes on an act before it may reach the sequencer, in the order of
//! PROTOCOL.md §3.2: cell, kind, body hash, signature. They need no shared state, so they
//! run in parallel, one task per connection; only their result crosses to the sequencer.

use fusioncell_cell::Cell;
use fusioncell_keys::{SignatureValid, sha256};
use fusioncell_wire::{
    Act, Body, BodyError, ErrorCode, Record, SignatureBytes, SignedAct, canonical,
};

/// Why an act or frame was refused: the in-band error code, a reason naming the rule, and the
/// name of the security event the journal records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The error code the sender gets.
    pub code: ErrorCode,
    /// A reason naming the field or rule.
    pub reason: String,
    /// With `renumber`, `stale_seq` and `equivocation`: the actor's highest accepted sequence
    /// number, so that a client whose other session used the number can re-sign above it.
    pub last_seq: Option<u64>,
    /// Whether the refusal is journaled as a `security` record. Routine refusals that an
    /// honest client meets (another session of its identity took the sequence number, or
    /// cosigned the checkpoint first) are only answered (PROTOCOL.md §3.2).
    pub security: bool,
}

impl Rejection {
    /// The same rejection, answered but not journaled as a security event.
    pub fn routine(mut self) -> Self {
        self.security = false;
        self
    }

    /// The same rejection, naming the actor's last accepted sequence number.
    pub fn with_last_seq(mut self, last: u64) -> Self {
        self.last_seq = Some(last);
        self
    }

    /// A rejection with this code and reason.
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Rejection {
            code,
            reason: reason.into(),
            last_seq: None,
            security: true,
        }
    }
}

/// An act whose signature verified over its canonical bytes, with its body decoded for its
/// kind. Only [`verify`] makes one, so the sequencer cannot be handed an unverified act.
#[derive(Debug, Clone)]
pub struct VerifiedAct {
    act: Act,
    /// The decoded body, or why it does not parse: a body that does not fit its kind is refused
    /// (`malformed`) where PROTOCOL.md §3.2 puts it, after the sequence-number checks, so an
    /// exact retry or a replay is still recognised as such.
    body: Result<Body, BodyError>,
    sig: SignatureBytes,
    digest: [u8; 32],
    /// The session that sent it (`None` in tests): the sequencer tells a client that reuses
    /// its own numbers from two sessions of one identity that race (PROTOCOL.md §3.2).
    session: Option<u64>,
    _proof: SignatureValid,
}

impl VerifiedAct {
    /// The signed header.
    pub fn act(&self) -> &Act {
        &self.act
    }

    /// The decoded body, or why it does not decode.
    pub fn body(&self) -> Result<&Body, &BodyError> {
        self.body.as_ref()
    }

    /// The same act, as sent by session `session`.
    pub fn sent_by(mut self, session: u64) -> Self {
        self.session = Some(session);
        self
    }

    /// The session that sent it.
    pub fn session(&self) -> Option<u64> {
        self.session
    }

    /// SHA-256 of the act's canonical bytes: its identity for retries and equivocation.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The act at its place in the cell, once its body decoded.
    pub fn into_record(self, seq: u64, ts: i64) -> Result<Record, BodyError> {
        Ok(Record::new(seq, ts, self.act, self.body?, self.sig))
    }
}

/// Checks an act from a session authenticated as its actor (the caller has compared the actor
/// with the session's identity).
pub fn verify(cell: &Cell, signed: SignedAct) -> Result<VerifiedAct, Rejection> {
    let act = &signed.act;
    if act.cell != *cell.id() {
        return Err(Rejection::new(
            ErrorCode::WrongCell,
            format!("act is for cell `{}`, this is `{}`", act.cell, cell.id()),
        ));
    }
    if act.kind.is_relay_kind() {
        return Err(Rejection::new(
            ErrorCode::WrongKind,
            format!("`{}` acts are written by the relay only", act.kind.as_str()),
        ));
    }
    if sha256(signed.body.as_bytes()) != act.body_sha256.0 {
        return Err(Rejection::new(
            ErrorCode::BodyHashMismatch,
            "body_sha256 is not the SHA-256 of body",
        ));
    }
    let Some(identity) = cell.identity(&act.actor) else {
        return Err(Rejection::new(
            ErrorCode::Forbidden,
            format!("unknown actor `{}`", act.actor),
        ));
    };
    let bytes = canonical::act_bytes(act);
    let proof = identity
        .public_key
        .verify(&bytes, &signed.sig.0)
        .map_err(|_| {
            Rejection::new(
                ErrorCode::BadSignature,
                format!("signature of `{}` does not verify over the act", act.actor),
            )
        })?;
    let digest = sha256(&bytes);
    let SignedAct { act, body, sig } = signed;
    let body = Body::decode(act.kind, body);
    Ok(VerifiedAct {
        act,
        body,
        sig,
        digest,
        session: None,
        _proof: proof,
    })
}
