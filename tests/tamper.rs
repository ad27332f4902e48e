//! The tamper harness (SECURITY.md, §3.3: a log rewritten or cut): a journal from a real run —
//! a relay with real TLS, four identities posting on five channels, a held post approved by
//! the mediator, a redaction, the clock started, paused and resumed, witnesses cosigning, a
//! clean shutdown that checkpoints everything — then more than 1,000 seeded random mutations,
//! each applied to a fresh copy of the journal folder and checked as `fusioncell audit verify
//! --config` checks it.
//!
//! Every mutation must be detected (an error naming a line of a file), except the classes that
//! no check of the files alone can catch, which are named here and must be *reported* as what
//! they are:
//! - whole checkpoint lines removed (from the middle: every record is still covered by a later
//!   checkpoint; from the end: the records they covered become the unsigned tail, which verify
//!   reports);
//! - whole records cut off after the last checkpoint (the unsigned tail; see the second test);
//! - the journal rolled back to an earlier checkpoint (records and later checkpoints cut):
//!   only a checkpoint someone kept shows it, and `consistency` does.
//!
//! Byte flips that a lenient parser would read as the same document (uppercase hex, other
//! whitespace, escapes) are not such a class: the journal refuses any line that is not its
//! canonical encoding.
//!
//! The seed is printed; set `FUSIONCELL_TAMPER_SEED` to replay a run. `--nocapture` shows the
//! counts per kind of mutation.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use fusioncell::load::LoadedCell;
use fusioncell_journal::{Defect, InclusionProof, Mismatch, Tree, VerifyError, leaf_hash};
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::act_body::{ClockAction, ClockBody, RedactBody};
use fusioncell_wire::canonical::{act_bytes, checkpoint_bytes};
use fusioncell_wire::{
    Act, ActKind, Body, ChannelId, Checkpoint, Digest, OpenBody, PublicKeyBytes, Record,
    SignatureBytes,
};

use crate::harness::*;

const DEFAULT_SEED: u64 = 0x7a3e_5eed_0000_0004;
/// Mutations of each kind on the checkpointed journal.
const PER_KIND: usize = 100;
/// Random truncations of the journal with an unsigned tail.
const TAIL_CUTS: usize = 80;

/// xorshift64*: enough randomness to place mutations, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n` > 0; the bias is negligible for these sizes).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

async fn clock(c: &fusioncell_client::Client, action: ClockAction, speed: Option<u32>) {
    c.act_json(
        ActKind::Clock,
        None,
        &ClockBody {
            action,
            speed,
            reason: None,
        },
    )
    .await
    .unwrap();
}

/// A real exercise on a relay in this process, ending in a clean shutdown.
async fn real_run(cell: &TestCell) {
    let relay = Relay::start(cell).await;
    let israel = client(cell, &relay, "israel").await;
    let syria = client(cell, &relay, "syria").await;
    let us = client(cell, &relay, "us").await;
    let control = client(cell, &relay, "control").await;
    // Subscribed clients are sent checkpoints, and cosign them (each party is a witness).
    let mut us_sub = live(&us).await;
    let subs = (live(&israel).await, live(&syria).await);

    clock(&control, ClockAction::Start, Some(60)).await;
    for round in 0..9 {
        israel
            .post(
                &ch("diplomacy"),
                &format!("Israel, round {round}: proposal"),
            )
            .await
            .unwrap();
        syria
            .post(&ch("diplomacy"), &format!("Syria, round {round}: counter"))
            .await
            .unwrap();
        israel
            .post(&ch("commerce"), &format!("Tender {round} for the crossing"))
            .await
            .unwrap();
        syria
            .post(&ch("commerce"), &format!("Bid {round}: 4 trucks"))
            .await
            .unwrap();
    }
    israel
        .post(&ch("us-israel"), "Back channel: red lines")
        .await
        .unwrap();
    us.post(&ch("us-israel"), "Noted.").await.unwrap();
    syria
        .post(&ch("us-syria"), "Back channel: guarantees")
        .await
        .unwrap();

    // A held post of the moderated channel, approved by the mediator.
    let held = israel
        .post(
            &ch("security"),
            "Assessment: movements near the buffer strip.",
        )
        .await
        .unwrap();
    let (pending, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    us.decide(&pending, None).await.unwrap();

    // A spill, redacted: its line is scrubbed in place and padded with spaces.
    let spill = israel
        .post(&ch("diplomacy"), "Source: the liaison officer in sector 3.")
        .await
        .unwrap();
    let redact = RedactBody {
        target: spill.cell_seq,
        reason: "classified spill".into(),
    };
    us.act_json(ActKind::Redact, None, &redact).await.unwrap();

    clock(&control, ClockAction::Pause, None).await;
    us.post(&ch("diplomacy"), "The mediator speaks while paused.")
        .await
        .unwrap();
    clock(&control, ClockAction::Resume, None).await;
    for round in 0..3 {
        syria
            .post(&ch("diplomacy"), &format!("After the pause, {round}"))
            .await
            .unwrap();
    }
    // Let the witnesses cosign what they were sent.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop((us_sub, subs));
    for c in [israel, syria, us, control] {
        c.close().await;
    }
    relay.stop().await;
}

/// A journal folder's two files.
#[derive(Clone, PartialEq, Eq)]
struct Files {
    records: Vec<u8>,
    checkpoints: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Which {
    Records,
    Checkpoints,
}

impl Files {
    fn read(dir: &Path) -> Files {
        Files {
            records: std::fs::read(dir.join("records.jsonl")).unwrap(),
            checkpoints: std::fs::read(dir.join("checkpoints.jsonl")).unwrap(),
        }
    }

    fn write(&self, dir: &Path) {
        std::fs::write(dir.join("records.jsonl"), &self.records).unwrap();
        std::fs::write(dir.join("checkpoints.jsonl"), &self.checkpoints).unwrap();
    }

    fn get(&self, w: Which) -> &Vec<u8> {
        match w {
            Which::Records => &self.records,
            Which::Checkpoints => &self.checkpoints,
        }
    }

    fn get_mut(&mut self, w: Which) -> &mut Vec<u8> {
        match w {
            Which::Records => &mut self.records,
            Which::Checkpoints => &mut self.checkpoints,
        }
    }

    fn lines(&self, w: Which) -> Vec<Vec<u8>> {
        lines(self.get(w))
    }

    fn set_lines(&mut self, w: Which, lines: &[Vec<u8>]) {
        *self.get_mut(w) = lines.concat();
    }

    fn records(&self) -> Vec<Record> {
        self.lines(Which::Records)
            .iter()
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    fn checkpoint_list(&self) -> Vec<Checkpoint> {
        self.lines(Which::Checkpoints)
            .iter()
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }
}

/// Lines with their `\n`.
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn json_line<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut l = serde_json::to_vec(v).unwrap();
    l.push(b'\n');
    l
}

/// The kinds of mutation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    FlipRecordByte,
    FlipCheckpointByte,
    DeleteLine,
    DuplicateLine,
    SwapLines,
    InsertCopiedLine,
    Truncate,
    ResignWrongKey,
    ForgeRedaction,
    RewriteNewRelayKey,
    Rollback,
}

const KINDS: [Kind; 11] = [
    Kind::FlipRecordByte,
    Kind::FlipCheckpointByte,
    Kind::DeleteLine,
    Kind::DuplicateLine,
    Kind::SwapLines,
    Kind::InsertCopiedLine,
    Kind::Truncate,
    Kind::ResignWrongKey,
    Kind::ForgeRedaction,
    Kind::RewriteNewRelayKey,
    Kind::Rollback,
];

/// One mutation: the files after it, what it did, and whether it is undetectable by
/// construction (the class, and the unsigned tail verify must then report).
struct Mutation {
    files: Files,
    what: String,
    by_construction: Option<(&'static str, u64)>,
}

/// The unsigned tail the files have if their records and checkpoints are otherwise sound.
fn expected_tail(files: &Files) -> u64 {
    let records = files.lines(Which::Records).len() as u64;
    let signed = files.checkpoint_list().last().map_or(0, |c| c.size);
    records.saturating_sub(signed)
}

fn pick_file(rng: &mut Rng) -> Which {
    if rng.one_in(4) {
        Which::Checkpoints
    } else {
        Which::Records
    }
}

/// Re-signs every relay act and checkpoint under a new relay key (named in a new record 0),
/// keeping the first `keep` records: the rewrite of someone who controls the relay's files
/// but not its key.
fn rewrite(files: &Files, keep: usize, key: &SigningKey) -> Files {
    let mut records = files.records();
    records.truncate(keep);
    let open = &mut records[0];
    let mut body: OpenBody = serde_json::from_str(open.text().unwrap()).unwrap();
    body.relay_key = PublicKeyBytes(*key.public_key().bytes());
    let text = serde_json::to_string(&body).unwrap();
    open.act.body_sha256 = Digest(sha256(text.as_bytes()));
    open.body = Some(Body::decode(ActKind::Open, text).unwrap());
    let mut tree = Tree::new();
    for r in &mut records {
        if r.act.actor.is_relay() {
            r.sig = SignatureBytes(key.sign(&act_bytes(&r.act)));
        }
        tree.push(leaf_hash(&r.leaf_bytes()));
    }
    let old = files.checkpoint_list();
    let mut sizes: Vec<(u64, i64)> = old
        .iter()
        .filter(|c| c.size <= keep as u64)
        .map(|c| (c.size, c.ts))
        .collect();
    if sizes.last().map(|s| s.0) != Some(keep as u64) {
        sizes.push((keep as u64, old.last().map_or(0, |c| c.ts)));
    }
    let cell = old[0].cell.clone();
    let checkpoints: Vec<Checkpoint> = sizes
        .into_iter()
        .map(|(size, ts)| {
            let root = Digest(tree.root_at(size).unwrap());
            Checkpoint {
                sig: SignatureBytes(key.sign(&checkpoint_bytes(&cell, size, &root, ts))),
                cell: cell.clone(),
                size,
                root,
                ts,
            }
        })
        .collect();
    Files {
        records: records.iter().flat_map(json_line).collect(),
        checkpoints: checkpoints.iter().flat_map(json_line).collect(),
    }
}

/// Makes one mutation of `kind` to `good`.
fn mutate(kind: Kind, good: &Files, rng: &mut Rng) -> Mutation {
    let mut files = good.clone();
    let mut by_construction = None;
    let what = match kind {
        Kind::FlipRecordByte | Kind::FlipCheckpointByte => {
            let w = if kind == Kind::FlipRecordByte {
                Which::Records
            } else {
                Which::Checkpoints
            };
            let bytes = files.get_mut(w);
            let at = rng.below(bytes.len());
            let mask = 1 + rng.below(255) as u8;
            let was = bytes[at];
            bytes[at] ^= mask;
            format!("{w:?} byte {at}: {was:#04x} -> {:#04x}", bytes[at])
        }
        Kind::DeleteLine => {
            let w = pick_file(rng);
            let mut lines = files.lines(w);
            let i = rng.below(lines.len());
            lines.remove(i);
            files.set_lines(w, &lines);
            if w == Which::Checkpoints {
                by_construction = Some(("a whole checkpoint line removed", expected_tail(&files)));
            }
            format!("{w:?} line {} deleted", i + 1)
        }
        Kind::DuplicateLine => {
            let w = pick_file(rng);
            let mut lines = files.lines(w);
            let i = rng.below(lines.len());
            lines.insert(i + 1, lines[i].clone());
            files.set_lines(w, &lines);
            format!("{w:?} line {} duplicated", i + 1)
        }
        Kind::SwapLines => {
            let mut w = pick_file(rng);
            if files.lines(w).len() < 2 {
                w = Which::Records;
            }
            let mut lines = files.lines(w);
            let i = rng.below(lines.len());
            let j = (i + 1 + rng.below(lines.len() - 1)) % lines.len();
            lines.swap(i, j);
            files.set_lines(w, &lines);
            format!("{w:?} lines {} and {} swapped", i + 1, j + 1)
        }
        Kind::InsertCopiedLine => {
            let (from, to) = (pick_file(rng), pick_file(rng));
            let source = files.lines(from);
            let i = rng.below(source.len());
            let mut lines = files.lines(to);
            let j = rng.below(lines.len() + 1);
            lines.insert(j, source[i].clone());
            files.set_lines(to, &lines);
            format!("{from:?} line {} copied to {to:?} line {}", i + 1, j + 1)
        }
        Kind::Truncate => {
            let w = pick_file(rng);
            let bytes = files.get_mut(w);
            let at = rng.below(bytes.len());
            let boundary = at == 0 || bytes[at - 1] == b'\n';
            bytes.truncate(at);
            if w == Which::Checkpoints && boundary {
                by_construction = Some((
                    "whole checkpoint lines cut off the end",
                    expected_tail(&files),
                ));
            }
            format!("{w:?} truncated to {at} bytes")
        }
        Kind::ResignWrongKey => {
            let mut records = files.records();
            let i = rng.below(records.len());
            let r = &mut records[i];
            let content = rng.one_in(2);
            if content {
                let body = format!("forged text {}", rng.next());
                r.act.body_sha256 = Digest(sha256(body.as_bytes()));
                // Any text: a forged line need not even parse as its kind's body.
                r.body = Some(Body::post(body));
            }
            let key = SigningKey::generate().unwrap();
            r.sig = SignatureBytes(key.sign(&act_bytes(&r.act)));
            let mut lines = files.lines(Which::Records);
            lines[i] = json_line(&records[i]);
            files.set_lines(Which::Records, &lines);
            let new = if content { " with new content" } else { "" };
            format!("record {i} re-signed{new} by a fresh key")
        }
        Kind::ForgeRedaction => {
            let mut records = files.records();
            let candidates: Vec<usize> = (1..records.len())
                .filter(|&i| records[i].body.is_some())
                .collect();
            let i = candidates[rng.below(candidates.len())];
            records[i].body = None;
            let mut lines = files.lines(Which::Records);
            lines[i] = json_line(&records[i]);
            files.set_lines(Which::Records, &lines);
            format!("record {i}'s body removed (a redaction with no redact act)")
        }
        Kind::RewriteNewRelayKey => {
            let records = files.records();
            let first_cosign = records
                .iter()
                .position(|r| r.act.kind == ActKind::Cosign)
                .unwrap_or(records.len());
            // Half of them roll back to before any witness cosigned, so no cosignature
            // contradicts the new history: only the relay key (and a held checkpoint) can.
            let keep = if rng.one_in(2) {
                1 + rng.below(first_cosign)
            } else {
                1 + rng.below(records.len())
            };
            files = rewrite(good, keep, &SigningKey::generate().unwrap());
            format!("rewritten under a new relay key, {keep} records kept")
        }
        Kind::Rollback => {
            let cps = files.checkpoint_list();
            let k = rng.below(cps.len() - 1);
            let size = cps[k].size as usize;
            let records = files.lines(Which::Records);
            files.set_lines(Which::Records, &records[..size]);
            let cp_lines = files.lines(Which::Checkpoints);
            files.set_lines(Which::Checkpoints, &cp_lines[..=k]);
            by_construction = Some(("rolled back to an earlier checkpoint", 0));
            format!("rolled back to checkpoint {} (size {size})", k + 1)
        }
    };
    Mutation {
        files,
        what,
        by_construction,
    }
}

/// The kind of a defect, without its details.
fn defect_name(d: &Defect) -> String {
    let debug = format!("{:?}", d.kind);
    let end = debug.find([' ', '(', '{']).unwrap_or(debug.len());
    debug[..end].to_owned()
}

#[derive(Default)]
struct Tally {
    total: usize,
    detected: usize,
    by_construction: BTreeMap<&'static str, usize>,
    undetected: Vec<String>,
    defects: BTreeMap<String, usize>,
    notes: BTreeMap<String, usize>,
}

/// Verifies `files` in a fresh folder, as `audit verify --config` does.
fn check(
    files: &Files,
    loaded: &LoadedCell,
) -> (
    tempfile::TempDir,
    Result<fusioncell_journal::Report, VerifyError>,
) {
    let dir = tempfile::tempdir().unwrap();
    files.write(dir.path());
    let result = fusioncell::cmd::verify_journal(dir.path(), Some(loaded));
    (dir, result)
}

fn seed() -> u64 {
    std::env::var("FUSIONCELL_TAMPER_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        })
        .unwrap_or(DEFAULT_SEED)
}

#[tokio::test]
async fn tamper_harness_detects_every_mutation_but_the_named_classes() {
    let started = std::time::Instant::now();
    let seed = seed();
    println!("tamper harness seed: {seed:#x} (replay with FUSIONCELL_TAMPER_SEED={seed:#x})");
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "10")]);
    real_run(&cell).await;
    let loaded = cell.loaded();
    let good = Files::read(&cell.journal_dir());
    let (_dir, report) = check(&good, &loaded);
    let report = report.expect("the real run's journal verifies");
    assert_eq!(
        report.unsigned_tail, 0,
        "a clean shutdown checkpoints everything"
    );
    assert!(report.checkpoints >= 3, "{report:?}");
    let kinds_seen: std::collections::HashSet<ActKind> =
        good.records().iter().map(|r| r.act.kind).collect();
    for k in [
        ActKind::Open,
        ActKind::Post,
        ActKind::Approve,
        ActKind::Redact,
        ActKind::Clock,
        ActKind::Cosign,
    ] {
        assert!(kinds_seen.contains(&k), "the run made no {k:?} record");
    }
    assert!(
        lines(&good.records).iter().any(|l| l.ends_with(b" }\n")),
        "the redacted line is padded"
    );
    println!(
        "journal: {} records, {} checkpoints, {} bytes",
        report.records,
        report.checkpoints,
        good.records.len() + good.checkpoints.len()
    );
    let final_checkpoint = report.last_checkpoint.clone().unwrap();

    let mut rng = Rng(seed | 1);
    let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
    for kind in KINDS {
        let n = if kind == Kind::Rollback { 20 } else { PER_KIND };
        for _ in 0..n {
            let m = mutate(kind, &good, &mut rng);
            let tally = tallies.entry(kind).or_default();
            tally.total += 1;
            assert!(m.files != good, "{kind:?} changed nothing: {}", m.what);
            let (dir, result) = check(&m.files, &loaded);
            match (result, m.by_construction) {
                (Err(VerifyError::Defect(d)), _) => {
                    tally.detected += 1;
                    *tally.defects.entry(defect_name(&d)).or_default() += 1;
                    if kind == Kind::RewriteNewRelayKey {
                        assert_eq!(d.seq, Some(0), "{}: {d}", m.what);
                        // Without the cell config only a contradicting cosignature shows it.
                        let note = match fusioncell::cmd::verify_journal(dir.path(), None) {
                            Ok(_) => "passes without --config".to_owned(),
                            Err(VerifyError::Defect(d)) => {
                                format!("also caught without --config: {}", defect_name(&d))
                            }
                            Err(e) => panic!("{e}"),
                        };
                        *tally.notes.entry(note).or_default() += 1;
                        if let Ok(v) = fusioncell::cmd::verify_journal_with(dir.path(), None, None)
                        {
                            assert!(matches!(
                                fusioncell_journal::consistency(&v, &final_checkpoint),
                                Err(Mismatch::Signature { .. })
                            ));
                        }
                    }
                }
                (Err(e), _) => panic!("seed {seed:#x}: {}: not a defect: {e}", m.what),
                (Ok(report), Some((class, tail))) => {
                    assert_eq!(
                        report.unsigned_tail, tail,
                        "seed {seed:#x}: {}: the unsigned tail must be reported",
                        m.what
                    );
                    assert_eq!(
                        report.unsigned_tail > 0,
                        report.unsigned_tail_warning().is_some()
                    );
                    *tally.by_construction.entry(class).or_default() += 1;
                    if kind == Kind::Rollback {
                        // What verify cannot see, a checkpoint held elsewhere does.
                        let v =
                            fusioncell::cmd::verify_journal_with(dir.path(), Some(&loaded), None)
                                .unwrap();
                        assert!(matches!(
                            fusioncell_journal::consistency(&v, &final_checkpoint),
                            Err(Mismatch::Truncated { .. })
                        ));
                    }
                }
                (Ok(_), None) => tally.undetected.push(m.what),
            }
        }
    }

    let mut table = String::new();
    let mut total = 0;
    let mut undetected = Vec::new();
    writeln!(
        table,
        "{:<20} {:>6} {:>9} {:>16} {:>11}",
        "mutation", "tried", "detected", "by construction", "undetected"
    )
    .unwrap();
    for (kind, t) in &tallies {
        total += t.total;
        let by: usize = t.by_construction.values().sum();
        writeln!(
            table,
            "{:<20} {:>6} {:>9} {:>16} {:>11}",
            format!("{kind:?}"),
            t.total,
            t.detected,
            by,
            t.undetected.len()
        )
        .unwrap();
        let defects: Vec<String> = t.defects.iter().map(|(d, n)| format!("{d} {n}")).collect();
        writeln!(table, "    defects: {}", defects.join(", ")).unwrap();
        for (class, n) in &t.by_construction {
            writeln!(
                table,
                "    by construction: {class}: {n} (verify OK, tail reported)"
            )
            .unwrap();
        }
        for (note, n) in &t.notes {
            writeln!(table, "    {note}: {n}").unwrap();
        }
        undetected.extend(t.undetected.iter().map(|w| format!("{kind:?}: {w}")));
    }
    println!("{table}");
    println!(
        "{total} mutations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(total >= 1000);
    assert!(
        undetected.is_empty(),
        "seed {seed:#x}: {} mutations went undetected:\n{}",
        undetected.len(),
        undetected.join("\n")
    );

    // A journal with an unsigned tail: records appended after the last checkpoint.
    let tail = with_unsigned_tail(&cell, &good, 4);
    let (_dir, report) = check(&tail, &loaded);
    let report = report.expect("a journal with an unsigned tail verifies");
    assert_eq!(report.unsigned_tail, 4);
    let warning = report.unsigned_tail_warning().unwrap();
    assert!(warning.contains("unsigned tail"), "{warning}");
    let tail_start = good.records.len();
    let mut counts = (0, 0);
    for _ in 0..TAIL_CUTS {
        let mut files = tail.clone();
        // A third at the start of a tail line, a third anywhere in the tail, a third anywhere.
        let tail_lines: Vec<usize> = (tail_start..tail.records.len())
            .filter(|&i| tail.records[i - 1] == b'\n')
            .collect();
        let at = match rng.below(3) {
            0 => tail_lines[rng.below(tail_lines.len())],
            1 => tail_start + rng.below(tail.records.len() - tail_start),
            _ => rng.below(tail.records.len()),
        };
        let boundary = at == 0 || files.records[at - 1] == b'\n';
        files.records.truncate(at);
        let (_dir, result) = check(&files, &loaded);
        if boundary && at >= tail_start {
            let left = lines(&files.records).len() - lines(&good.records).len();
            let report = result.unwrap_or_else(|e| panic!("seed {seed:#x}: cut at {at}: {e}"));
            assert_eq!(report.unsigned_tail, left as u64, "cut at {at}");
            counts.1 += 1;
        } else {
            assert!(
                matches!(result, Err(VerifyError::Defect(_))),
                "seed {seed:#x}: records cut at byte {at} went undetected"
            );
            counts.0 += 1;
        }
    }
    println!(
        "unsigned tail of 4 records: {TAIL_CUTS} cuts, {} detected, {} whole tail records cut \
         (by construction: verify OK and reports the shorter unsigned tail)",
        counts.0, counts.1
    );
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
}

/// `good` with `n` posts by israel appended after its last checkpoint, signed with its key.
fn with_unsigned_tail(cell: &TestCell, good: &Files, n: u64) -> Files {
    let records = good.records();
    let last = records.last().unwrap();
    let israel = fusioncell_wire::IdentityId::new("israel").unwrap();
    let act_seq = records
        .iter()
        .filter(|r| r.act.actor == israel)
        .map(|r| r.act.seq)
        .max()
        .unwrap();
    let key = cell.key("israel");
    let mut files = good.clone();
    for i in 1..=n {
        let body = format!("After the last checkpoint, {i}");
        let act = Act {
            kind: ActKind::Post,
            cell: last.act.cell.clone(),
            channel: Some(ch("diplomacy")),
            actor: israel.clone(),
            seq: act_seq + i,
            ts: last.ts + 1000 * i as i64,
            body_sha256: Digest(sha256(body.as_bytes())),
        };
        let signed = fusioncell_client::sign(&key, act, body);
        let record = Record::from_signed(last.seq + i, last.ts + 1000 * i as i64, signed).unwrap();
        files.records.extend(json_line(&record));
    }
    files
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(fusioncell_bin()).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn tamper_proof_commands_on_a_real_journal() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "10")]);
    real_run(&cell).await;
    let journal = cell.journal_dir();
    let dir = journal.to_str().unwrap();
    let config = cell.config.to_str().unwrap();
    let good = Files::read(&journal);
    let records = good.records();
    let cps = good.checkpoint_list();

    // An inclusion proof of every record, each checked, against the final checkpoint.
    for r in &records {
        let seq = r.seq.to_string();
        let (ok, out, err) = run(&["audit", "prove", dir, "--seq", &seq, "--config", config]);
        assert!(ok, "{err}");
        let proof: InclusionProof = serde_json::from_str(out.trim()).unwrap();
        assert!(proof.verify());
        assert_eq!(proof.leaf_hash.0, leaf_hash(&r.leaf_bytes()));
        assert_eq!(proof.checkpoint.as_ref(), cps.last());
    }
    // Against an earlier checkpoint's size.
    let (ok, out, _) = run(&[
        "audit",
        "prove",
        dir,
        "--seq",
        "3",
        "--size",
        &cps[0].size.to_string(),
    ]);
    assert!(ok);
    let proof: InclusionProof = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(proof.root, cps[0].root);
    let (ok, _, err) = run(&["audit", "prove", dir, "--seq", "100000"]);
    assert!(!ok && err.contains("not in the tree"), "{err}");

    // Every checkpoint handed out is extended by the journal: as a file and inline.
    let saved = tempfile::tempdir().unwrap();
    for (i, cp) in cps.iter().enumerate() {
        let path = saved.path().join(format!("cp{i}.json"));
        std::fs::write(&path, json_line(cp)).unwrap();
        let (ok, out, err) = run(&["audit", "consistency", path.to_str().unwrap(), dir]);
        assert!(ok && out.starts_with("OK: "), "{out}{err}");
    }
    let first = serde_json::to_string(&cps[0]).unwrap();
    let (ok, out, err) = run(&["audit", "consistency", &first, dir, "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], true);
    let proof: fusioncell_journal::ConsistencyProof =
        serde_json::from_value(v["proof"].clone()).unwrap();
    assert!(proof.verify());
    assert_eq!(
        (proof.old_size, proof.new_size),
        (cps[0].size, records.len() as u64)
    );

    // The final checkpoint, held by a witness, against tampered journals.
    let last = serde_json::to_string(cps.last().unwrap()).unwrap();
    let tampered = tempfile::tempdir().unwrap();
    let t = tampered.path().to_str().unwrap();
    // Rolled back to the first checkpoint: verify passes, consistency does not.
    let k = cps[0].size as usize;
    let rolled = Files {
        records: lines(&good.records)[..k].concat(),
        checkpoints: lines(&good.checkpoints)[..1].concat(),
    };
    rolled.write(tampered.path());
    let (ok, _, _) = run(&["audit", "verify", t]);
    assert!(
        ok,
        "a rollback to a checkpoint is invisible to verify alone"
    );
    let (ok, _, err) = run(&["audit", "consistency", &last, t]);
    assert!(!ok && err.contains("cut short or rolled back"), "{err}");
    // Rewritten under another relay key, whole: the witnesses' cosignatures contradict it.
    rewrite(&good, records.len(), &SigningKey::generate().unwrap()).write(tampered.path());
    let (ok, _, err) = run(&["audit", "verify", t]);
    assert!(!ok && err.contains("cosigned"), "{err}");
    // Rewritten and cut at the first checkpoint, before any cosignature or redaction: only
    // the cell config or a held checkpoint shows it.
    let keep = cps[0].size as usize;
    assert!(
        records[..keep]
            .iter()
            .all(|r| r.act.kind != ActKind::Cosign)
    );
    rewrite(&good, keep, &SigningKey::generate().unwrap()).write(tampered.path());
    let (ok, _, err) = run(&["audit", "verify", t]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["audit", "verify", t, "--config", config]);
    assert!(!ok && err.contains("seq 0"), "{err}");
    let (ok, out, _) = run(&["audit", "consistency", &last, t, "--json"]);
    assert!(!ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().unwrap().contains("relay key"), "{v}");

    // `audit verify --json` says plainly when the tail is unsigned.
    with_unsigned_tail(&cell, &good, 2).write(tampered.path());
    let (ok, out, _) = run(&["audit", "verify", t, "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["unsigned_tail"].as_u64(), &v["tail_signed"]),
        (Some(2), &false.into())
    );
    assert!(
        v["warnings"][0].as_str().unwrap().contains("unsigned tail"),
        "{v}"
    );
    let (ok, out, _) = run(&["audit", "verify", t]);
    assert!(ok && out.contains("warning: unsigned tail"), "{out}");
    let (ok, out, _) = run(&["audit", "verify", dir, "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (&v["tail_signed"], &v["warnings"]),
        (&true.into(), &serde_json::json!([]))
    );
}
