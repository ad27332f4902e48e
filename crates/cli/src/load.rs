//! Reading the files the commands need. Every error is one line naming the file (and, for the
//! cell config, the line or field) and what was expected.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fusioncell_cell::Cell;
use fusioncell_client::ClientConfig;
use fusioncell_client::connection::{Directory, Expect};
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_relay::{CellConfig, RelayConfig};
use fusioncell_wire::{IdentityId, PresenceMode, PublicKeyBytes};

use crate::files::{FileError, read_bytes, read_text};

/// A file that could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// It could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The cell config is invalid.
    #[error("{path}: {error}")]
    Cell {
        /// The config file.
        path: String,
        /// What is wrong, with the line or field.
        error: fusioncell_cell::CellError,
    },
    /// A key file is not a usable key.
    #[error("{path}: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// TLS material is not usable.
    #[error("{path}: {reason}")]
    Tls {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The cell uses the public keys of `certs-example/` and would be served beyond loopback.
    #[error(
        "refusing to serve the public example keys of certs-example/ ({what}) on {listen}, \
         which is not a loopback address: anyone could log in with them or impersonate the \
         relay; use a cell of your own (`fusioncell init`), or pass --insecure-demo-keys \
         for a demonstration"
    )]
    PublicExampleKeys {
        /// Which keys, in words.
        what: String,
        /// Where the relay was to listen.
        listen: SocketAddr,
    },
    /// Something else about the request does not fit the cell.
    #[error("{0}")]
    Invalid(String),
}

/// A loaded cell config and the SHA-256 of its file.
pub struct LoadedCell {
    /// The validated cell.
    pub cell: Arc<Cell>,
    /// SHA-256 of the file's bytes (recorded in the journal).
    pub sha256: [u8; 32],
    /// The file.
    pub path: PathBuf,
}

/// The cell a journal is expected to belong to, when `--config` names one.
pub fn expected_cell(
    expected: &crate::args::ExpectedCell,
) -> Result<Option<LoadedCell>, LoadError> {
    expected.config.as_deref().map(cell).transpose()
}

/// Reads and validates a cell config; relative paths in it are resolved against its folder.
pub fn cell(path: &Path) -> Result<LoadedCell, LoadError> {
    let text = read_text(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let cell = Cell::from_toml(&text, base).map_err(|error| LoadError::Cell {
        path: path.display().to_string(),
        error,
    })?;
    Ok(LoadedCell {
        cell: Arc::new(cell),
        sha256: sha256(text.as_bytes()),
        path: path.to_owned(),
    })
}

/// Reads a PKCS#8 PEM private key.
pub fn signing_key(path: &Path) -> Result<SigningKey, LoadError> {
    let text = read_text(path)?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| LoadError::Key {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Everything `relay` needs, from the cell config.
pub fn relay_config(
    loaded: &LoadedCell,
    listen: Option<SocketAddr>,
    insecure_loopback: bool,
) -> Result<RelayConfig, LoadError> {
    let listen = listen.unwrap_or(loaded.cell.relay().listen);
    Ok(RelayConfig {
        cell: cell_config(loaded)?,
        tls: tls(loaded, listen, insecure_loopback)?,
        listen,
    })
}

/// What a relay needs to serve the cell, besides its listener: the relay key (checked against
/// the cell's `relay.public_key`) and the journal folder.
pub fn cell_config(loaded: &LoadedCell) -> Result<CellConfig, LoadError> {
    let relay = loaded.cell.relay();
    let relay_key = signing_key(&relay.key)?;
    if relay_key.public_key() != relay.public_key {
        return Err(LoadError::Key {
            path: relay.key.display().to_string(),
            reason: "this key's public key is not relay.public_key of the cell config".into(),
        });
    }
    Ok(CellConfig {
        cell: loaded.cell.clone(),
        relay_key: Arc::new(relay_key),
        config_sha256: loaded.sha256,
        journal_dir: relay.journal.clone(),
        scenario: None,
    })
}

/// The relay's TLS settings from the cell's files, or none (plain `ws://`) when
/// `insecure_loopback` is given, which is refused unless `listen` is a loopback address.
pub fn tls(
    loaded: &LoadedCell,
    listen: SocketAddr,
    insecure_loopback: bool,
) -> Result<Option<Arc<fusioncell_relay::tls::ServerConfig>>, LoadError> {
    let relay = loaded.cell.relay();
    if plain(listen, insecure_loopback)? {
        return Ok(None);
    }
    let cert = read_bytes(&relay.tls_cert)?;
    let key = read_bytes(&relay.tls_key)?;
    tls_from(loaded, &cert, &key).map(Some)
}

/// Whether to serve plain `ws://`: only with `insecure_loopback`, which is refused unless
/// `listen` is a loopback address.
pub fn plain(listen: SocketAddr, insecure_loopback: bool) -> Result<bool, LoadError> {
    if insecure_loopback && !listen.ip().is_loopback() {
        return Err(LoadError::Invalid(format!(
            "--insecure-loopback serves plain ws:// and is refused on {listen}: use a loopback address"
        )));
    }
    Ok(insecure_loopback)
}

/// TLS settings from the certificate chain and key `loaded` names, already read.
pub fn tls_from(
    loaded: &LoadedCell,
    cert: &[u8],
    key: &[u8],
) -> Result<Arc<fusioncell_relay::tls::ServerConfig>, LoadError> {
    let relay = loaded.cell.relay();
    fusioncell_relay::tls::server_config(cert, key).map_err(|e| LoadError::Tls {
        path: format!("{} / {}", relay.tls_cert.display(), relay.tls_key.display()),
        reason: e.to_string(),
    })
}

/// Refuses to serve a cell that uses the public keys of `certs-example/` on `listen` unless it
/// is a loopback address or `insecure_demo_keys` is given (then it only warns). Every command
/// that serves clients calls it before serving.
pub fn refuse_public_keys(
    loaded: &LoadedCell,
    listen: SocketAddr,
    insecure_demo_keys: bool,
) -> Result<(), LoadError> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    let tls_key = read_bytes(&loaded.cell.relay().tls_key)?;
    let found = crate::example_keys::found_in(&loaded.cell, &tls_key);
    if found.is_empty() {
        return Ok(());
    }
    let what = found.join(", ");
    if !insecure_demo_keys {
        return Err(LoadError::PublicExampleKeys { what, listen });
    }
    tracing::warn!(
        "serving the public example keys of certs-example/ ({what}) on {listen} \
         (--insecure-demo-keys): for a demonstration only"
    );
    Ok(())
}

/// How a client command reaches the relay: from a cell folder (`--config`), or given by hand
/// by a remote participant (`--relay`, `--key`, `--ca`).
#[derive(Debug, Clone, Default)]
pub struct ConnectArgs {
    /// The cell config.
    pub config: Option<PathBuf>,
    /// The relay URL.
    pub relay: Option<String>,
    /// The identity.
    pub identity: String,
    /// The private key file.
    pub key: Option<PathBuf>,
    /// The CA file.
    pub ca: Option<PathBuf>,
}

/// Builds a client configuration. With a cell config, the relay address, CA, relay key, cell id
/// and every identity's key come from it, and the private key defaults to `keys/ID.key` beside
/// it; flags given explicitly win.
pub fn client_config(args: &ConnectArgs) -> Result<ClientConfig, LoadError> {
    let identity = IdentityId::new(args.identity.clone())
        .map_err(|e| LoadError::Invalid(format!("--as {}: {e}", args.identity)))?;
    let loaded = args.config.as_deref().map(cell).transpose()?;
    let cell_ref = loaded.as_ref().map(|l| l.cell.as_ref());
    if let Some(cell) = cell_ref
        && cell.identity(&identity).is_none()
    {
        return Err(LoadError::Invalid(format!(
            "--as {identity}: no such identity in {}",
            args.config.as_deref().unwrap_or(Path::new("")).display()
        )));
    }
    let url = args
        .relay
        .clone()
        .or_else(|| cell_ref.map(|c| c.relay().public_url.clone()))
        .ok_or_else(|| {
            LoadError::Invalid("give --config CELL or --relay wss://HOST:PORT".into())
        })?;
    let key_path = match (&args.key, &args.config) {
        (Some(k), _) => k.clone(),
        (None, Some(config)) => config
            .parent()
            .unwrap_or(Path::new("."))
            .join("keys")
            .join(format!("{identity}.key")),
        (None, None) => {
            return Err(LoadError::Invalid(
                "give --key FILE (or --config CELL)".into(),
            ));
        }
    };
    let key = signing_key(&key_path)?;
    if let Some(cell) = cell_ref
        && let Some(registered) = cell.identity(&identity)
        && registered.public_key != key.public_key()
    {
        return Err(LoadError::Key {
            path: key_path.display().to_string(),
            reason: format!("this is not the key the cell registers for `{identity}`"),
        });
    }
    let ca_path = args
        .ca
        .clone()
        .or_else(|| cell_ref.map(|c| c.relay().ca.clone()));
    let ca_pem = match ca_path {
        Some(p) if url.starts_with("wss://") => Some(read_bytes(&p)?),
        _ => None,
    };
    if url.starts_with("wss://") && ca_pem.is_none() {
        return Err(LoadError::Invalid(
            "a wss:// relay needs --ca FILE (the CA that signed its certificate)".into(),
        ));
    }
    let expect = Expect {
        cell: cell_ref.map(|c| c.id().clone()),
        relay_key: cell_ref.map(|c| PublicKeyBytes(*c.relay().public_key.bytes())),
        directory: cell_ref.map(|c| Directory::new(c.id(), c.identity_infos())),
        presence: PresenceMode::Changes,
    };
    let trusted_keys = cell_ref.map(|c| {
        c.identities()
            .iter()
            .map(|i| (i.id.clone(), i.public_key))
            .collect::<HashMap<_, _>>()
    });
    Ok(ClientConfig {
        url,
        ca_pem,
        identity,
        key: Arc::new(key),
        expect,
        trusted_keys,
        reconnect: true,
        witness: true,
        receive_deadline: fusioncell_client::defaults::RECEIVE_DEADLINE,
    })
}
