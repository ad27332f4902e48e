//! Encoding costs of one act: its canonical (signed) bytes, its Merkle leaf bytes, the
//! journal line / `deliver` record JSON, and parsing an `act` frame as the relay does.
//!
//! ```text
//! cargo bench -p fusioncell-wire --bench canonical
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fusioncell_wire::{
    Act, ActKind, CellId, ChannelId, ClientMsg, Digest, IdentityId, Record, SignatureBytes,
    SignedAct, canonical,
};

fn benches(c: &mut Criterion) {
    let act = Act {
        kind: ActKind::Post,
        cell: CellId::new("paris-joint-cell").expect("cell"),
        channel: Some(ChannelId::new("diplomacy").expect("channel")),
        actor: IdentityId::new("israel").expect("id"),
        seq: 12_345,
        ts: 1_764_115_200_000,
        body_sha256: Digest([7; 32]),
    };
    let signed = SignedAct {
        act: act.clone(),
        body: "x".repeat(256),
        sig: SignatureBytes([9; 64]),
    };
    let record =
        Record::from_signed(99, 1_764_115_200_001, signed.clone()).expect("a post decodes");
    let frame = ClientMsg::Act(signed).to_json();

    let mut g = c.benchmark_group("wire");
    g.throughput(Throughput::Elements(1));
    g.bench_function("act_bytes", |b| {
        b.iter(|| canonical::act_bytes(black_box(&act)))
    });
    g.bench_function("leaf_bytes", |b| {
        b.iter(|| canonical::leaf_bytes(99, 1, black_box(&act), &[9; 64]))
    });
    g.bench_function("record_json", |b| {
        b.iter(|| serde_json::to_string(black_box(&record)).expect("json"))
    });
    g.bench_function("parse_act_frame", |b| {
        b.iter(|| ClientMsg::from_json(black_box(&frame)).expect("parses"))
    });
    g.finish();
}

criterion_group!(wire, benches);
criterion_main!(wire);
