//! Bodies of the records the relay itself writes (actor [`IdentityId::RELAY`]). They are JSON
//! text, signed through their hash like every body, and parsed strictly.

use serde::{Deserialize, Serialize};

use crate::bytes::{Digest, PublicKeyBytes};
use crate::ids::{CellId, ChannelId, IdentityId, Role};

/// Body of record 0, the `open` record: everything needed to verify the journal offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// The cell.
    pub cell: CellId,
    /// SHA-256 of the cell config file the relay started with.
    pub config_sha256: Digest,
    /// The relay's public key: it signs checkpoints and its own records.
    pub relay_key: PublicKeyBytes,
    /// Every identity, its role and key.
    pub identities: Vec<OpenIdentity>,
    /// Every channel and who may use it.
    pub channels: Vec<OpenChannel>,
}

/// An identity as recorded in the `open` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIdentity {
    /// Its id.
    pub id: IdentityId,
    /// Its role.
    pub role: Role,
    /// Its Ed25519 public key.
    pub public_key: PublicKeyBytes,
}

/// A channel as recorded in the `open` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenChannel {
    /// Its id.
    pub id: ChannelId,
    /// Its policy name (`open`, `moderated`, `hotline`).
    pub policy: String,
    /// Identities that read and write it (besides the roles that read everything).
    pub members: Vec<IdentityId>,
    /// Identities that only read it.
    pub readers: Vec<IdentityId>,
}

/// Body of a `security` record: a refused login or act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityBody {
    /// What happened, e.g. `bad_login`, `login_timeout`, `bad_signature`, `forbidden`,
    /// `stale_seq`, `equivocation`, `wrong_actor`, `clock_skew`, `rate_limited`.
    pub event: String,
    /// The identity involved, when known (claimed or authenticated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The peer's socket address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// The act's own sequence number, when an act was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_seq: Option<u64>,
    /// Details, naming the rule or field.
    pub reason: String,
}

/// Body of a `recovered` record: what the relay found and did when it restarted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveredBody {
    /// Records found intact.
    pub records: u64,
    /// Bytes of a torn final line that were cut off (0 if none).
    pub truncated_bytes: u64,
    /// SHA-256 of the cell config file the relay restarted with.
    pub config_sha256: Digest,
}
