//! Test fixture: a cell with real keys (a relay and two identities, `alpha` and `bravo`) and
//! helpers to build signed records and to edit journal files by line.

use std::fs;
use std::path::Path;

use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::canonical::act_bytes;
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Checkpoint, Digest, IdentityId, OpenBody, OpenChannel,
    OpenIdentity, PublicKeyBytes, Record, Role, SignatureBytes,
};

use crate::error::JournalFile;

pub(crate) struct Fixture {
    pub(crate) cell: CellId,
    pub(crate) relay: SigningKey,
    pub(crate) alpha: SigningKey,
    pub(crate) bravo: SigningKey,
}

fn pk(k: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(*k.public_key().bytes())
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Fixture {
            cell: CellId::new("paris").unwrap(),
            relay: SigningKey::generate().unwrap(),
            alpha: SigningKey::generate().unwrap(),
            bravo: SigningKey::generate().unwrap(),
        }
    }

    pub(crate) fn open_body(&self) -> OpenBody {
        let id = |s: &str| IdentityId::new(s).unwrap();
        OpenBody {
            cell: self.cell.clone(),
            config_sha256: Digest(sha256(b"cell.toml")),
            relay_key: pk(&self.relay),
            identities: vec![
                OpenIdentity {
                    id: id("alpha"),
                    role: Role::Party,
                    public_key: pk(&self.alpha),
                },
                OpenIdentity {
                    id: id("bravo"),
                    role: Role::Party,
                    public_key: pk(&self.bravo),
                },
            ],
            channels: vec![OpenChannel {
                id: ChannelId::new("talks").unwrap(),
                policy: "open".into(),
                members: vec![id("alpha"), id("bravo")],
                readers: vec![],
            }],
        }
    }

    /// A record of any kind, in any cell, signed with any key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn act(
        &self,
        seq: u64,
        kind: ActKind,
        cell: &CellId,
        actor: &str,
        actor_seq: u64,
        body: &str,
        key: &SigningKey,
    ) -> Record {
        let act = Act {
            kind,
            cell: cell.clone(),
            channel: (kind == ActKind::Post).then(|| ChannelId::new("talks").unwrap()),
            actor: IdentityId::new(actor).unwrap(),
            seq: actor_seq,
            ts: 1_700_000_000_000 + seq as i64,
            body_sha256: Digest(sha256(body.as_bytes())),
        };
        let sig = SignatureBytes(key.sign(&act_bytes(&act)));
        Record {
            seq,
            ts: 1_700_000_000_500 + seq as i64,
            act,
            body: Some(Body::decode(kind, body.to_owned()).unwrap()),
            sig,
        }
    }

    /// A record in this cell.
    pub(crate) fn signed(
        &self,
        seq: u64,
        kind: ActKind,
        actor: &str,
        actor_seq: u64,
        body: &str,
        key: &SigningKey,
    ) -> Record {
        self.act(seq, kind, &self.cell, actor, actor_seq, body, key)
    }

    /// Record 0.
    pub(crate) fn open_record(&self) -> Record {
        let body = serde_json::to_string(&self.open_body()).unwrap();
        self.signed(0, ActKind::Open, "relay", 0, &body, &self.relay)
    }

    /// A post by `alpha` or `bravo`, signed with its own key.
    pub(crate) fn post(&self, seq: u64, actor: &str, actor_seq: u64, body: &str) -> Record {
        let key = match actor {
            "alpha" => &self.alpha,
            _ => &self.bravo,
        };
        self.signed(seq, ActKind::Post, actor, actor_seq, body, key)
    }

    /// Record 0 and `n` posts alternating `alpha`, `bravo`, each with act seqs 1, 2, ...
    pub(crate) fn records(&self, n: u64) -> Vec<Record> {
        let mut out = vec![self.open_record()];
        out.extend((1..=n).map(|seq| self.nth_post(seq)));
        out
    }

    /// The post `records` puts at `seq` (≥ 1).
    pub(crate) fn nth_post(&self, seq: u64) -> Record {
        let actor = if seq % 2 == 1 { "alpha" } else { "bravo" };
        self.post(seq, actor, seq.div_ceil(2), &format!("message {seq}"))
    }

    /// A checkpoint signed by `key`.
    pub(crate) fn checkpoint(
        &self,
        size: u64,
        root: [u8; 32],
        ts: i64,
        key: &SigningKey,
    ) -> Checkpoint {
        let bytes =
            fusioncell_wire::canonical::checkpoint_bytes(&self.cell, size, &Digest(root), ts);
        Checkpoint {
            cell: self.cell.clone(),
            size,
            root: Digest(root),
            ts,
            sig: SignatureBytes(key.sign(&bytes)),
        }
    }
}

/// The lines of a journal file, each with its `\n`.
pub(crate) fn read_lines(dir: &Path, file: JournalFile) -> Vec<String> {
    fs::read_to_string(dir.join(file.name()))
        .unwrap()
        .split_inclusive('\n')
        .map(str::to_owned)
        .collect()
}

pub(crate) fn write_lines(dir: &Path, file: JournalFile, lines: &[String]) {
    fs::write(dir.join(file.name()), lines.concat()).unwrap();
}

/// One record as a journal line.
pub(crate) fn line(r: &Record) -> String {
    serde_json::to_string(r).unwrap() + "\n"
}
