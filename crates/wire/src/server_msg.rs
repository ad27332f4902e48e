//! Frames the relay sends. One JSON object per WebSocket text frame, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::bytes::{Digest, Nonce, PublicKeyBytes};
use crate::checkpoint::Checkpoint;
use crate::clock::Clock;
use crate::close::ErrorCode;
use crate::ids::{CellId, ChannelId, IdentityId, Role};
use crate::record::Record;

/// A frame from the relay to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ServerMsg {
    /// First frame on every connection: sign this to log in.
    Challenge {
        /// Protocol version, [`crate::PROTOCOL`].
        protocol: String,
        /// The cell this relay serves.
        cell: CellId,
        /// Fresh 32 random bytes for this connection only.
        nonce: Nonce,
        /// The relay's Ed25519 public key (it signs checkpoints and its own records).
        relay_key: PublicKeyBytes,
    },
    /// Login accepted.
    Welcome {
        /// The identity this session acts as.
        identity: IdentityId,
        /// Its role.
        role: Role,
        /// The relay's number for this session (for logs).
        session: u64,
        /// The identity's last accepted act sequence number (0 if none): the next act must use
        /// a higher one.
        last_seq: u64,
        /// Number of records in the journal.
        size: u64,
        /// The channels this identity can see, and whether it may post to each.
        channels: Vec<ChannelAccess>,
        /// SHA-256 of the cell's directory bytes
        /// ([`canonical::directory_bytes`](crate::canonical::directory_bytes)).
        directory: Digest,
        /// Every identity of the cell and its key, so a client can verify what it receives;
        /// absent when the login's `directory` named this directory (the client has it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identities: Option<Vec<IdentityInfo>>,
    },
    /// An act was sequenced and is durable.
    Ack {
        /// The act's own (actor) sequence number.
        seq: u64,
        /// Its cell sequence number (its record's `seq`).
        cell_seq: u64,
        /// The relay's time of sequencing.
        ts: i64,
    },
    /// An act (or frame) was refused; the session stays open.
    Error {
        /// What was wrong.
        code: ErrorCode,
        /// A human-readable reason naming the field or rule.
        reason: String,
        /// The actor sequence number of the refused act, when the frame was an act.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// With `stale_seq` and `equivocation`: the actor's highest accepted sequence number
        /// (another session of the same identity may have used the refused one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seq: Option<u64>,
    },
    /// A record this identity may read.
    Deliver {
        /// The record, exactly as journaled (its body absent if redacted).
        record: Record,
        /// With an `approve`: the held post it releases, as journaled, so that readers who
        /// never saw it pending receive it now, signed by its sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        released: Option<Box<Record>>,
    },
    /// The backlog requested by `subscribe` has been sent; what follows is live.
    Live {
        /// Number of records in the journal when the subscription went live.
        size: u64,
    },
    /// A new relay-signed checkpoint.
    Checkpoint(Checkpoint),
    /// The answer to `prove`: the RFC 9162 audit path of record `seq` in the tree of `size`
    /// records, or no path when there is no such record or tree yet.
    Proof {
        /// The record.
        seq: u64,
        /// The tree size.
        size: u64,
        /// The audit path, leaf to root.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<Vec<crate::bytes::Digest>>,
    },
    /// The cell's supervision state: sent after `welcome`, on every change, and at least
    /// every 5 s.
    State {
        /// The supervision epoch a moderation decision must name.
        epoch: u64,
        /// The exercise clock.
        clock: Clock,
        /// The relay's time when it sent this, to compute scenario time from the clock.
        now: i64,
    },
    /// The scenario the relay runs (the MSEL, with controller notes, expected actions and
    /// objectives): sent after `welcome` and `state` to exercise control and evaluators only,
    /// when the relay was given one, so that their consoles need no file. Players and the
    /// mediator never receive it.
    Scenario {
        /// The scenario as `fusioncell scenario export` writes it.
        scenario: serde_json::Value,
    },
    /// Sent by a playback relay (`audit serve`) after `welcome` and `state`: this is a
    /// recording, read-only, of `records` records from relay time `first_ts` to `last_ts`.
    Recording {
        /// Records in the recording (every identity's, not only this one's).
        records: u64,
        /// Relay time of its first record.
        first_ts: i64,
        /// Relay time of its last record.
        last_ts: i64,
    },
    /// Who is online: sent after `welcome` (and `state`), and to every session whenever the
    /// set changes. The first carries `online`; later ones carry `online` too, unless the
    /// login asked for [`PresenceMode::Changes`](crate::PresenceMode::Changes): then `joined`
    /// and `left`.
    Presence {
        /// The identities with at least one logged-in session, sorted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        online: Option<Vec<IdentityId>>,
        /// Came online since the previous `presence` to this session, sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        joined: Vec<IdentityId>,
        /// Went offline since the previous `presence` to this session, sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left: Vec<IdentityId>,
    },
}

/// A channel as one identity sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelAccess {
    /// The channel.
    pub id: ChannelId,
    /// Whether the identity may post to it.
    pub write: bool,
}

/// An identity and its public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityInfo {
    /// Its id.
    pub id: IdentityId,
    /// Its role.
    pub role: Role,
    /// Its Ed25519 public key.
    pub public_key: PublicKeyBytes,
}

impl ServerMsg {
    /// Parses one frame strictly.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Serializes one frame.
    pub fn to_json(&self) -> String {
        // Cannot fail: plain structs with string keys (see ClientMsg::to_json).
        serde_json::to_string(self).unwrap_or_default()
    }
}
