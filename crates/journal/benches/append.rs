//! The journal's per-act costs: appending with and without fsync, one record per batch and
//! 100 per batch (group commit), the Merkle append, and a bare `fdatasync` of this disk.
//!
//! ```text
//! cargo bench -p fusioncell-journal --bench append
//! ```
//!
//! Throughput is in records, so `fsync_batch_100` reads as the per-record cost of a batch of
//! 100. Signatures are dummies: `append` does not re-verify them (the relay did).

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fusioncell_journal::merkle::{Tree, leaf_hash};
use fusioncell_journal::{Journal, Options};
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Digest, IdentityId, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, Record, Role, SignatureBytes,
};

const T0: i64 = 1_764_115_200_000;

/// A journal holding its `open` record, and a maker of the posts that follow.
struct Fixture {
    journal: Journal,
    cell: CellId,
    channel: ChannelId,
    actor: IdentityId,
    next_act: u64,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new(fsync: bool) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let cell = CellId::new("bench-cell").expect("cell");
        let channel = ChannelId::new("talks").expect("channel");
        let actor = IdentityId::new("party-0").expect("id");
        let relay = SigningKey::from_seed([1; 32]);
        let party = SigningKey::from_seed([2; 32]);
        let pk = |k: &SigningKey| PublicKeyBytes(*k.public_key().bytes());
        let open = OpenBody {
            cell: cell.clone(),
            config_sha256: Digest([0; 32]),
            relay_key: pk(&relay),
            identities: vec![OpenIdentity {
                id: actor.clone(),
                role: Role::Party,
                public_key: pk(&party),
            }],
            channels: vec![OpenChannel {
                id: channel.clone(),
                policy: "open".into(),
                members: vec![actor.clone()],
                readers: vec![],
            }],
        };
        let text = serde_json::to_string(&open).expect("open");
        let act = Act {
            kind: ActKind::Open,
            cell: cell.clone(),
            channel: None,
            actor: IdentityId::relay(),
            seq: 0,
            ts: T0,
            body_sha256: Digest(sha256(text.as_bytes())),
        };
        let first = Record {
            seq: 0,
            ts: T0,
            sig: SignatureBytes(relay.sign(&fusioncell_wire::canonical::act_bytes(&act))),
            act,
            body: Some(Body::decode(ActKind::Open, text).expect("open decodes")),
        };
        let (mut journal, _) =
            Journal::open(&dir.path().join("journal"), Options { fsync }, |_| {}).expect("open");
        let _ = journal.append(&[first]).expect("append open");
        Fixture {
            journal,
            cell,
            channel,
            actor,
            next_act: 1,
            _dir: dir,
        }
    }

    /// The next `n` posts (256-byte bodies).
    fn posts(&mut self, n: usize) -> Vec<Record> {
        let first = self.journal.size();
        let next_act = self.next_act;
        self.next_act += n as u64;
        (0..n as u64)
            .map(|i| {
                let body = "x".repeat(256);
                let act = Act {
                    kind: ActKind::Post,
                    cell: self.cell.clone(),
                    channel: Some(self.channel.clone()),
                    actor: self.actor.clone(),
                    seq: next_act + i,
                    ts: T0,
                    body_sha256: Digest(sha256(body.as_bytes())),
                };
                Record {
                    seq: first + i,
                    ts: T0,
                    act,
                    body: Some(Body::post(body)),
                    sig: SignatureBytes([0; 64]),
                }
            })
            .collect()
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    for fsync in [true, false] {
        for batch in [1usize, 100] {
            let name = format!("{}_batch_{batch}", if fsync { "fsync" } else { "no_fsync" });
            g.throughput(Throughput::Elements(batch as u64));
            let mut f = Fixture::new(fsync);
            g.bench_function(name, |b| {
                b.iter_batched(
                    || (),
                    |()| {
                        let records = f.posts(batch);
                        f.journal.append(&records).expect("append").count()
                    },
                    BatchSize::PerIteration,
                );
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("merkle");
    g.throughput(Throughput::Elements(1));
    g.bench_function("push", |b| {
        let mut tree = Tree::new();
        let leaf = vec![0x42u8; 200];
        b.iter(|| tree.push(leaf_hash(black_box(&leaf))));
    });
    g.finish();

    let mut g = c.benchmark_group("fdatasync");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    g.bench_function("alone", |b| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut file = std::fs::File::create(dir.path().join("sync")).expect("file");
        let line = [b'x'; 600];
        b.iter(|| {
            file.write_all(&line).expect("write");
            file.sync_data().expect("fdatasync");
        });
    });
    g.finish();
}

criterion_group!(append, benches);
criterion_main!(append);
