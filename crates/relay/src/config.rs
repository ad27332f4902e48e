//! What the relay needs to run, already loaded and validated. The relay reads no files of its
//! own besides the journal: the CLI loads the cell, keys and certificates and builds this.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use fusioncell_cell::Cell;
use fusioncell_keys::SigningKey;

use crate::front::{FrontConfig, FrontLimits};

/// The complete configuration of a relay of one cell: its one cell, and the front door that
/// [`crate::Cells`] would share between several.
pub struct RelayConfig {
    /// The cell it serves.
    pub cell: CellConfig,
    /// TLS server settings; `None` serves plain `ws://`, which the CLI only allows on a
    /// loopback address behind `--insecure-loopback`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Where to listen (port 0 picks a free port; see [`crate::Server::local_addr`]).
    pub listen: SocketAddr,
}

/// One cell of a relay: what [`crate::Cells::add`] needs (the listener, its TLS identity and
/// caps are the relay's, [`crate::front::FrontConfig`]).
pub struct CellConfig {
    /// The cell: identities, channels, limits.
    pub cell: Arc<Cell>,
    /// The relay's signing key for this cell; its public key must be the one the cell
    /// registers.
    pub relay_key: Arc<SigningKey>,
    /// SHA-256 of the cell file, written into the journal's first record.
    pub config_sha256: [u8; 32],
    /// The journal folder.
    pub journal_dir: PathBuf,
    /// The scenario the exercise runs (as `fusioncell scenario export` writes it), sent to
    /// control and evaluator sessions after login so that their consoles need no file; never
    /// to anyone else (it holds controller notes and expected actions).
    pub scenario: Option<serde_json::Value>,
}

impl RelayConfig {
    /// The relay's front door (TLS, listen address, and the cell's caps that apply before a
    /// request names its cell) and the cell.
    pub fn split(self) -> (FrontConfig, CellConfig) {
        let limits = FrontLimits::of(&self.cell.cell);
        (
            FrontConfig {
                tls: self.tls,
                listen: self.listen,
                limits,
            },
            self.cell,
        )
    }
}
