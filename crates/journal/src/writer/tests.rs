//! The writer: durable appends, checkpoints and redaction, and recovery on reopen (torn
//! writes cut, corruption refused with its line).

use std::io::Write;

use proptest::prelude::*;

use super::*;
use crate::error::DefectKind;
use crate::fixture::{Fixture, line, read_lines, write_lines};

fn open(dir: &Path) -> Result<(Journal, Recovery), JournalError> {
    Journal::open(dir, Options::default(), |_| {})
}

/// A journal of record 0 and `n` posts, with a checkpoint after the first three records.
fn build(f: &Fixture, dir: &Path, n: u64) -> Journal {
    let all = f.records(n);
    let (mut j, _) = open(dir).unwrap();
    let _ = j.append(&all[..3]).unwrap();
    j.checkpoint(&f.relay, 10).unwrap();
    let _ = j.append(&all[3..]).unwrap();
    j
}

fn records_len(dir: &Path) -> u64 {
    fs::metadata(dir.join(JournalFile::Records.name()))
        .unwrap()
        .len()
}

/// Opening must fail naming this defect, and leave the files as they were.
fn assert_corrupt(dir: &Path, file: JournalFile, line: u64, kind: DefectKind) {
    let before = (
        fs::read(dir.join(JournalFile::Records.name())).unwrap(),
        fs::read(dir.join(JournalFile::Checkpoints.name())).unwrap(),
    );
    match open(dir) {
        Err(JournalError::Corrupt(d)) => {
            assert_eq!((d.file, d.line, d.kind), (file, line, kind));
            let seq = (file == JournalFile::Records).then(|| line - 1);
            assert_eq!(d.seq, seq);
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    let after = (
        fs::read(dir.join(JournalFile::Records.name())).unwrap(),
        fs::read(dir.join(JournalFile::Checkpoints.name())).unwrap(),
    );
    assert!(before == after, "a refused journal was modified");
}

#[test]
fn redaction_scrubs_the_body_in_place_and_the_journal_still_verifies() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let mut j = build(&f, dir.path(), 6);
    // The mediator's act comes first, as the relay journals it before scrubbing.
    let act = r#"{"target":4,"reason":"spill"}"#;
    let redact = f.signed(
        7,
        fusioncell_wire::ActKind::Redact,
        "alpha",
        4,
        act,
        &f.alpha,
    );
    let _ = j.append(&[redact]).unwrap();
    let root = j.root();
    let len = records_len(dir.path());
    assert!(j.redact(4).unwrap());
    assert!(!j.redact(4).unwrap(), "nothing left to scrub");
    assert_eq!(records_len(dir.path()), len, "offsets stay valid");
    let text = fs::read_to_string(dir.path().join(JournalFile::Records.name())).unwrap();
    assert!(!text.contains(f.nth_post(4).text().unwrap()));
    assert_eq!(j.reader().read(4, 5).unwrap()[0].body, None);
    assert_eq!(j.reader().read(5, 6).unwrap()[0], f.nth_post(5));
    drop(j);
    let (j, _) = open(dir.path()).unwrap();
    assert_eq!(j.root(), root, "the tree does not cover bodies");
    crate::verify(dir.path(), None).unwrap();

    // A body scrubbed with no redact act naming it is an edit, found by the audit.
    let mut j = j;
    assert!(j.redact(5).unwrap());
    drop(j);
    match crate::verify(dir.path(), None) {
        Err(crate::VerifyError::Defect(d)) => {
            assert_eq!((d.seq, d.kind), (Some(5), DefectKind::BodyRemoved));
        }
        other => panic!("expected a removed body, got {other:?}"),
    }
}

/// Bodies of every length are scrubbed, the shortest too (`""` is shorter than `null`), and
/// the journal reopens and verifies.
#[test]
fn redaction_scrubs_bodies_of_every_length() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let mut j = build(&f, dir.path(), 4);
    let mut bodies: Vec<String> = (0..=8).map(|n| "~".repeat(n)).collect();
    bodies.push("~".repeat(100_000));
    bodies.push("~\"\\\u{1}".to_owned());
    let first = j.size();
    let posts: Vec<Record> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let seq = first + i as u64;
            f.signed(
                seq,
                fusioncell_wire::ActKind::Post,
                "alpha",
                1000 + seq,
                b,
                &f.alpha,
            )
        })
        .collect();
    let _ = j.append(&posts).unwrap();
    let mut seq = j.size();
    let redacts: Vec<Record> = posts
        .iter()
        .map(|p| {
            let act = format!(r#"{{"target":{},"reason":"spill"}}"#, p.seq);
            let r = f.signed(
                seq,
                fusioncell_wire::ActKind::Redact,
                "alpha",
                1000 + seq,
                &act,
                &f.alpha,
            );
            seq += 1;
            r
        })
        .collect();
    let _ = j.append(&redacts).unwrap();
    let (root, len) = (j.root(), records_len(dir.path()));
    for p in &posts {
        assert!(j.redact(p.seq).unwrap(), "body {:?}", p.text());
        assert_eq!(j.reader().read(p.seq, p.seq + 1).unwrap()[0].body, None);
    }
    assert_eq!(records_len(dir.path()), len, "offsets stay valid");
    let text = fs::read_to_string(dir.path().join(JournalFile::Records.name())).unwrap();
    assert!(!text.contains('~'), "a byte of a body is left");
    drop(j);
    let (j, _) = open(dir.path()).unwrap();
    assert_eq!(j.root(), root);
    crate::verify(dir.path(), None).unwrap();
}

/// Delivery sends the lines the journal wrote instead of encoding each record again: they
/// must be the records' JSON exactly, and what the file holds.
#[test]
fn the_durable_proof_holds_the_lines_written() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let all = f.records(4);
    let (mut j, _) = open(dir.path()).unwrap();
    let durable = j.append(&all).unwrap();
    assert_eq!(durable.count(), all.len() as u64);
    let lines: Vec<&str> = durable.lines().collect();
    let expected: Vec<String> = all
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    assert_eq!(lines, expected);
    let text = fs::read_to_string(dir.path().join(JournalFile::Records.name())).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), lines);
    assert_eq!(j.append(&[]).unwrap().lines().count(), 0);
}

#[test]
fn reopen_replays_every_record_in_order() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cells").join("paris");
    let j = build(&f, &dir, 7);
    let (size, root, cp) = (j.size(), j.root(), j.last_checkpoint().cloned());
    assert_eq!(size, 8);
    assert_eq!(cp.as_ref().map(|c| c.size), Some(3));
    drop(j);

    let mut seen = Vec::new();
    let (j, recovery) = Journal::open(&dir, Options::default(), |r| seen.push(r.clone())).unwrap();
    assert_eq!(seen, f.records(7));
    assert_eq!(
        recovery,
        Recovery {
            records: 8,
            checkpoints: 1,
            truncated_bytes: 0,
            truncated_checkpoint_bytes: 0
        }
    );
    assert_eq!((j.size(), j.root()), (size, root));
    assert_eq!(j.last_checkpoint().cloned(), cp);
    assert_eq!(j.cell(), Some(&f.cell));
    assert_eq!(j.tree().root_at(3), cp.map(|c| c.root.0));
}

#[test]
fn durable_names_the_batch() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let (mut j, _) = open(tmp.path()).unwrap();
    let all = f.records(4);
    let d = j.append(&all[..2]).unwrap();
    assert_eq!((d.first(), d.count()), (0, 2));
    let d = j.append(&all[2..]).unwrap();
    assert_eq!((d.first(), d.count()), (2, 3));
    let d = j.append(&[]).unwrap();
    assert_eq!((d.first(), d.count()), (5, 0));
}

#[test]
fn torn_tail_is_truncated_and_reported() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = build(&f, dir, 4).root();
    let good_len = records_len(dir);

    // Half a line, no newline: a write cut short.
    let next = line(&f.nth_post(5));
    let half = &next.as_bytes()[..next.len() / 2];
    let path = dir.join(JournalFile::Records.name());
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(half).unwrap();
    drop(file);

    let mut seen = 0;
    let (mut j, recovery) = Journal::open(dir, Options::default(), |_| seen += 1).unwrap();
    assert_eq!(recovery.records, 5);
    assert_eq!(recovery.truncated_bytes, half.len() as u64);
    assert_eq!(seen, 5);
    assert_eq!(records_len(dir), good_len);
    assert_eq!(j.root(), root);

    // The journal carries on from the cut, and reopens clean.
    let _ = j.append(&[f.nth_post(5)]).unwrap();
    drop(j);
    let (j, recovery) = open(dir).unwrap();
    assert_eq!((recovery.records, recovery.truncated_bytes), (6, 0));
    assert_eq!(j.size(), 6);
}

#[test]
fn unparseable_terminated_last_line_is_a_torn_write() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 3));
    let good_len = records_len(dir);
    let mut lines = read_lines(dir, JournalFile::Records);
    lines.push("\0\0\0\0{\"seq\":4\n".into());
    write_lines(dir, JournalFile::Records, &lines);
    let (j, recovery) = open(dir).unwrap();
    assert_eq!(recovery.truncated_bytes, 13);
    assert_eq!(j.size(), 4);
    assert_eq!(records_len(dir), good_len);
}

#[test]
fn torn_checkpoint_line_is_truncated() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut j = build(&f, dir, 4);
    let cp = j.checkpoint(&f.relay, 20).unwrap();
    drop(j);
    let path = dir.join(JournalFile::Checkpoints.name());
    let good = fs::read(&path).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(b"{\"cell\":\"par");
    fs::write(&path, &torn).unwrap();
    let (j, recovery) = open(dir).unwrap();
    assert_eq!(recovery.truncated_checkpoint_bytes, 12);
    assert_eq!(recovery.checkpoints, 2);
    assert_eq!(j.last_checkpoint(), Some(&cp));
    assert_eq!(fs::read(&path).unwrap(), good);
}

#[test]
fn flipped_byte_in_a_middle_line_is_refused_and_nothing_is_cut() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 6));
    let good = read_lines(dir, JournalFile::Records);

    // In the body: the hash no longer matches.
    let mut lines = good.clone();
    lines[3] = lines[3].replacen("message 3", "messagf 3", 1);
    write_lines(dir, JournalFile::Records, &lines);
    assert_corrupt(dir, JournalFile::Records, 4, DefectKind::BodyHash);

    // In the JSON syntax: the line no longer parses.
    let mut lines = good.clone();
    lines[3] = lines[3].replacen("\"seq\":3", "\"seq\"!3", 1);
    write_lines(dir, JournalFile::Records, &lines);
    match open(dir) {
        Err(JournalError::Corrupt(d)) => {
            assert_eq!((d.line, d.seq), (4, Some(3)));
            assert!(matches!(d.kind, DefectKind::Parse(_)), "{d}");
        }
        other => panic!("expected corruption, got {other:?}"),
    }

    // In the signature.
    let mut record = f.nth_post(3);
    record.sig.0[5] ^= 0x10;
    let mut lines = good.clone();
    lines[3] = line(&record);
    write_lines(dir, JournalFile::Records, &lines);
    assert_corrupt(
        dir,
        JournalFile::Records,
        4,
        DefectKind::BadSignature(record.act.actor.clone()),
    );
}

#[test]
fn a_bad_last_line_that_parses_is_corruption_not_a_torn_write() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 4));
    let mut lines = read_lines(dir, JournalFile::Records);
    let resigned = f.signed(4, fusioncell_wire::ActKind::Post, "bravo", 2, "x", &f.alpha);
    *lines.last_mut().unwrap() = line(&resigned);
    write_lines(dir, JournalFile::Records, &lines);
    assert_corrupt(
        dir,
        JournalFile::Records,
        5,
        DefectKind::BadSignature(resigned.act.actor),
    );
}

#[test]
fn deleted_duplicated_and_swapped_lines_are_detected() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 6));
    let good = read_lines(dir, JournalFile::Records);
    let gap = |expected, found| DefectKind::SeqGap { expected, found };

    let mut deleted = good.clone();
    deleted.remove(4);
    write_lines(dir, JournalFile::Records, &deleted);
    assert_corrupt(dir, JournalFile::Records, 5, gap(4, 5));

    let mut duplicated = good.clone();
    duplicated.insert(4, good[4].clone());
    write_lines(dir, JournalFile::Records, &duplicated);
    assert_corrupt(dir, JournalFile::Records, 6, gap(5, 4));

    let mut swapped = good.clone();
    swapped.swap(2, 5);
    write_lines(dir, JournalFile::Records, &swapped);
    assert_corrupt(dir, JournalFile::Records, 3, gap(2, 5));

    // Deleting the tail is only visible against a checkpoint (here: size 3).
    write_lines(dir, JournalFile::Records, &good[..2]);
    assert_corrupt(
        dir,
        JournalFile::Checkpoints,
        1,
        DefectKind::CheckpointSize {
            size: 3,
            records: 2,
        },
    );
}

#[test]
fn a_record_re_signed_with_a_wrong_key_is_detected() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 5));
    let mut lines = read_lines(dir, JournalFile::Records);
    // alpha's record 3 with a new body, signed by bravo.
    let forged = f.signed(
        3,
        fusioncell_wire::ActKind::Post,
        "alpha",
        2,
        "forged",
        &f.bravo,
    );
    lines[3] = line(&forged);
    write_lines(dir, JournalFile::Records, &lines);
    assert_corrupt(
        dir,
        JournalFile::Records,
        4,
        DefectKind::BadSignature(forged.act.actor),
    );
}

#[test]
fn bad_checkpoints_are_detected() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let j = build(&f, dir, 5);
    let root5 = j.tree().root_at(5).unwrap();
    drop(j);
    let good = read_lines(dir, JournalFile::Checkpoints);
    let add = |cp: &Checkpoint| {
        let mut lines = good.clone();
        lines.push(serde_json::to_string(cp).unwrap() + "\n");
        write_lines(dir, JournalFile::Checkpoints, &lines);
    };

    add(&f.checkpoint(5, [7; 32], 30, &f.relay));
    assert_corrupt(
        dir,
        JournalFile::Checkpoints,
        2,
        DefectKind::CheckpointRoot { size: 5 },
    );
    add(&f.checkpoint(5, root5, 30, &f.alpha));
    assert_corrupt(
        dir,
        JournalFile::Checkpoints,
        2,
        DefectKind::CheckpointSignature,
    );
    add(&f.checkpoint(9, root5, 30, &f.relay));
    assert_corrupt(
        dir,
        JournalFile::Checkpoints,
        2,
        DefectKind::CheckpointSize {
            size: 9,
            records: 6,
        },
    );
    add(&f.checkpoint(2, root5, 30, &f.relay));
    assert_corrupt(
        dir,
        JournalFile::Checkpoints,
        2,
        DefectKind::CheckpointOrder {
            previous: 3,
            size: 2,
        },
    );
    add(&f.checkpoint(5, root5, 30, &f.relay));
    assert_eq!(open(dir).unwrap().1.checkpoints, 2);
}

#[test]
fn checkpoint_skips_when_current_and_refuses_a_wrong_key() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let (mut j, _) = open(tmp.path()).unwrap();
    assert!(matches!(
        j.checkpoint(&f.relay, 1),
        Err(JournalError::Empty)
    ));
    let _ = j.append(&f.records(2)).unwrap();
    assert!(matches!(
        j.checkpoint(&f.alpha, 1),
        Err(JournalError::WrongRelayKey)
    ));
    let cp = j.checkpoint(&f.relay, 1).unwrap();
    assert_eq!((cp.size, cp.root), (3, j.root()));
    assert!(
        f.relay
            .public_key()
            .verify(&cp.signed_bytes(), &cp.sig.0)
            .is_ok()
    );
    assert_eq!(j.checkpoint(&f.relay, 2).unwrap(), cp);
    assert_eq!(read_lines(tmp.path(), JournalFile::Checkpoints).len(), 1);
}

#[test]
fn append_refuses_what_recovery_would_refuse() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut j, _) = open(dir).unwrap();
    assert!(matches!(
        j.append(&[f.post(0, "alpha", 1, "hi")]),
        Err(JournalError::Rejected {
            seq: 0,
            reason: DefectKind::NotOpen(_)
        })
    ));
    assert!(matches!(
        j.append(&[f.nth_post(1)]),
        Err(JournalError::SeqMismatch {
            expected: 0,
            found: 1
        })
    ));
    let _ = j.append(&f.records(1)).unwrap();
    let len = records_len(dir);
    // A batch with a bad second record writes none of it.
    let stranger = f.signed(3, fusioncell_wire::ActKind::Post, "zulu", 1, "x", &f.alpha);
    assert!(matches!(
        j.append(&[f.nth_post(2), stranger]),
        Err(JournalError::Rejected {
            seq: 3,
            reason: DefectKind::UnknownActor(_)
        })
    ));
    let replay = f.post(3, "alpha", 1, "again");
    assert!(matches!(
        j.append(&[f.nth_post(2), replay]),
        Err(JournalError::Rejected {
            seq: 3,
            reason: DefectKind::ActorSeq { .. }
        })
    ));
    assert_eq!((j.size(), records_len(dir)), (2, len));
    // And the failed batches left no trace in the state either.
    let _ = j.append(&[f.nth_post(2)]).unwrap();
    assert_eq!(j.size(), 3);
}

#[test]
fn a_failed_write_poisons_the_journal() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut j, _) = open(dir).unwrap();
    let _ = j.append(&f.records(2)).unwrap();
    let len = records_len(dir);

    // Writing through a read-only handle fails as a full or broken disk would.
    let path = dir.join(JournalFile::Records.name());
    let good = std::mem::replace(&mut j.records, File::open(&path).unwrap());
    assert!(matches!(
        j.append(&[f.nth_post(3)]),
        Err(JournalError::Io { .. })
    ));
    // Even with a working handle back, nothing more is written or acknowledged.
    j.records = good;
    assert!(matches!(
        j.append(&[f.nth_post(3)]),
        Err(JournalError::Poisoned)
    ));
    assert!(matches!(
        j.checkpoint(&f.relay, 1),
        Err(JournalError::Poisoned)
    ));
    assert_eq!((j.size(), j.reader().size(), records_len(dir)), (3, 3, len));
    drop(j);
    assert_eq!(open(dir).unwrap().0.size(), 3);
}

/// A disk that fills up or fails mid-write (half the batch written, then `ENOSPC` or `EIO`),
/// or whose sync fails, leaves no partial line: the journal is poisoned, the file is cut back
/// to its last durable record, and it reopens and verifies with nothing lost.
#[test]
fn a_failing_disk_leaves_no_partial_line() {
    for spec in [
        "records-write=enospc",
        "records-write=eio",
        "records-sync=eio",
        "records-sync=enospc",
    ] {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut j = build(&f, dir, 5);
        let (size, root, len) = (j.size(), j.root(), records_len(dir));
        j.dangerous_set_faults(fault::Faults::parse(spec).unwrap());
        let err = j.append(&[f.nth_post(6), f.nth_post(7)]).unwrap_err();
        assert!(matches!(err, JournalError::Io { .. }), "{spec}: {err}");
        assert_eq!(records_len(dir), len, "{spec}: the partial batch is cut");
        assert_eq!((j.size(), j.reader().size()), (size, size), "{spec}");
        assert!(matches!(
            j.checkpoint(&f.relay, 1),
            Err(JournalError::Poisoned)
        ));
        drop(j);
        crate::verify(dir, None).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let (j, recovery) = open(dir).unwrap();
        assert_eq!(
            (j.size(), j.root(), recovery.truncated_bytes),
            (size, root, 0)
        );
    }
}

/// The same for a checkpoint: a failed checkpoint write leaves no partial checkpoint line.
#[test]
fn a_failing_checkpoint_write_leaves_no_partial_line() {
    for spec in ["checkpoint-write=enospc", "checkpoint-sync=eio"] {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut j = build(&f, dir, 5);
        let path = dir.join(JournalFile::Checkpoints.name());
        let before = fs::read(&path).unwrap();
        j.dangerous_set_faults(fault::Faults::parse(spec).unwrap());
        assert!(matches!(
            j.checkpoint(&f.relay, 20),
            Err(JournalError::Io { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), before, "{spec}");
        drop(j);
        crate::verify(dir, None).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let (_, recovery) = open(dir).unwrap();
        assert_eq!(recovery.truncated_checkpoint_bytes, 0);
    }
}

/// A scrub whose write or sync fails puts the original line back, so the journal still
/// reopens (a half-rewritten line in the middle would be corruption).
#[test]
fn a_failing_redaction_restores_the_line() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut j = build(&f, dir, 6);
    let act = r#"{"target":4,"reason":"spill"}"#;
    let redact = f.signed(
        7,
        fusioncell_wire::ActKind::Redact,
        "alpha",
        4,
        act,
        &f.alpha,
    );
    let _ = j.append(&[redact]).unwrap();
    let before = fs::read(dir.join(JournalFile::Records.name())).unwrap();
    j.dangerous_set_faults(fault::Faults::parse("redact-sync=eio").unwrap());
    assert!(matches!(j.redact(4), Err(JournalError::Io { .. })));
    assert_eq!(
        fs::read(dir.join(JournalFile::Records.name())).unwrap(),
        before
    );
    drop(j);
    crate::verify(dir, None).unwrap();
}

/// Opening stops at once, cutting nothing, when it is cancelled.
#[test]
fn a_cancelled_open_changes_nothing() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(build(&f, dir, 5));
    let path = dir.join(JournalFile::Records.name());
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(br#"{"seq":7,"ts""#).unwrap();
    let before = fs::read(&path).unwrap();
    let mut seen = 0;
    let cancel = AtomicBool::new(true);
    let err = Journal::open_cancellable(dir, Options::default(), &cancel, |_| seen += 1);
    assert!(matches!(err, Err(JournalError::Cancelled)));
    assert_eq!((fs::read(&path).unwrap(), seen), (before, 0));
    let (_, recovery) = open(dir).unwrap();
    assert!(recovery.truncated_bytes > 0);
}

#[test]
fn a_second_writer_is_locked_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (j, _) = open(tmp.path()).unwrap();
    assert!(matches!(open(tmp.path()), Err(JournalError::Locked { .. })));
    drop(j);
    assert!(open(tmp.path()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the batching, reopening rebuilds the same tree and the same records.
    #[test]
    fn random_appends_reopen_to_the_same_root(
        batches in proptest::collection::vec(1usize..6, 1..8),
        checkpoint_after in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let total: usize = batches.iter().sum();
        let all = f.records(total as u64);
        let (mut j, _) = Journal::open(dir, Options { fsync: false }, |_| {}).unwrap();
        let mut at = 0;
        for (i, n) in batches.iter().enumerate() {
            let n = (*n).min(all.len() - at);
            let _ = j.append(&all[at..at + n]).unwrap();
            at += n;
            if checkpoint_after[i] {
                j.checkpoint(&f.relay, i as i64).unwrap();
            }
        }
        let _ = j.append(&all[at..]).unwrap();
        let (root, size, cp) = (j.root(), j.size(), j.last_checkpoint().cloned());
        drop(j);

        let mut seen = Vec::new();
        let (j, rec) = Journal::open(dir, Options::default(), |r| seen.push(r.clone())).unwrap();
        prop_assert_eq!(&seen, &all);
        prop_assert_eq!((j.root(), j.size()), (root, size));
        prop_assert_eq!(j.last_checkpoint().cloned(), cp);
        prop_assert_eq!(rec.truncated_bytes, 0);
    }
}
