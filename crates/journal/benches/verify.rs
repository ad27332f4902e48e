//! Verify and recovery throughput against this machine's raw Ed25519 verify rate, measured in
//! the same run.
//!
//! ```text
//! cargo bench -p fusioncell-journal --bench verify
//! FUSIONCELL_BENCH_RECORDS=1000000 cargo bench -p fusioncell-journal --bench verify
//! ```
//!
//! Builds a journal of 20,000 (or `FUSIONCELL_BENCH_RECORDS`) signed posts by eight identities
//! (bodies of about 150 bytes, a checkpoint every 100 records), then criterion measures:
//! - `ed25519/verify`: one signature check as `verify` makes it, on one thread;
//! - `verify/all_cores`: `verify_with` over the whole journal, every core;
//! - `verify/one_thread`: the same on the calling thread only.
//!
//! Above 100,000 records criterion is skipped (one iteration takes seconds). A summary
//! follows either way, timed directly (median of several runs) so the ratios are in one line:
//! verify records/s against cores × the raw one-thread rate (the goal is at least 80 %) and
//! against the raw rate measured with every core verifying at once (what the cores really give
//! together); and restart recovery (`Journal::open`, what the relay does on start) against
//! verify (the goal: no slower).
//!
//! Under `cargo test --benches` (no `--bench` flag) it checks a 300-record journal once.
//! With `FUSIONCELL_BENCH_JOURNAL=DIR` it only writes the 20,000-record journal into `DIR`
//! (which must not hold one), to try `fusioncell audit verify` on, and exits.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use fusioncell_journal::{Journal, Options, VerifyOptions, verify_with};
use fusioncell_keys::{PublicKey, SigningKey, sha256};
use fusioncell_wire::canonical::act_bytes;
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Digest, IdentityId, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, Record, Role, SignatureBytes,
};

const RECORDS: u64 = 20_000;
/// Above this many records, only the directly timed summary runs.
const CRITERION_MAX: u64 = 100_000;
const IDENTITIES: usize = 8;
const CHECKPOINT_EVERY: usize = 100;

/// A signed message and the key that verifies it.
struct Sample {
    key: PublicKey,
    msg: Vec<u8>,
    sig: [u8; 64],
}

fn pk(k: &SigningKey) -> PublicKeyBytes {
    PublicKeyBytes(*k.public_key().bytes())
}

/// Writes record 0 and `posts` posts into `dir`; returns some of the posts as raw samples.
fn generate(dir: &Path, posts: u64) -> Vec<Sample> {
    let cell = CellId::new("bench-cell").expect("cell id");
    let channel = ChannelId::new("talks").expect("channel id");
    let relay = SigningKey::generate().expect("key");
    let ids: Vec<(IdentityId, SigningKey)> = (0..IDENTITIES)
        .map(|i| {
            let id = IdentityId::new(format!("party-{i}")).expect("id");
            (id, SigningKey::generate().expect("key"))
        })
        .collect();
    let open = OpenBody {
        cell: cell.clone(),
        config_sha256: Digest([0; 32]),
        relay_key: pk(&relay),
        identities: ids
            .iter()
            .map(|(id, k)| OpenIdentity {
                id: id.clone(),
                role: Role::Party,
                public_key: pk(k),
            })
            .collect(),
        channels: vec![OpenChannel {
            id: channel.clone(),
            policy: "open".into(),
            members: ids.iter().map(|(id, _)| id.clone()).collect(),
            readers: vec![],
        }],
    };
    let record = |seq: u64, act: Act, body: String, key: &SigningKey| Record {
        seq,
        ts: 1_764_115_200_000 + seq as i64,
        sig: SignatureBytes(key.sign(&act_bytes(&act))),
        body: Some(Body::decode(act.kind, body).expect("bench bodies decode")),
        act,
    };
    let open_text = serde_json::to_string(&open).expect("open body");
    let open_act = Act {
        kind: ActKind::Open,
        cell: cell.clone(),
        channel: None,
        actor: IdentityId::relay(),
        seq: 0,
        ts: 1_764_115_200_000,
        body_sha256: Digest(sha256(open_text.as_bytes())),
    };
    let post = |seq: u64| {
        let (id, key) = &ids[seq as usize % IDENTITIES];
        let body = format!(
            "Message {seq}: position report, grid reference and assessment of the sector; \
             movements observed overnight, confidence moderate. Requesting confirmation."
        );
        let act = Act {
            kind: ActKind::Post,
            cell: cell.clone(),
            channel: Some(channel.clone()),
            actor: id.clone(),
            seq: seq.div_ceil(IDENTITIES as u64) + 1,
            ts: 1_764_115_200_000 + seq as i64,
            body_sha256: Digest(sha256(body.as_bytes())),
        };
        record(seq, act, body, key)
    };
    // Signed on every core: a million signatures take half a minute on one.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let share = posts.div_ceil(cores);
    let mut all = vec![record(0, open_act, open_text, &relay)];
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..cores)
            .map(|c| {
                let post = &post;
                s.spawn(move || {
                    (c * share + 1..=((c + 1) * share).min(posts))
                        .map(post)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for part in parts {
            all.extend(part.join().expect("signing thread"));
        }
    });
    let (mut journal, _) = Journal::open(dir, Options { fsync: false }, |_| {}).expect("journal");
    for (i, chunk) in all.chunks(CHECKPOINT_EVERY).enumerate() {
        let _ = journal.append(chunk).expect("append");
        journal.checkpoint(&relay, i as i64).expect("checkpoint");
    }
    let keys: Vec<PublicKey> = ids.iter().map(|(_, k)| k.public_key()).collect();
    all.iter()
        .skip(1)
        .take(256)
        .map(|r| Sample {
            key: keys[r.seq as usize % IDENTITIES],
            msg: act_bytes(&r.act),
            sig: r.sig.0,
        })
        .collect()
}

/// Signature checks per second on one thread, over `samples`, for about `secs` seconds.
fn raw_rate(samples: &[Sample], secs: f64) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for s in samples {
            assert!(black_box(&s.key).verify(black_box(&s.msg), &s.sig).is_ok());
        }
        n += samples.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Median seconds of `runs` runs of `work`.
fn median_secs<T>(runs: usize, mut work: impl FnMut() -> T) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Median seconds of `runs` verifications of the journal on `threads` threads (0: every core).
fn verify_secs(dir: &Path, threads: usize, runs: usize) -> f64 {
    median_secs(runs, || {
        verify_with(dir, &VerifyOptions::new().threads(threads)).expect("verifies")
    })
}

fn main() {
    if let Some(dir) = std::env::var_os("FUSIONCELL_BENCH_JOURNAL") {
        generate(Path::new(&dir), RECORDS);
        return;
    }
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let wanted = std::env::var("FUSIONCELL_BENCH_RECORDS")
        .ok()
        .map(|n| {
            n.parse::<u64>()
                .expect("FUSIONCELL_BENCH_RECORDS: a number of records")
        })
        .unwrap_or(RECORDS);
    let records = if benchmarking { wanted } else { 300 };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let samples = generate(dir, records);
    let total = records + 1;
    if !benchmarking {
        let v = verify_with(dir, &VerifyOptions::new()).expect("verifies");
        assert_eq!(v.report.records, total);
        assert_eq!(v.report.unsigned_tail, 0);
        return;
    }

    if records <= CRITERION_MAX {
        criterion_groups(dir, &samples, total);
    }
    summary(dir, &samples, total);
}

fn criterion_groups(dir: &Path, samples: &[Sample], total: u64) {
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("ed25519");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| {
        let mut i = 0;
        b.iter(|| {
            let s = &samples[i % samples.len()];
            i += 1;
            black_box(&s.key).verify(black_box(&s.msg), &s.sig).is_ok()
        });
    });
    group.finish();
    let mut group = c.benchmark_group("verify");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(total));
    group.bench_function("all_cores", |b| {
        b.iter(|| verify_with(dir, &VerifyOptions::new()).expect("verifies"));
    });
    group.bench_function("one_thread", |b| {
        b.iter(|| verify_with(dir, &VerifyOptions::new().threads(1)).expect("verifies"));
    });
    group.finish();
    c.final_summary();
}

/// Median seconds of `runs` recoveries: `Journal::open` as the relay does it on start.
fn recovery_secs(dir: &Path, runs: usize) -> f64 {
    median_secs(runs, || {
        let (journal, recovery) = Journal::open(dir, Options::default(), |_| {}).expect("recovers");
        (journal.size(), recovery)
    })
}

fn summary(dir: &Path, samples: &[Sample], total: u64) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let raw = raw_rate(samples, 3.0);
    let raw_all: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| s.spawn(|| raw_rate(samples, 3.0)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("raw thread"))
            .sum()
    });
    let big = total > CRITERION_MAX;
    let all_secs = verify_secs(dir, 0, if big { 3 } else { 7 });
    let all = total as f64 / all_secs;
    let one = total as f64 / verify_secs(dir, 1, if big { 1 } else { 3 });
    let recovery = recovery_secs(dir, 3);
    println!();
    println!("summary ({total} records, {cores} cores):");
    println!("  raw Ed25519 verify, one thread:        {raw:>9.0} /s");
    println!(
        "  cores x raw:                           {:>9.0} /s",
        raw * cores as f64
    );
    println!("  raw verify, all {cores} cores at once:     {raw_all:>9.0} /s");
    println!(
        "  verify, all cores:                     {all:>9.0} records/s = {:.1} % of cores x raw \
         ({:.1} % of the all-cores raw rate)",
        100.0 * all / (raw * cores as f64),
        100.0 * all / raw_all
    );
    println!(
        "  verify, one thread:                    {one:>9.0} records/s = {:.1} % of raw",
        100.0 * one / raw
    );
    println!(
        "  recovery (Journal::open):              {:>9.0} records/s in {recovery:.2} s = {:.2} x \
         the verify time ({all_secs:.2} s)",
        total as f64 / recovery,
        recovery / all_secs
    );
}
