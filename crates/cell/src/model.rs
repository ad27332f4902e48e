//! The validated cell: what the relay serves and what every authorization decision reads.
//!
//! [`Cell::from_toml`] is the only way to build one, so holding a `Cell` means every rule below
//! held: ids unique and not the reserved `relay`; every member and reader an existing identity
//! of a role that may be one; every public key a canonical point of large order (a small-order
//! key lets anyone forge that identity's signatures, SECURITY-NOTES P14) and used once; limits
//! consistent; addresses and paths well formed. Relative paths are resolved against the config
//! file's folder here, so nothing downstream depends on the working directory.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use fusioncell_keys::PublicKey;
use fusioncell_wire::{
    CellId, ChannelId, Digest, IdentityId, IdentityInfo, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, Role,
};

use crate::defaults::{HOTLINE_ACK_SECONDS, Limits};
use crate::error::CellError;
use crate::file::{CellFile, CellSection, ChannelEntry, IdentityEntry, PolicyName, RelaySection};

/// A validated cell.
#[derive(Debug, Clone)]
pub struct Cell {
    id: CellId,
    name: String,
    relay: RelaySettings,
    limits: Limits,
    /// In config order, which is also the order of the `open` record.
    identities: Vec<Identity>,
    channels: Vec<Channel>,
    identity_index: BTreeMap<IdentityId, usize>,
    channel_index: BTreeMap<ChannelId, usize>,
}

/// The relay's settings, with paths resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// Address the relay binds.
    pub listen: SocketAddr,
    /// URL clients dial (`wss://...`, or `ws://...` for insecure loopback use).
    pub public_url: String,
    /// The relay's public key: it signs checkpoints and the relay's own records.
    pub public_key: PublicKey,
    /// The relay's private signing key file (PKCS#8 PEM).
    pub key: PathBuf,
    /// The relay's TLS certificate chain file.
    pub tls_cert: PathBuf,
    /// The TLS private key file.
    pub tls_key: PathBuf,
    /// The CA certificate file clients trust for the relay.
    pub ca: PathBuf,
    /// The journal folder.
    pub journal: PathBuf,
    /// Browser origins allowed to connect, matched exactly. A request without an `Origin`
    /// header is a non-browser client and is not subject to this list.
    pub allowed_origins: Vec<String>,
    /// When true, acts are acknowledged before they are fsynced: faster, but acknowledged acts
    /// may be lost on power failure.
    pub dangerous_no_fsync: bool,
}

/// One identity of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its id.
    pub id: IdentityId,
    /// What it may do.
    pub role: Role,
    /// Display name (the id if the config gives none).
    pub name: String,
    /// Its validated Ed25519 public key.
    pub public_key: PublicKey,
}

/// One channel of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Its id.
    pub id: ChannelId,
    /// Display title (the id if the config gives none).
    pub title: String,
    /// How posts flow.
    pub policy: Policy,
    /// Identities that read and write it.
    pub members: BTreeSet<IdentityId>,
    /// Identities that only read it.
    pub readers: BTreeSet<IdentityId>,
}

/// How posts flow in a channel (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// Members post freely.
    Open,
    /// A party's post waits for the mediator's release before anyone else sees it.
    Moderated,
    /// A post must be acknowledged by the other side within `ack_seconds`, or it escalates to
    /// the mediator.
    Hotline {
        /// The acknowledgement deadline, in seconds.
        ack_seconds: u32,
    },
}

impl Policy {
    /// The policy's name as in the config and the `open` record.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Open => "open",
            Policy::Moderated => "moderated",
            Policy::Hotline { .. } => "hotline",
        }
    }
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
                    })
                })
                .collect::<Result<_, CellError>>()?,
        };
        Cell::from_file(file, Path::new(""))
    }

    /// Validates a parsed file.
    fn from_file(file: CellFile, base_dir: &Path) -> Result<Cell, CellError> {
        let name = display_text("cell.name", file.cell.name, file.cell.id.as_str())?;
        let relay = relay_settings(file.relay, base_dir)?;
        file.limits.check()?;
        let (identities, identity_index) = identities(file.identity, &relay.public_key)?;
        let (channels, channel_index) = channels(file.channel, &identities, &identity_index)?;
        Ok(Cell {
            id: file.cell.id,
            name,
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

/// Validates `[relay]` and resolves its paths.
fn relay_settings(r: RelaySection, base_dir: &Path) -> Result<RelaySettings, CellError> {
    let listen: SocketAddr = r.listen.parse().map_err(|e| {
        CellError::invalid(
            "relay.listen",
            format!("`{}` is not an IP address and port: {e}", r.listen),
        )
    })?;
    let public_url = match r.public_url {
        Some(url) => {
            check_public_url(&url)?;
            url
        }
        None => format!("wss://{listen}"),
    };
    let public_key = public_key("relay.public_key", &r.public_key)?;
    let path = |field: &str, p: PathBuf| -> Result<PathBuf, CellError> {
        if p.as_os_str().is_empty() {
            return Err(CellError::invalid(field, "must not be empty"));
        }
        Ok(base_dir.join(p))
    };
    for (i, origin) in r.allowed_origins.iter().enumerate() {
        check_origin(origin)
            .map_err(|reason| CellError::invalid(format!("relay.allowed_origins[{i}]"), reason))?;
    }
    Ok(RelaySettings {
        listen,
        public_url,
        public_key,
        key: path("relay.key", r.key)?,
        tls_cert: path("relay.tls_cert", r.tls_cert)?,
        tls_key: path("relay.tls_key", r.tls_key)?,
        ca: path("relay.ca", r.ca)?,
        journal: path("relay.journal", r.journal)?,
        allowed_origins: r.allowed_origins,
        dangerous_no_fsync: r.dangerous_no_fsync,
    })
}

/// A URL a WebSocket client can dial.
fn check_public_url(url: &str) -> Result<(), CellError> {
    let rest = url
        .strip_prefix("wss://")
        .or_else(|| url.strip_prefix("ws://"));
    match rest {
        None => Err(CellError::invalid(
            "relay.public_url",
            format!("`{url}` must start with wss:// (or ws:// for insecure loopback use)"),
        )),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => Err(CellError::invalid(
            "relay.public_url",
            format!("`{url}` has no host"),
        )),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err(CellError::invalid(
                "relay.public_url",
                "must not contain spaces or control characters",
            ))
        }
        Some(_) => Ok(()),
    }
}

/// An origin as browsers send it, so that an exact match can succeed: `scheme://host[:port]`,
/// lowercase, no path. `null` (sandboxed frames, `file:` pages) is refused: any page can make
/// its origin `null`, so allowing it allows everyone (SECURITY-NOTES P6).
fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "null" {
        return Err(
            "`null` is the origin any sandboxed page can claim; it cannot be allowed".into(),
        );
    }
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("`{origin}` must start with https:// or http://"))?;
    if host.is_empty() {
        return Err(format!("`{origin}` has no host"));
    }
    if host.contains(['/', '?', '#']) {
        return Err(format!(
            "`{origin}`: an Origin has no path, so this would never match"
        ));
    }
    if origin
        .chars()
        .any(|c| c.is_ascii_uppercase() || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "`{origin}`: browsers write Origins lowercase, without spaces, so this would never match"
        ));
    }
    Ok(())
}

/// Parses and validates a public key given as 64 hex characters.
fn public_key(field: &str, hex_text: &str) -> Result<PublicKey, CellError> {
    let bytes = PublicKeyBytes::from_hex(hex_text)
        .map_err(|e| CellError::invalid(field, format!("`{hex_text}`: {e}")))?;
    PublicKey::from_bytes(bytes.0).map_err(|e| CellError::invalid(field, e.to_string()))
}

/// A display name or title: the id if absent; otherwise one visible line, since it is shown in
/// consoles and reports where a newline or escape sequence could disguise what follows.
fn display_text(field: &str, text: Option<String>, id: &str) -> Result<String, CellError> {
    let Some(text) = text else {
        return Ok(id.to_owned());
    };
    if text.trim().is_empty() {
        return Err(CellError::invalid(
            field,
            "must not be blank (omit it to use the id)",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(CellError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text)
}

/// Validates `[[identity]]` entries.
fn identities(
    entries: Vec<IdentityEntry>,
    relay_key: &PublicKey,
) -> Result<(Vec<Identity>, BTreeMap<IdentityId, usize>), CellError> {
    let mut out = Vec::with_capacity(entries.len());
    let mut index = BTreeMap::new();
    let mut keys: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("identity[{i}].{name}");
        if e.id.is_relay() {
            return Err(CellError::invalid(
                field("id"),
                "`relay` is reserved for the relay's own records",
            ));
        }
        if let Some(j) = index.get(&e.id) {
            return Err(CellError::invalid(
                field("id"),
                format!("`{}` is already identity[{j}]", e.id),
            ));
        }
        let name = display_text(&field("name"), e.name, e.id.as_str())?;
        let key = public_key(&field("public_key"), &e.public_key)?;
        if key == *relay_key {
            return Err(CellError::invalid(
                field("public_key"),
                "is the relay's key; every identity needs its own",
            ));
        }
        if let Some(j) = keys.insert(*key.bytes(), i) {
            return Err(CellError::invalid(
                field("public_key"),
                format!("is also identity[{j}]'s key; every identity needs its own"),
            ));
        }
        index.insert(e.id.clone(), i);
        out.push(Identity {
            id: e.id,
            role: e.role,
            name,
            public_key: key,
        });
    }
    if !out.iter().any(|i| i.role == Role::Party) {
        return Err(CellError::invalid(
            "identity",
            "a cell needs at least one identity with role `party`",
        ));
    }
    Ok((out, index))
}

/// Validates `[[channel]]` entries against the identities.
fn channels(
    entries: Vec<ChannelEntry>,
    identities: &[Identity],
    identity_index: &BTreeMap<IdentityId, usize>,
) -> Result<(Vec<Channel>, BTreeMap<ChannelId, usize>), CellError> {
    let role_of = |id: &IdentityId| {
        identity_index
            .get(id)
            .and_then(|&i| identities.get(i))
            .map(|i| i.role)
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut index = BTreeMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("channel[{i}].{name}");
        if let Some(j) = index.get(&e.id) {
            return Err(CellError::invalid(
                field("id"),
                format!("`{}` is already channel[{j}]", e.id),
            ));
        }
        let title = display_text(&field("title"), e.title, e.id.as_str())?;
        let policy = match (e.policy, e.ack_seconds) {
            (PolicyName::Hotline, Some(0)) => {
                return Err(CellError::invalid(
                    field("ack_seconds"),
                    "must be at least 1",
                ));
            }
            (PolicyName::Hotline, ack) => Policy::Hotline {
                ack_seconds: ack.unwrap_or(HOTLINE_ACK_SECONDS),
            },
            (_, Some(_)) => {
                return Err(CellError::invalid(
                    field("ack_seconds"),
                    "only a hotline channel has an acknowledgement deadline",
                ));
            }
            (PolicyName::Open, None) => Policy::Open,
            (PolicyName::Moderated, None) => Policy::Moderated,
        };
        let mut members = BTreeSet::new();
        for (j, m) in e.members.into_iter().enumerate() {
            let f = format!("channel[{i}].members[{j}]");
            let role = role_of(&m)
                .ok_or_else(|| CellError::invalid(&f, format!("`{m}` is not an identity")))?;
            // Members read and write. Observers and evaluators write nothing, and exercise
            // control reads all and injects anywhere without being a member.
            if !matches!(role, Role::Party | Role::Mediator) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{m}` has role {role}; members must be parties or the mediator"),
                ));
            }
            if !members.insert(m.clone()) {
                return Err(CellError::invalid(&f, format!("`{m}` is listed twice")));
            }
        }
        let mut readers = BTreeSet::new();
        for (j, r) in e.readers.into_iter().enumerate() {
            let f = format!("channel[{i}].readers[{j}]");
            let role = role_of(&r)
                .ok_or_else(|| CellError::invalid(&f, format!("`{r}` is not an identity")))?;
            // The other roles read every channel already.
            if !matches!(role, Role::Observer | Role::Party) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{r}` has role {role}; readers must be observers or parties"),
                ));
            }
            if members.contains(&r) {
                return Err(CellError::invalid(
                    &f,
                    format!("`{r}` is already a member (members read and write)"),
                ));
            }
            if !readers.insert(r.clone()) {
                return Err(CellError::invalid(&f, format!("`{r}` is listed twice")));
            }
        }
        index.insert(e.id.clone(), i);
        out.push(Channel {
            id: e.id,
            title,
            policy,
            members,
            readers,
        });
    }
    if out.is_empty() {
        return Err(CellError::invalid(
            "channel",
            "a cell needs at least one channel, or nothing can be posted",
        ));
    }
    Ok((out, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example::fixture::{example_text, key_hex};

    /// What a refused config must report.
    #[derive(Debug)]
    enum Expect {
        /// `CellError::Invalid` at this field path.
        Invalid(&'static str),
        /// `CellError::Parse` on the line holding `at` (first occurrence in the edited text),
        /// with a message starting `path: ` (or no path for a pure syntax error).
        Parse {
            path: &'static str,
            at: &'static str,
        },
    }

    /// Replaces the first occurrence of `from` in the example, which must be there.
    fn edit(text: &str, from: &str, to: &str) -> String {
        assert!(
            text.contains(from),
            "the example no longer contains {from:?}"
        );
        text.replacen(from, to, 1)
    }

    fn small_order() -> &'static str {
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    }

    #[test]
    fn invalid_configs_name_the_field() {
        let ex = example_text();
        let israel_key = key_hex(2);
        let syria_key = key_hex(3);
        let france_key = key_hex(6);
        let identity_point = format!("01{}", "00".repeat(31));
        let non_canonical = format!("ed{}7f", "ff".repeat(30));
        let cases: Vec<(&str, String, Expect)> = vec![
            (
                "unknown key",
                edit(
                    &ex,
                    "id = \"paris-joint-cell\"\n",
                    "id = \"paris-joint-cell\"\ncolour = \"blue\"\n",
                ),
                Expect::Parse {
                    path: "cell.colour",
                    at: "colour",
                },
            ),
            (
                "misspelt limit",
                edit(&ex, "[limits]\n", "[limits]\nmax_mesage_bytes = 1\n"),
                Expect::Parse {
                    path: "limits.max_mesage_bytes",
                    at: "max_mesage_bytes",
                },
            ),
            (
                "unknown key in an identity",
                edit(
                    &ex,
                    "name = \"French observers\"\n",
                    "name = \"French observers\"\nemail = \"x\"\n",
                ),
                Expect::Parse {
                    path: "identity[4].email",
                    at: "email",
                },
            ),
            (
                "bad role",
                edit(&ex, "role = \"observer\"", "role = \"king\""),
                Expect::Parse {
                    path: "identity[4].role",
                    at: "\"king\"",
                },
            ),
            (
                "bad channel name",
                edit(&ex, "id = \"commerce\"", "id = \"Commerce\""),
                Expect::Parse {
                    path: "channel[3].id",
                    at: "\"Commerce\"",
                },
            ),
            (
                "negative limit",
                edit(&ex, "[limits]\n", "[limits]\nmax_connections = -1\n"),
                Expect::Parse {
                    path: "limits.max_connections",
                    at: "-1",
                },
            ),
            (
                "TOML syntax error",
                edit(
                    &ex,
                    "title = \"Commercial opportunities\"",
                    "title = \"Commercial opportunities",
                ),
                Expect::Parse {
                    path: "",
                    at: "title = \"Commercial opportunities\n",
                },
            ),
            (
                "duplicate TOML key",
                edit(
                    &ex,
                    "name = \"Paris joint communication cell\"\n",
                    "name = \"a\"\nname = \"b\"\n",
                ),
                Expect::Parse {
                    path: "",
                    at: "name = \"b\"",
                },
            ),
            (
                "duplicate identity",
                edit(&ex, "id = \"syria\"", "id = \"israel\""),
                Expect::Invalid("identity[1].id"),
            ),
            (
                "reserved id relay",
                edit(&ex, "id = \"control\"", "id = \"relay\""),
                Expect::Invalid("identity[3].id"),
            ),
            (
                "member that does not exist",
                edit(
                    &ex,
                    "members = [\"us\", \"syria\"]",
                    "members = [\"us\", \"iran\"]",
                ),
                Expect::Invalid("channel[5].members[1]"),
            ),
            (
                "observer as member",
                edit(
                    &ex,
                    "members = [\"us\", \"israel\"]",
                    "members = [\"us\", \"france\"]",
                ),
                Expect::Invalid("channel[4].members[1]"),
            ),
            (
                "control as member",
                edit(
                    &ex,
                    "members = [\"us\", \"israel\"]",
                    "members = [\"control\", \"israel\"]",
                ),
                Expect::Invalid("channel[4].members[0]"),
            ),
            (
                "member listed twice",
                edit(
                    &ex,
                    "members = [\"us\", \"israel\"]",
                    "members = [\"us\", \"us\"]",
                ),
                Expect::Invalid("channel[4].members[1]"),
            ),
            (
                "evaluator as reader",
                edit(&ex, "readers = [\"france\"]", "readers = [\"evaluator\"]"),
                Expect::Invalid("channel[2].readers[0]"),
            ),
            (
                "member also reader",
                edit(
                    &ex,
                    "readers = [\"france\"]",
                    "readers = [\"france\", \"syria\"]",
                ),
                Expect::Invalid("channel[2].readers[1]"),
            ),
            (
                "ack_seconds on an open channel",
                edit(
                    &ex,
                    "readers = [\"france\"]\n",
                    "readers = [\"france\"]\nack_seconds = 5\n",
                ),
                Expect::Invalid("channel[2].ack_seconds"),
            ),
            (
                "duplicate channel",
                edit(&ex, "id = \"us-syria\"", "id = \"us-israel\""),
                Expect::Invalid("channel[5].id"),
            ),
            (
                "small-order key",
                edit(&ex, &france_key, small_order()),
                Expect::Invalid("identity[4].public_key"),
            ),
            (
                "identity-point key",
                edit(&ex, &israel_key, &identity_point),
                Expect::Invalid("identity[0].public_key"),
            ),
            (
                "non-canonical key",
                edit(&ex, &syria_key, &non_canonical),
                Expect::Invalid("identity[1].public_key"),
            ),
            (
                "short key",
                edit(&ex, &syria_key, "abcd"),
                Expect::Invalid("identity[1].public_key"),
            ),
            (
                "duplicate key",
                edit(&ex, &syria_key, &israel_key),
                Expect::Invalid("identity[1].public_key"),
            ),
            (
                "identity with the relay's key",
                edit(&ex, &israel_key, &key_hex(1)),
                Expect::Invalid("identity[0].public_key"),
            ),
            (
                "small-order relay key",
                edit(&ex, &key_hex(1), &identity_point),
                Expect::Invalid("relay.public_key"),
            ),
            (
                "no party",
                edit(&ex, "role = \"party\"", "role = \"observer\"").replacen(
                    "role = \"party\"",
                    "role = \"observer\"",
                    1,
                ),
                Expect::Invalid("identity"),
            ),
            (
                "bad listen",
                edit(&ex, "listen = \"127.0.0.1:8443\"", "listen = \"127.0.0.1\""),
                Expect::Invalid("relay.listen"),
            ),
            (
                "public_url not a WebSocket URL",
                edit(&ex, "public_url = \"wss://", "public_url = \"https://"),
                Expect::Invalid("relay.public_url"),
            ),
            (
                "origin with a path",
                edit(
                    &ex,
                    "allowed_origins = []",
                    "allowed_origins = [\"https://cell.example/\"]",
                ),
                Expect::Invalid("relay.allowed_origins[0]"),
            ),
            (
                "null origin",
                edit(
                    &ex,
                    "allowed_origins = []",
                    "allowed_origins = [\"https://a.example\", \"null\"]",
                ),
                Expect::Invalid("relay.allowed_origins[1]"),
            ),
            (
                "empty path",
                edit(
                    &ex,
                    "journal = \"../target/example-journal\"",
                    "journal = \"\"",
                ),
                Expect::Invalid("relay.journal"),
            ),
            (
                "frame larger than message",
                edit(&ex, "[limits]\n", "[limits]\nmax_frame_bytes = 70000\n"),
                Expect::Invalid("limits.max_frame_bytes"),
            ),
            (
                "zero limit",
                edit(&ex, "[limits]\n", "[limits]\nacts_per_minute = 0\n"),
                Expect::Invalid("limits.acts_per_minute"),
            ),
            (
                "idle timeout before the first ping",
                edit(&ex, "[limits]\n", "[limits]\nidle_timeout_ms = 20000\n"),
                Expect::Invalid("limits.idle_timeout_ms"),
            ),
            (
                "control character in a name",
                edit(
                    &ex,
                    "name = \"Syrian delegation\"",
                    "name = \"Syrian\\u001b[2Jdelegation\"",
                ),
                Expect::Invalid("identity[1].name"),
            ),
        ];
        for (what, text, expect) in cases {
            let err = match Cell::from_toml(&text, Path::new("/c")) {
                Ok(_) => panic!("{what}: accepted"),
                Err(e) => e,
            };
            let shown = err.to_string();
            assert!(!shown.contains('\n'), "{what}: not one line: {shown}");
            match (&expect, &err) {
                (Expect::Invalid(path), CellError::Invalid { field, reason }) => {
                    assert_eq!(field, path, "{what}: {shown}");
                    assert!(!reason.is_empty(), "{what}");
                }
                (Expect::Parse { path, at }, CellError::Parse { line, message, .. }) => {
                    let offset = text.find(at).unwrap();
                    let expected_line = text[..offset].matches('\n').count() + 1;
                    assert_eq!(*line, expected_line, "{what}: {shown}");
                    if path.is_empty() {
                        assert!(!message.contains(": "), "{what}: unexpected path: {shown}");
                    } else {
                        assert!(message.starts_with(&format!("{path}: ")), "{what}: {shown}");
                    }
                }
                _ => panic!("{what}: expected {expect:?}, got {err:?}"),
            }
        }
    }

    #[test]
    fn weak_keys_say_why() {
        let ex = example_text();
        let text = edit(&ex, &key_hex(2), &format!("01{}", "00".repeat(31)));
        let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
        assert!(err.to_string().contains("small order"), "{err}");
        let text = edit(&ex, &key_hex(3), &key_hex(2));
        let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
        assert!(err.to_string().contains("identity[0]"), "{err}");
    }

    #[test]
    fn missing_keys_are_located() {
        let ex = example_text();
        let text = edit(&ex, "tls_cert = \"../certs-example/tls/relay.pem\"\n", "");
        let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
        assert!(
            matches!(&err, CellError::Parse { message, .. }
                if message.starts_with("relay: ") && message.contains("tls_cert")),
            "{err}"
        );
        let text = edit(&ex, "[relay]\n", "[relai]\n");
        let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
        assert!(matches!(&err, CellError::Parse { .. }), "{err}");
    }

    /// The smallest valid config: every optional key takes its default.
    #[test]
    fn optional_keys_take_their_defaults() {
        let text = format!(
            r#"
[cell]
id = "mini"

[relay]
listen = "[::1]:9000"
public_key = "{relay}"
key = "relay.key"
tls_cert = "/etc/fusioncell/relay.pem"
tls_key = "relay-tls.key"
ca = "ca.pem"
journal = "journal"

[[identity]]
id = "a"
role = "party"
public_key = "{a}"

[[channel]]
id = "line"
policy = "hotline"
members = ["a"]
"#,
            relay = key_hex(1),
            a = key_hex(2),
        );
        let cell = Cell::from_toml(&text, Path::new("/srv/mini")).unwrap();
        assert_eq!(cell.name(), "mini");
        let relay = cell.relay();
        assert_eq!(relay.public_url, "wss://[::1]:9000");
        assert_eq!(relay.key, PathBuf::from("/srv/mini/relay.key"));
        assert_eq!(relay.tls_cert, PathBuf::from("/etc/fusioncell/relay.pem"));
        assert!(relay.allowed_origins.is_empty());
        assert!(!relay.dangerous_no_fsync);
        assert_eq!(cell.limits(), &Limits::default());
        let a = &cell.identities()[0];
        assert_eq!(a.name, "a");
        let line = &cell.channels()[0];
        assert_eq!(line.title, "line");
        assert_eq!(
            line.policy,
            Policy::Hotline {
                ack_seconds: HOTLINE_ACK_SECONDS
            }
        );
        assert!(line.readers.is_empty());

        // Without a channel the cell is useless, and refused.
        let no_channel = text.split("[[channel]]").next().unwrap();
        let err = Cell::from_toml(no_channel, Path::new("/")).unwrap_err();
        assert!(
            matches!(&err, CellError::Invalid { field, .. } if field == "channel"),
            "{err}"
        );
    }

    #[test]
    fn limits_may_be_set() {
        let ex = example_text();
        let text = edit(
            &ex,
            "[limits]\n",
            "[limits]\nmax_message_bytes = 131072\nmax_frame_bytes = 131072\nclock_skew_ms = 5000\n",
        );
        let cell = Cell::from_toml(&text, Path::new("/")).unwrap();
        assert_eq!(cell.limits().max_message_bytes, 131_072);
        assert_eq!(cell.limits().max_frame_bytes, 131_072);
        assert_eq!(
            cell.limits().clock_skew(),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(cell.limits().act_burst, crate::defaults::ACT_BURST);
    }

    #[test]
    fn open_body_describes_the_cell() {
        let cell = crate::example::fixture::example_cell();
        let body = cell.open_body([7; 32]);
        assert_eq!(body.cell.as_str(), "paris-joint-cell");
        assert_eq!(body.config_sha256, Digest([7; 32]));
        assert_eq!(body.relay_key.to_hex(), key_hex(1));
        let ids: Vec<(&str, Role, String)> = body
            .identities
            .iter()
            .map(|i| (i.id.as_str(), i.role, i.public_key.to_hex()))
            .collect();
        assert_eq!(ids[0], ("israel", Role::Party, key_hex(2)));
        assert_eq!(ids[5], ("evaluator", Role::Evaluator, key_hex(7)));
        assert_eq!(ids.len(), 6);
        let policies: Vec<(&str, &str)> = body
            .channels
            .iter()
            .map(|c| (c.id.as_str(), c.policy.as_str()))
            .collect();
        assert_eq!(
            policies,
            [
                ("security", "moderated"),
                ("deescalation", "hotline"),
                ("diplomacy", "open"),
                ("commerce", "open"),
                ("us-israel", "open"),
                ("us-syria", "open"),
            ]
        );
        let diplomacy = &body.channels[2];
        let names = |v: &[IdentityId]| v.iter().map(|i| i.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(&diplomacy.members), ["israel", "syria", "us"]);
        assert_eq!(names(&diplomacy.readers), ["france"]);
        assert_eq!(cell.identity_infos().len(), 6);
        assert_eq!(cell.identity_infos()[2].public_key.to_hex(), key_hex(4));
    }
}
