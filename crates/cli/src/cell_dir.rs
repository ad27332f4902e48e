//! A folder of cells for `relay --cells DIR`: every subfolder holding a `cell.toml` is one
//! cell; one that also holds a file named `retired` is a cell to stop serving. The cells share
//! the relay's listener, so they must agree on what it is: `relay.listen` (unless `--listen`
//! overrides it), the TLS certificate and key (the same bytes), and the limits the listener
//! applies before a request names its cell ([`FrontLimits`]). The first cell the relay serves
//! decides them; a cell that disagrees is refused with one line naming its file and the field.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fusioncell_relay::front::FrontLimits;
use fusioncell_relay::routes::PREFIX;

use crate::files::{FileError, read_bytes};
use crate::load::{LoadError, LoadedCell};

/// The name of a cell's file in its folder.
pub const CELL_FILE: &str = "cell.toml";

/// The marker file that retires a cell.
pub const RETIRED: &str = "retired";

/// What a scan found in one subfolder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A cell to serve.
    Serve,
    /// A cell to stop serving (its folder holds `retired`).
    Retired,
}

/// The subfolders of `dir` holding a `cell.toml`, by path, in name order.
pub fn scan(dir: &Path) -> Result<BTreeMap<PathBuf, Found>, FileError> {
    let error = |error| FileError {
        path: dir.display().to_string(),
        error,
    };
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let folder = entry.map_err(error)?.path();
        if !folder.join(CELL_FILE).is_file() {
            continue;
        }
        let state = if folder.join(RETIRED).exists() {
            Found::Retired
        } else {
            Found::Serve
        };
        found.insert(folder, state);
    }
    Ok(found)
}

/// What the cells of one relay share, as the first cell served set it.
pub struct Shared {
    /// Where the relay listens.
    pub listen: SocketAddr,
    /// Whether `--listen` set it (then no cell's `relay.listen` is compared).
    pub listen_given: bool,
    /// The TLS certificate chain and key, as bytes (none with `--insecure-loopback`).
    pub tls_files: Option<(Vec<u8>, Vec<u8>)>,
    /// The TLS settings built from them.
    pub tls: Option<Arc<fusioncell_relay::tls::ServerConfig>>,
    /// The limits applied before a request names its cell.
    pub limits: FrontLimits,
    /// The cell file that set them.
    pub from: PathBuf,
}

impl Shared {
    /// What `first` sets for the relay.
    pub fn of(
        first: &LoadedCell,
        listen: Option<SocketAddr>,
        insecure_loopback: bool,
    ) -> Result<Shared, LoadError> {
        let relay = first.cell.relay();
        let listen_given = listen.is_some();
        let listen = listen.unwrap_or(relay.listen);
        let (tls_files, tls) = if crate::load::plain(listen, insecure_loopback)? {
            (None, None)
        } else {
            let (cert, key) = (read_bytes(&relay.tls_cert)?, read_bytes(&relay.tls_key)?);
            let tls = crate::load::tls_from(first, &cert, &key)?;
            (Some((cert, key)), Some(tls))
        };
        Ok(Shared {
            listen,
            listen_given,
            tls_files,
            tls,
            limits: FrontLimits::of(&first.cell),
            from: first.path.clone(),
        })
    }

    /// Whether `cell` can be served by this relay: it agrees on what the cells share, and
    /// its clients dial its path (`relay.public_url` ends in `/cells/<id>`).
    pub fn admits(&self, cell: &LoadedCell) -> Result<(), LoadError> {
        let relay = cell.cell.relay();
        let refuse = |field: &str, what: String| {
            Err(LoadError::Invalid(format!(
                "{}: {field} {what}: the cells of one relay share its listener",
                cell.path.display()
            )))
        };
        let from = self.from.display();
        if !self.listen_given && relay.listen != self.listen {
            return refuse(
                "relay.listen",
                format!(
                    "is {}, but the relay listens on {} (set by {from})",
                    relay.listen, self.listen
                ),
            );
        }
        if let Some((cert, key)) = &self.tls_files {
            if read_bytes(&relay.tls_cert)? != *cert {
                return refuse(
                    "relay.tls_cert",
                    format!("is not the certificate the relay serves (set by {from})"),
                );
            }
            if read_bytes(&relay.tls_key)? != *key {
                return refuse(
                    "relay.tls_key",
                    format!("is not the key the relay serves (set by {from})"),
                );
            }
        }
        if let Some((field, ours, theirs)) = self.limits.differs(&FrontLimits::of(&cell.cell)) {
            return refuse(
                field,
                format!("is {theirs}, but the relay applies {ours} (set by {from})"),
            );
        }
        let path = format!("{PREFIX}{}", cell.cell.id());
        let url_path = relay
            .public_url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or("");
        if url_path.trim_end_matches('/') != path {
            return Err(LoadError::Invalid(format!(
                "{}: relay.public_url `{}` must end in {path}: a relay of several cells serves \
                 this cell there, and its clients dial this URL",
                cell.path.display(),
                relay.public_url
            )));
        }
        Ok(())
    }
}
