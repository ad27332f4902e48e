//! The physical limits of the per-act path: one Ed25519 signature (what a client pays per
//! act) and one verification (what the relay pays per act), with ring; and SHA-256 of a
//! 256-byte body.
//!
//! ```text
//! cargo bench -p fusioncell-keys --bench ed25519
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fusioncell_keys::{SigningKey, sha256};

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_seed([2; 32]);
    let public = key.public_key();
    // About the size of an act's canonical bytes.
    let msg = vec![0x5a_u8; 160];
    let sig = key.sign(&msg);
    let body = vec![b'x'; 256];

    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign", |b| b.iter(|| key.sign(black_box(&msg))));
    g.bench_function("verify", |b| {
        b.iter(|| public.verify(black_box(&msg), black_box(&sig)).is_ok())
    });
    g.finish();

    let mut g = c.benchmark_group("sha256");
    g.throughput(Throughput::Bytes(256));
    g.bench_function("256B", |b| b.iter(|| sha256(black_box(&body))));
    g.finish();
}

criterion_group!(ed25519, benches);
criterion_main!(ed25519);
