//! The relay's settings from `[relay]`: where it listens, how clients reach it, its key and
//! files. Paths are resolved against the config file's folder here, so nothing downstream
//! depends on the working directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use fusioncell_keys::PublicKey;

use crate::error::CellError;
use crate::field::public_key;
use crate::file::RelaySection;

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

/// Validates `[relay]` and resolves its paths.
pub(crate) fn relay_settings(r: RelaySection, base_dir: &Path) -> Result<RelaySettings, CellError> {
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
/// its origin `null`, so allowing it allows everyone.
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
