//! Acts: everything an identity (or the relay itself) does in a cell.
//!
//! An [`Act`] is the signed header; its body travels beside it and is bound by its SHA-256, so
//! that a body can later be redacted while the signature (and every Merkle proof) still verifies.
//! Parameters of supervisory acts live in the body, as JSON, and so are signed too.

use serde::{Deserialize, Serialize};

use crate::bytes::{Digest, SignatureBytes};
use crate::ids::{CellId, ChannelId, IdentityId};

/// The kind of an act. Its name is part of the domain tag of the signed bytes
/// (`fusioncell/v1/<kind>`), so a signature for one kind can never pass as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActKind {
    /// A message to a channel (client act; body is free text).
    Post,
    /// A message answering an earlier record of the same channel (body: `ReplyBody`).
    Reply,
    /// The mediator releases a held post of a moderated channel (body: `DecisionBody`).
    Approve,
    /// The mediator refuses a held post, with a reason (body: `DecisionBody`).
    Reject,
    /// The mediator silences an identity, on a channel or everywhere (body: `MuteBody`).
    Mute,
    /// The mediator lifts a mute (body: `MuteBody`).
    Unmute,
    /// The mediator adds a member or reader to a channel (body: `GrantBody`).
    Grant,
    /// The mediator removes one (body: `GrantBody`).
    Revoke,
    /// The mediator removes a record's body from every delivery (body: `RedactBody`).
    Redact,
    /// Exercise control (or the mediator) changes the exercise clock (body: `ClockBody`).
    Clock,
    /// Exercise control delivers a scenario inject to a channel (body: `InjectBody`).
    Inject,
    /// Exercise control skips, holds or releases an inject of the timeline, seen by the white
    /// cell only, so that every controller's page derives the same MSEL (body: `MselBody`).
    Msel,
    /// An evaluator's private observation (body: `ObserveBody`).
    Observe,
    /// A signed delivery or read receipt (body: `ReceiptBody`).
    Receipt,
    /// The other party acknowledges a hotline post (body: `AckBody`).
    Ack,
    /// A witness (party or mediator) countersigns a relay checkpoint it received
    /// (body: `CosignBody`).
    Cosign,
    /// The first record of a journal: the cell's identities, channels and keys (relay act).
    Open,
    /// A refused login or act, journaled for the audit (relay act).
    Security,
    /// What the relay did on restart: recovered a torn tail, resumed (relay act).
    Recovered,
    /// A hotline post went unacknowledged past its deadline (relay act; body: `EscalateBody`).
    Escalate,
}

impl ActKind {
    /// Every kind, for documentation and tests.
    pub const ALL: [ActKind; 20] = [
        ActKind::Post,
        ActKind::Reply,
        ActKind::Approve,
        ActKind::Reject,
        ActKind::Mute,
        ActKind::Unmute,
        ActKind::Grant,
        ActKind::Revoke,
        ActKind::Redact,
        ActKind::Clock,
        ActKind::Inject,
        ActKind::Msel,
        ActKind::Observe,
        ActKind::Receipt,
        ActKind::Ack,
        ActKind::Cosign,
        ActKind::Open,
        ActKind::Security,
        ActKind::Recovered,
        ActKind::Escalate,
    ];

    /// The kind's name, as in JSON and in the domain tag.
    pub fn as_str(self) -> &'static str {
        match self {
            ActKind::Post => "post",
            ActKind::Reply => "reply",
            ActKind::Approve => "approve",
            ActKind::Reject => "reject",
            ActKind::Mute => "mute",
            ActKind::Unmute => "unmute",
            ActKind::Grant => "grant",
            ActKind::Revoke => "revoke",
            ActKind::Redact => "redact",
            ActKind::Clock => "clock",
            ActKind::Inject => "inject",
            ActKind::Msel => "msel",
            ActKind::Observe => "observe",
            ActKind::Receipt => "receipt",
            ActKind::Ack => "ack",
            ActKind::Cosign => "cosign",
            ActKind::Open => "open",
            ActKind::Security => "security",
            ActKind::Recovered => "recovered",
            ActKind::Escalate => "escalate",
        }
    }

    /// Whether only the relay may make acts of this kind.
    pub fn is_relay_kind(self) -> bool {
        matches!(
            self,
            ActKind::Open | ActKind::Security | ActKind::Recovered | ActKind::Escalate
        )
    }
}

/// The signed header of an act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Act {
    /// What kind of act this is.
    pub kind: ActKind,
    /// The cell it belongs to; binds the act to one cell.
    pub cell: CellId,
    /// The channel it is addressed to; `None` for cell-wide acts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    /// Who made (and signed) it.
    pub actor: IdentityId,
    /// The actor's own sequence number: strictly increasing per actor, which defeats replay.
    pub seq: u64,
    /// The actor's clock when it signed, in milliseconds since the Unix epoch; must be within
    /// the relay's skew window.
    pub ts: i64,
    /// SHA-256 of the body's UTF-8 bytes.
    pub body_sha256: Digest,
}

/// An act with its body and the actor's Ed25519 signature over
/// [`canonical::act_bytes`](crate::canonical::act_bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAct {
    /// The signed header.
    pub act: Act,
    /// The body; its hash must equal `act.body_sha256`.
    pub body: String,
    /// The actor's signature.
    pub sig: SignatureBytes,
}
