//! What the relay needs to run, already loaded and validated. The relay reads no files of its
//! own besides the journal: the CLI loads the cell, keys and certificates and builds this.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use fusioncell_cell::Cell;
use fusioncell_keys::SigningKey;

/// A relay's complete configuration.
pub struct RelayConfig {
    /// The cell: identities, channels, limits.
    pub cell: Arc<Cell>,
    /// The relay's own signing key; its public key must be the one the cell registers.
    pub relay_key: Arc<SigningKey>,
    /// SHA-256 of the cell file, written into the journal's first record.
    pub config_sha256: [u8; 32],
    /// TLS server settings; `None` serves plain `ws://`, which the CLI only allows on a
    /// loopback address behind `--insecure-loopback`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Where to listen (port 0 picks a free port; see [`crate::Server::local_addr`]).
    pub listen: SocketAddr,
    /// The journal folder.
    pub journal_dir: PathBuf,
    /// The scenario the exercise runs (as `fusioncell scenario export` writes it), sent to
    /// control and evaluator sessions after login so that their consoles need no file; never
    /// to anyone else (it holds controller notes and expected actions).
    pub scenario: Option<serde_json::Value>,
}
