//! The physical limits of the per-act path: one Ed25519 signature (what a client pays per
//! act) and one verification (what the relay pays per act); and SHA-256 of a 256-byte body.
//!
//! `verify` is the project's verifier (ed25519-dalek on a key decompressed once). The
//! `verify_alternatives` group measures what it was chosen against: ring (which decompresses
//! the key on every call), and ed25519-dalek's batch verification, which is faster but does not
//! follow the rule of PROTOCOL.md §12 (it accepts `sig.r_torsion`), so the relay does not use it.
//!
//! ```text
//! cargo bench -p fusioncell-keys --bench ed25519
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signature, VerifyingKey};
use fusioncell_keys::{SigningKey, sha256};
use ring::signature::{ED25519, UnparsedPublicKey};

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

    let mut g = c.benchmark_group("verify_alternatives");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ring", |b| {
        let ring_key = UnparsedPublicKey::new(&ED25519, *public.bytes());
        b.iter(|| ring_key.verify(black_box(&msg), black_box(&sig)).is_ok())
    });
    g.finish();
    const BATCH: usize = 64;
    let signers: Vec<SigningKey> = (0..BATCH)
        .map(|i| SigningKey::from_seed([i as u8; 32]))
        .collect();
    let msgs: Vec<Vec<u8>> = (0..BATCH).map(|i| vec![i as u8; 160]).collect();
    let sigs: Vec<Signature> = signers
        .iter()
        .zip(&msgs)
        .map(|(k, m)| Signature::from_bytes(&k.sign(m)))
        .collect();
    let keys: Vec<VerifyingKey> = signers
        .iter()
        .map(|k| VerifyingKey::from_bytes(k.public_key().bytes()).expect("valid key"))
        .collect();
    let msg_refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("verify_alternatives");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("dalek_batch_64", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&msg_refs), &sigs, &keys).is_ok())
    });
    g.finish();

    let mut g = c.benchmark_group("sha256");
    g.throughput(Throughput::Bytes(256));
    g.bench_function("256B", |b| b.iter(|| sha256(black_box(&body))));
    g.finish();
}

criterion_group!(ed25519, benches);
criterion_main!(ed25519);
