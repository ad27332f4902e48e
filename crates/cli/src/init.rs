//! `fusioncell init`: a ready-to-run copy of the example cell in a new folder — a key pair per
//! identity and for the relay, a development CA and relay certificate, the journal folder, the
//! commented `cell.toml` that ties them together, and the exercise to run in it (`scenario.toml`
//! and the bot personas in `bots/`), so that the folder needs nothing from the repository.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use fusioncell_cell::{EXAMPLE_IDENTITIES, ExampleParams, render_example};
use fusioncell_keys::SigningKey;
use fusioncell_wire::CellId;

use fusioncell_relay::routes::PREFIX;

use crate::certs::dev_certs;
use crate::files::{FileError, create_dir, write_key_pair, write_new};

/// The scenario's file in a cell folder.
pub const SCENARIO_FILE: &str = "scenario.toml";
/// The bot personas' folder in a cell folder.
pub const BOTS_DIR: &str = "bots";

/// What `init` needs.
pub struct InitParams {
    /// The cell id.
    pub cell_id: CellId,
    /// Where the relay will listen.
    pub listen: SocketAddr,
    /// Extra host names or addresses for the relay certificate.
    pub hosts: Vec<String>,
    /// The scenario to write as `scenario.toml` (TOML text), with the example's bot personas
    /// in `bots/`; `None` writes no exercise (the load tool's cell).
    pub scenario: Option<String>,
}

/// Why `init` failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The folder exists and is not empty.
    #[error("{0}: folder exists and is not empty; choose a new folder")]
    NotEmpty(String),
    /// A file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// Randomness failed.
    #[error("key generation: {0}")]
    Key(#[from] fusioncell_keys::KeyError),
    /// Certificates could not be made.
    #[error("certificates: {0}")]
    Certs(#[from] rcgen::Error),
}

/// Writes the example cell into `dir` and returns the path of its `cell.toml`.
pub fn write_cell_folder(dir: &Path, params: &InitParams) -> Result<PathBuf, InitError> {
    write_folder(dir, params, None)
}

/// Writes the example cell into `dir` as one of the cells of one relay (`relay --cells`): its
/// clients dial `/cells/<id>`, and, given `relay_tls` (a folder written before, whose `tls/`
/// holds the relay's certificate, key and CA), it names the relay's TLS identity instead of a
/// new one: the cells of one relay share it. Returns the path of its `cell.toml`.
pub fn write_cell_of_relay(
    dir: &Path,
    params: &InitParams,
    relay_tls: Option<&Path>,
) -> Result<PathBuf, InitError> {
    write_folder(dir, params, Some(relay_tls))
}

/// [`write_cell_folder`], or with `of_relay` [`write_cell_of_relay`].
fn write_folder(
    dir: &Path,
    params: &InitParams,
    of_relay: Option<Option<&Path>>,
) -> Result<PathBuf, InitError> {
    if dir
        .read_dir()
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false)
    {
        return Err(InitError::NotEmpty(dir.display().to_string()));
    }
    let keys = dir.join("keys");
    let tls = dir.join("tls");
    create_dir(&keys)?;
    create_dir(&tls)?;
    create_dir(&dir.join("journal"))?;

    let relay = SigningKey::generate()?;
    write_key_pair(&keys, "relay", &relay)?;
    let mut identity_keys = BTreeMap::new();
    for id in EXAMPLE_IDENTITIES {
        let key = SigningKey::generate()?;
        write_key_pair(&keys, id, &key)?;
        identity_keys.insert(id.to_owned(), hex::encode(key.public_key().bytes()));
    }

    match of_relay.flatten() {
        Some(relay) => {
            // Only what the relay serves and what clients trust: the CA's key stays where it
            // was made.
            for (file, secret) in [
                ("ca.pem", false),
                ("relay.pem", false),
                ("relay-tls.key", true),
            ] {
                let bytes = crate::files::read_bytes(&relay.join("tls").join(file))?;
                write_new(&tls.join(file), &bytes, secret)?;
            }
        }
        None => {
            let mut hosts = params.hosts.clone();
            hosts.push(params.listen.ip().to_string());
            let certs = dev_certs(params.cell_id.as_str(), &hosts)?;
            write_new(&tls.join("ca.pem"), certs.ca_pem.as_bytes(), false)?;
            write_new(&tls.join("ca.key"), certs.ca_key_pem.as_bytes(), true)?;
            write_new(&tls.join("relay.pem"), certs.relay_pem.as_bytes(), false)?;
            write_new(
                &tls.join("relay-tls.key"),
                certs.relay_key_pem.as_bytes(),
                true,
            )?;
        }
    }

    let text = render_example(&ExampleParams {
        cell_id: params.cell_id.clone(),
        listen: params.listen,
        public_path: match of_relay {
            Some(_) => format!("{PREFIX}{}", params.cell_id),
            None => String::new(),
        },
        path_prefix: String::new(),
        journal: "journal".into(),
        relay_public_key: hex::encode(relay.public_key().bytes()),
        identity_keys,
    });
    let cell_toml = dir.join("cell.toml");
    write_new(&cell_toml, text.as_bytes(), false)?;
    if let Some(scenario) = &params.scenario {
        write_new(&dir.join(SCENARIO_FILE), scenario.as_bytes(), false)?;
        let bots = dir.join(BOTS_DIR);
        create_dir(&bots)?;
        for (file, persona) in crate::embedded::BOTS {
            write_new(&bots.join(file), persona.as_bytes(), false)?;
        }
    }
    Ok(cell_toml)
}
