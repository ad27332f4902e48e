//! The temporary cell `fusioncell bench` serves: the example cell with raised limits, the
//! publishers `pub-0…`, the channel `bench`, and who reads it: either one identity `watcher`
//! that every subscriber connection shares, or (`--scenario big-cell`) N participants
//! `member-0…`, each its own identity with its own key, each a reader of `bench`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use fusioncell_bench::load::FusionTarget;
use fusioncell_client::connection::Directory;
use fusioncell_keys::SigningKey;
use fusioncell_wire::{CellId, ChannelId, IdentityId, PublicKeyBytes};

use crate::init::{InitParams, write_cell_folder};
use crate::load::{self as cellload, ConnectArgs};

/// The channel of the benchmark.
pub(super) const CHANNEL: &str = "bench";
/// The subscriber identity every connection shares (an observer that reads `bench`).
const WATCHER: &str = "watcher";

/// `[limits]` of the temporary cell: far above any load this tool makes, so that what is
/// measured is the relay, not its abuse limits. Queues and frame limits keep their defaults.
const LIMITS: &[(&str, &str)] = &[
    ("acts_per_minute", "1000000000"),
    ("act_burst", "10000000"),
    ("bytes_per_second", "100000000000"),
    ("max_connections", "20000"),
    ("max_pending_connections", "1024"),
    ("max_sessions_per_identity", "20000"),
];

/// Who reads the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Readers {
    /// One identity, `watcher`, for every subscriber connection (its key in `keys/`).
    Watcher,
    /// This many participants `member-0…`, one per subscriber connection. Their keys stay in
    /// this process: files written the way `keygen` writes a key pair (each fsync'd, and its
    /// folder too) took 11.8 ms per pair here, two minutes for 10,000 (BENCHMARKS.md). The relay
    /// sees only their public keys in cell.toml and verifies every login against them. The
    /// cell allows one session per identity, so two connections sharing an identity would
    /// close one of them (4010) and the run would not be clean.
    Participants(usize),
}

/// A cell written for a run, and the participants' keys.
pub(super) struct BenchCell {
    /// Its cell.toml.
    pub config: PathBuf,
    /// Identity and key of each participant ([`Readers::Participants`]; empty otherwise).
    pub participants: Vec<(IdentityId, Arc<SigningKey>)>,
}

/// Writes the example cell plus the benchmark's identities and channel, with raised limits.
pub(super) fn write(
    folder: &Path,
    publishers: usize,
    readers: Readers,
) -> anyhow::Result<BenchCell> {
    let params = InitParams {
        cell_id: CellId::new(format!(
            "bench-{}",
            hex::encode(&fusioncell_keys::random_nonce()?[..3])
        ))?,
        listen: "127.0.0.1:0".parse()?,
        hosts: Vec::new(),
        scenario: None,
    };
    let config = write_cell_folder(folder, &params)?;
    let mut text = std::fs::read_to_string(&config)?;
    for (key, value) in LIMITS {
        let value = match (key, readers) {
            (&"max_sessions_per_identity", Readers::Participants(_)) => "1",
            _ => value,
        };
        let prefix = format!("# {key} = ");
        let start = text
            .find(&prefix)
            .with_context(|| format!("the example cell has no limit `{key}`"))?;
        let end = start + text[start..].find('\n').unwrap_or(text.len() - start);
        text.replace_range(start..end, &format!("{key} = {value}"));
    }
    let keys = folder.join("keys");
    let mut members = Vec::new();
    text.push_str("\n# Added by `fusioncell bench`: publishers, readers, their channel.\n");
    for i in 0..publishers {
        let id = format!("pub-{i}");
        let key = SigningKey::generate()?;
        crate::files::write_key_pair(&keys, &id, &key)?;
        push_identity(&mut text, &id, "party", &key);
        members.push(format!("\"{id}\""));
    }
    let mut participants = Vec::new();
    let reader_ids = match readers {
        Readers::Watcher => {
            let key = SigningKey::generate()?;
            crate::files::write_key_pair(&keys, WATCHER, &key)?;
            push_identity(&mut text, WATCHER, "observer", &key);
            vec![format!("\"{WATCHER}\"")]
        }
        Readers::Participants(n) => {
            for i in 0..n {
                let id = format!("member-{i}");
                let key = SigningKey::generate()?;
                push_identity(&mut text, &id, "observer", &key);
                participants.push((IdentityId::new(id)?, Arc::new(key)));
            }
            participants
                .iter()
                .map(|(id, _)| format!("\"{id}\""))
                .collect()
        }
    };
    text.push_str(&format!(
        "\n[[channel]]\nid = \"{CHANNEL}\"\npolicy = \"open\"\nmembers = [{}]\nreaders = [{}]\n",
        members.join(", "),
        reader_ids.join(", ")
    ));
    std::fs::write(&config, text)?;
    cellload::cell(&config).context("the benchmark cell")?;
    Ok(BenchCell {
        config,
        participants,
    })
}

fn push_identity(text: &mut String, id: &str, role: &str, key: &SigningKey) {
    text.push_str(&format!(
        "\n[[identity]]\nid = \"{id}\"\nrole = \"{role}\"\npublic_key = \"{}\"\n",
        hex::encode(key.public_key().bytes())
    ));
}

/// The fusioncell target: publishers' keys and trust from the cell folder; readers are the
/// `participants` given, or the folder's `watcher` when there are none.
pub(super) fn fusion_target(
    config: &Path,
    url: &str,
    publishers: usize,
    participants: Vec<(IdentityId, Arc<SigningKey>)>,
) -> anyhow::Result<FusionTarget> {
    let client = |id: &str| {
        cellload::client_config(&ConnectArgs {
            config: Some(config.to_path_buf()),
            relay: Some(url.to_owned()),
            identity: id.to_owned(),
            ..Default::default()
        })
        .with_context(|| format!("identity `{id}` of {}", config.display()))
    };
    let mut pubs = Vec::new();
    for i in 0..publishers {
        let c = client(&format!("pub-{i}"))?;
        pubs.push((c.identity, c.key));
    }
    let subscribers = if participants.is_empty() {
        vec![(IdentityId::new(WATCHER)?, client(WATCHER)?.key)]
    } else {
        participants
    };
    let loaded = cellload::cell(config)?;
    let ca = &loaded.cell.relay().ca;
    let ca_pem = url
        .starts_with("wss://")
        .then(|| std::fs::read(ca).with_context(|| ca.display().to_string()))
        .transpose()?;
    Ok(FusionTarget {
        url: url.to_owned(),
        ca_pem,
        cell: loaded.cell.id().clone(),
        relay_key: PublicKeyBytes(*loaded.cell.relay().public_key.bytes()),
        directory: Directory::new(loaded.cell.id(), loaded.cell.identity_infos()),
        channel: ChannelId::new(CHANNEL)?,
        publishers: pubs,
        subscribers,
    })
}
