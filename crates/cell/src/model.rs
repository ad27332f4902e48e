//! The validated cell: what the relay serves and what every authorization decision reads.
//!
//! [`Cell::from_toml`] is the only way to build one, so holding a `Cell` means every rule of
//! its parts held: ids unique and not the reserved `relay`; every member and reader an
//! existing identity of a role that may be one; every public key a canonical point of large
//! order (a small-order key lets anyone forge that identity's signatures) and used once;
//! limits consistent; addresses and paths well formed. Each part is checked in its own file:
//! `relay_settings`, `identity`, `channel`.

use std::collections::BTreeMap;
use std::path::Path;

use fusioncell_wire::{
    CellId, ChannelId, Digest, IdentityId, IdentityInfo, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, canonical,
};

use crate::channel::channels;
pub use crate::channel::{Channel, Policy};
use crate::defaults::Limits;
use crate::error::CellError;
use crate::field::display_text;
use crate::file::{
    CellFile, CellSection, ChannelEntry, IdentityEntry, PolicyName, ReadReceipts, RelaySection,
};
pub use crate::identity::Identity;
use crate::identity::identities;
pub use crate::relay_settings::RelaySettings;
use crate::relay_settings::relay_settings;

/// A validated cell.
#[derive(Debug, Clone)]
pub struct Cell {
    id: CellId,
    name: String,
    read_receipts: ReadReceipts,
    marking: String,
    relay: RelaySettings,
    limits: Limits,
    /// In config order, which is also the order of the `open` record.
    identities: Vec<Identity>,
    channels: Vec<Channel>,
    identity_index: BTreeMap<IdentityId, usize>,
    channel_index: BTreeMap<ChannelId, usize>,
}

impl Cell {
    /// Parses and validates config text. `base_dir` is the folder of the config file: relative
    /// paths in `[relay]` are resolved against it.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Cell, CellError> {
        let file = CellFile::parse(text)?;
        Cell::from_file(file, base_dir)
    }

    /// The cell as the journal's `open` record describes it: identities, roles, keys and
    /// channels, with default limits and no files. An offline verifier uses it to re-derive
    /// every authorization decision from the journal alone.
    pub fn from_open_body(open: &OpenBody) -> Result<Cell, CellError> {
        let policy = |name: &str, i: usize| match name {
            "open" => Ok(PolicyName::Open),
            "moderated" => Ok(PolicyName::Moderated),
            "hotline" => Ok(PolicyName::Hotline),
            other => Err(CellError::invalid(
                format!("open.channels[{i}].policy"),
                format!("unknown policy `{other}`"),
            )),
        };
        let file = CellFile {
            cell: CellSection {
                id: open.cell.clone(),
                name: None,
                read_receipts: ReadReceipts::default(),
                marking: None,
            },
            relay: RelaySection {
                listen: "127.0.0.1:0".into(),
                public_url: None,
                public_key: open.relay_key.to_hex(),
                key: "-".into(),
                tls_cert: "-".into(),
                tls_key: "-".into(),
                ca: "-".into(),
                journal: "-".into(),
                allowed_origins: Vec::new(),
                dangerous_no_fsync: false,
            },
            limits: Limits::default(),
            identity: open
                .identities
                .iter()
                .map(|i| IdentityEntry {
                    id: i.id.clone(),
                    role: i.role,
                    name: None,
                    public_key: i.public_key.to_hex(),
                })
                .collect(),
            channel: open
                .channels
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Ok(ChannelEntry {
                        id: c.id.clone(),
                        title: None,
                        policy: policy(&c.policy, i)?,
                        members: c.members.clone(),
                        readers: c.readers.clone(),
                        ack_seconds: None,
                        ack_clock: None,
                    })
                })
                .collect::<Result<_, CellError>>()?,
        };
        Cell::from_file(file, Path::new(""))
    }

    /// Validates a parsed file.
    fn from_file(file: CellFile, base_dir: &Path) -> Result<Cell, CellError> {
        let name = display_text("cell.name", file.cell.name, file.cell.id.as_str())?;
        let marking = crate::marking::marking(file.cell.marking)?;
        let relay = relay_settings(file.relay, base_dir)?;
        file.limits.check()?;
        let (identities, identity_index) = identities(file.identity, &relay.public_key)?;
        let (channels, channel_index) = channels(file.channel, &identities, &identity_index)?;
        Ok(Cell {
            id: file.cell.id,
            name,
            read_receipts: file.cell.read_receipts,
            marking,
            relay,
            limits: file.limits,
            identities,
            channels,
            identity_index,
            channel_index,
        })
    }

    /// The cell id, bound into every signature.
    pub fn id(&self) -> &CellId {
        &self.id
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the browser console sends read receipts.
    pub fn read_receipts(&self) -> ReadReceipts {
        self.read_receipts
    }

    /// The marking line (`[cell] marking`, `crate::marking`).
    pub fn marking(&self) -> &str {
        &self.marking
    }

    /// This cell with `other`'s marking line: a cell rebuilt from a journal's `open` record
    /// (which does not carry it) shown as its config marks it.
    pub fn with_marking_of(mut self, other: &Cell) -> Cell {
        self.marking = other.marking.clone();
        self
    }

    /// The relay's settings.
    pub fn relay(&self) -> &RelaySettings {
        &self.relay
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Every identity, in config order.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The identity with this id.
    pub fn identity(&self, id: &IdentityId) -> Option<&Identity> {
        self.identity_index
            .get(id)
            .and_then(|&i| self.identities.get(i))
    }

    /// Every channel, in config order.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The channel with this id.
    pub fn channel(&self, id: &ChannelId) -> Option<&Channel> {
        self.channel_index
            .get(id)
            .and_then(|&i| self.channels.get(i))
    }

    /// Every identity and its key, as a client needs them to verify what it receives (the
    /// `welcome` frame).
    pub fn identity_infos(&self) -> Vec<IdentityInfo> {
        self.identities
            .iter()
            .map(|i| IdentityInfo {
                id: i.id.clone(),
                role: i.role,
                public_key: PublicKeyBytes(*i.public_key.bytes()),
            })
            .collect()
    }

    /// SHA-256 of the cell's directory bytes (PROTOCOL.md §5.7): what `welcome` states, and
    /// what a client holding this config sends in `login` to be spared the list.
    pub fn directory(&self) -> Digest {
        Digest(fusioncell_keys::sha256(&canonical::directory_bytes(
            &self.id,
            &self.identity_infos(),
        )))
    }

    /// The body of the journal's first record: everything a verifier needs to check the
    /// journal offline. `config_sha256` is the SHA-256 of the config file's bytes, which the
    /// caller hashes (this crate never sees the file).
    pub fn open_body(&self, config_sha256: [u8; 32]) -> OpenBody {
        OpenBody {
            cell: self.id.clone(),
            config_sha256: Digest(config_sha256),
            relay_key: PublicKeyBytes(*self.relay.public_key.bytes()),
            identities: self
                .identities
                .iter()
                .map(|i| OpenIdentity {
                    id: i.id.clone(),
                    role: i.role,
                    public_key: PublicKeyBytes(*i.public_key.bytes()),
                })
                .collect(),
            channels: self
                .channels
                .iter()
                .map(|c| OpenChannel {
                    id: c.id.clone(),
                    policy: c.policy.as_str().to_owned(),
                    members: c.members.iter().cloned().collect(),
                    readers: c.readers.iter().cloned().collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
