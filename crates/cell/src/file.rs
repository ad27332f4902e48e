//! The config file as written: raw serde structs, parsed strictly.
//!
//! Every struct denies unknown fields, so a misspelt key (`max_mesage_bytes`) is an error
//! rather than a silently ignored setting that leaves a limit at its default (SECURITY.md,
//! P15). Names, roles and policies are typed here, so they are checked while parsing; rules that
//! span several values (unique ids, members that exist, valid keys) are checked by
//! [`crate::model`]. A serde error carries only a byte span, so [`CellFile::parse`] maps it back
//! to a line, a column and the field path the span falls in.

use std::path::PathBuf;

use fusioncell_wire::{CellId, ChannelId, IdentityId, Role};
use serde::Deserialize;

use crate::defaults::Limits;
use crate::error::CellError;

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellFile {
    /// `[cell]`: what the cell is called.
    pub cell: CellSection,
    /// `[relay]`: where the relay listens and which files it uses.
    pub relay: RelaySection,
    /// `[limits]`: every key optional.
    #[serde(default)]
    pub limits: Limits,
    /// `[[identity]]`: who takes part. Defaults to none so that an empty cell gets the model's
    /// "needs at least one party" rather than a bare "missing field".
    #[serde(default)]
    pub identity: Vec<IdentityEntry>,
    /// `[[channel]]`: where they talk.
    #[serde(default)]
    pub channel: Vec<ChannelEntry>,
}

/// `[cell]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSection {
    /// The cell id, bound into every signature.
    pub id: CellId,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// How the browser console sends read receipts; defaults to [`ReadReceipts::Auto`].
    #[serde(default)]
    pub read_receipts: ReadReceipts,
    /// The marking line on every console page, transcript and report page; defaults to
    /// `defaults::MARKING`.
    pub marking: Option<String>,
}

/// How the browser console sends read receipts (`[cell] read_receipts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReadReceipts {
    /// The default: a record shown in the open channel of a page that is visible and focused
    /// is receipted by the console, in batches paced under the rate limit; no button.
    #[default]
    Auto,
    /// Only when the user marks a record read (a "Mark read" button on each message).
    Manual,
}

impl ReadReceipts {
    /// The name as in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadReceipts::Auto => "auto",
            ReadReceipts::Manual => "manual",
        }
    }
}

/// `[relay]`. Paths are as written, relative to the config file's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySection {
    /// Socket address to bind, parsed by the model.
    pub listen: String,
    /// URL clients dial; defaults to `wss://` + listen.
    pub public_url: Option<String>,
    /// The relay's Ed25519 public key, 64 hex characters.
    pub public_key: String,
    /// The relay's private signing key (PKCS#8 PEM).
    pub key: PathBuf,
    /// The relay's TLS certificate chain (PEM).
    pub tls_cert: PathBuf,
    /// The TLS certificate's private key (PEM).
    pub tls_key: PathBuf,
    /// The CA certificate clients trust for the relay (PEM).
    pub ca: PathBuf,
    /// The journal folder.
    pub journal: PathBuf,
    /// Exact-match browser `Origin` allow-list.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Skip fsync before acknowledging.
    #[serde(default)]
    pub dangerous_no_fsync: bool,
}

/// One `[[identity]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityEntry {
    /// Its id.
    pub id: IdentityId,
    /// Its role.
    pub role: Role,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// Its Ed25519 public key, 64 hex characters.
    pub public_key: String,
}

/// One `[[channel]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    /// Its id.
    pub id: ChannelId,
    /// Display title; defaults to the id.
    pub title: Option<String>,
    /// How posts flow.
    pub policy: PolicyName,
    /// Identities that read and write it.
    pub members: Vec<IdentityId>,
    /// Identities that only read it.
    #[serde(default)]
    pub readers: Vec<IdentityId>,
    /// Hotline only: seconds the other side has to acknowledge a post.
    pub ack_seconds: Option<u32>,
    /// Hotline only: what those seconds are ([`AckClock`]).
    pub ack_clock: Option<AckClock>,
}

/// What a hotline's acknowledgement deadline counts. Either way it counts only while play is
/// on, so nothing escalates while play is paused, halted or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AckClock {
    /// Relay seconds (the default): the people who must answer live in real time, whatever
    /// the exercise clock's speed.
    #[default]
    Wall,
    /// Scenario seconds: the deadline runs at the clock's speed, and only from STARTEX.
    Scenario,
}

impl AckClock {
    /// The name as in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            AckClock::Wall => "wall",
            AckClock::Scenario => "scenario",
        }
    }
}

/// A channel policy as written; [`crate::model::Policy`] adds its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyName {
    /// Members post freely.
    Open,
    /// A party's post waits for the mediator's release.
    Moderated,
    /// A post must be acknowledged by the other side in time, or it escalates.
    Hotline,
}

impl CellFile {
    /// Parses config text strictly. A syntax error, an unknown or missing key and a value of
    /// the wrong type or form are all a [`CellError::Parse`] at the offending position.
    pub fn parse(text: &str) -> Result<CellFile, CellError> {
        crate::toml_location::from_toml(text).map_err(|l| CellError::Parse {
            line: l.line,
            column: l.column,
            message: l.message,
        })
    }
}
