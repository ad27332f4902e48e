//! The relay's per-act CPU path, one step at a time:
//!
//! ```text
//! cargo bench -p fusioncell-relay --bench pipeline
//! ```
//!
//! - `verify/act`: `verify::verify` on a 256-byte post (cell, kind, body hash, Ed25519);
//! - `sequencer/decide`: one accepted decision (retry/equivocation check, per-actor sequence,
//!   clock skew, authorization), on an already verified act;
//! - `fanout/encode`: the `deliver` frame of one record, built once for all recipients;
//! - `fanout/queue_100`: that frame queued to 100 live sessions (and taken off their queues,
//!   as their writers would).
//!
//! Under `cargo test --benches` each runs once.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fusioncell_cell::Cell;
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_relay::fanout::{Fanout, Killer, SessionHandle, deliver_frame};
use fusioncell_relay::outbound;
use fusioncell_relay::sequencer::{Decision, Sequencer};
use fusioncell_relay::verify::verify;
use fusioncell_wire::{
    Act, ActKind, ChannelId, Digest, IdentityId, Record, Role, SignatureBytes, SignedAct, canonical,
};

const NOW: i64 = 1_764_115_200_000;

/// The example cell with room for 100 sessions of one identity.
fn cell() -> Arc<Cell> {
    let text = include_str!("../../../config/cell.example.toml").replace(
        "# max_sessions_per_identity = 4",
        "max_sessions_per_identity = 1000",
    );
    Arc::new(Cell::from_toml(&text, Path::new("config")).expect("example cell"))
}

/// The development key of `israel` (certs-example/keys).
fn israel() -> SigningKey {
    SigningKey::from_seed([2; 32])
}

/// A signed 256-byte post by israel with act sequence number `seq`.
fn post(cell: &Cell, key: &SigningKey, seq: u64) -> SignedAct {
    let body = format!("{seq:0>256}");
    let act = Act {
        kind: ActKind::Post,
        cell: cell.id().clone(),
        channel: Some(ChannelId::new("diplomacy").expect("channel")),
        actor: IdentityId::new("israel").expect("id"),
        seq,
        ts: NOW,
        body_sha256: Digest(sha256(body.as_bytes())),
    };
    let sig = SignatureBytes(key.sign(&canonical::act_bytes(&act)));
    SignedAct { act, body, sig }
}

fn benches(c: &mut Criterion) {
    let cell = cell();
    let key = israel();
    let signed = post(&cell, &key, 1);

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("act", |b| {
        b.iter_batched(
            || signed.clone(),
            |s| verify(black_box(&cell), s).is_ok(),
            BatchSize::SmallInput,
        );
    });
    g.finish();

    let mut g = c.benchmark_group("sequencer");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decide", |b| {
        let mut seq = Sequencer::new(cell.clone());
        let mut next = 1;
        // Signing is setup: only the decision is timed.
        b.iter_batched(
            || {
                let v = verify(&cell, post(&cell, &key, next)).expect("verifies");
                next += 1;
                v
            },
            |v| {
                let d = seq.decide(v, NOW, &|_| None);
                assert!(matches!(d, Decision::Accept(_)));
                d
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();

    let record = Record::from_signed(7, NOW, signed.clone()).expect("a post decodes");
    let mut g = c.benchmark_group("fanout");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode", |b| {
        b.iter(|| deliver_frame(black_box(&record), None));
    });
    let mut fanout = Fanout::new(&cell, fusioncell_relay::metrics::Metrics::detached(&cell));
    let mut queues = Vec::new();
    for id in 0..100 {
        let (tx, rx) = outbound::queue(1024, usize::MAX);
        fanout.register(SessionHandle {
            id,
            identity: IdentityId::new("evaluator").expect("id"),
            role: Role::Evaluator,
            tx,
            killer: Killer::default(),
            presence: Default::default(),
        });
        fanout.go_live(id);
        queues.push(rx);
    }
    g.throughput(Throughput::Elements(100));
    g.bench_function("queue_100", |b| {
        b.iter(|| {
            fanout.broadcast(deliver_frame(black_box(&record), None));
            for rx in &mut queues {
                while rx.try_recv().is_some() {}
            }
        });
    });
    assert_eq!(fanout.len(), 100, "no session was closed as too slow");
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
