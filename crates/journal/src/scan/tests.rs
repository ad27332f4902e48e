use std::cell::RefCell;
use std::path::Path;

use fusioncell_wire::ActKind;

use super::*;
use crate::fixture::{Fixture, line, read_lines, write_lines};
use crate::writer::{Journal, Options};

/// Record 0 and 40 posts; checkpoints at sizes 10, 25 and 41.
fn build(f: &Fixture, dir: &Path) -> Vec<String> {
    let all = f.records(40);
    let (mut j, _) = Journal::open(dir, Options { fsync: false }, |_| {}).unwrap();
    for (from, to) in [(0, 10), (10, 25), (25, 41)] {
        let _ = j.append(&all[from..to]).unwrap();
        j.checkpoint(&f.relay, to as i64).unwrap();
    }
    read_lines(dir, JournalFile::Records)
}

/// What a scan says: the records, root and checkpoints, or the first defect.
fn outcome(dir: &Path, threads: usize, lines_per_thread: usize) -> Result<String, Defect> {
    let open = |f: JournalFile| File::open(dir.join(f.name())).unwrap();
    let options = ScanOptions {
        threads,
        progress: None,
        lines_per_thread,
        cosignatures: true,
        trust_checkpointed: false,
    };
    let mut seen = 0;
    match scan(
        &open(JournalFile::Records),
        &open(JournalFile::Checkpoints),
        options,
        |_, r| {
            assert_eq!(r.seq, seen, "records are seen in order");
            seen += 1;
            Ok(())
        },
    ) {
        Ok(s) => Ok(format!(
            "{} records, root {}, {} checkpoints, torn {}",
            s.tree.len(),
            hex::encode(s.tree.root()),
            s.checkpoints.len(),
            s.records_torn
        )),
        Err(ScanError::Defect(d)) => Err(d),
        Err(ScanError::Io(_, e)) => panic!("{e}"),
    }
}

/// The post `nth_post(seq)` would be, signed with the relay key instead of its actor's.
fn forged(f: &Fixture, seq: u64) -> String {
    let actor = if seq % 2 == 1 { "alpha" } else { "bravo" };
    let body = format!("message {seq}");
    line(&f.signed(seq, ActKind::Post, actor, seq.div_ceil(2), &body, &f.relay))
}

/// The line with its `body_sha256` in uppercase: the same value, another encoding.
fn shouting(line: &str) -> String {
    let at = line.find("\"body_sha256\":\"").unwrap() + 15;
    let mut out = line.to_owned();
    out.replace_range(at..at + 64, &line[at..at + 64].to_uppercase());
    assert_ne!(out, line);
    out
}

/// Checkpoint signatures are checked on every core ahead of the in-order rules: whatever the
/// threads, the first defect of `checkpoints.jsonl` is still its lowest line, a line that does
/// not parse is reported only when every line before it keeps the rules, and recovery trusts
/// only what a good signature vouches for.
#[test]
fn the_first_checkpoint_defect_is_the_lowest_whatever_the_threads() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(&f, dir);
    let good = read_lines(dir, JournalFile::Checkpoints);
    let forged = |i: usize| {
        let mut cp: Checkpoint = serde_json::from_str(&good[i]).unwrap();
        cp.sig.0[5] ^= 1;
        serde_json::to_string(&cp).unwrap() + "\n"
    };
    let garbage = "{\"cell\":\n".to_owned();
    // Name, edits, and the defect's line and whether it is the signature's (else a parse error).
    type Case<'a> = (&'a str, Vec<(usize, String)>, Option<(u64, bool)>);
    let cases: Vec<Case<'_>> = vec![
        ("clean", vec![], None),
        ("a forged signature", vec![(1, forged(1))], Some((2, true))),
        (
            "a forged signature before a line that does not parse",
            vec![(0, forged(0)), (1, garbage.clone())],
            Some((1, true)),
        ),
        (
            "a line that does not parse after good ones",
            vec![(1, garbage), (2, forged(2))],
            Some((2, false)),
        ),
    ];
    for (name, edits, want) in cases {
        let mut lines = good.clone();
        for (i, text) in edits {
            lines[i] = text;
        }
        write_lines(dir, JournalFile::Checkpoints, &lines);
        for threads in [1, 2, 3, 7] {
            match (outcome(dir, threads, 0), want) {
                (Ok(_), None) => {}
                (Err(d), Some((line, signature))) => {
                    assert_eq!(d.file, JournalFile::Checkpoints, "{name}");
                    assert_eq!(d.line, line, "{name}: {threads} threads: {d}");
                    assert_eq!(
                        d.kind == DefectKind::CheckpointSignature,
                        signature,
                        "{name}: {threads} threads: {d}"
                    );
                    assert_eq!(
                        matches!(d.kind, DefectKind::Parse(_)),
                        !signature,
                        "{name}: {threads} threads: {d}"
                    );
                }
                other => panic!("{name}: {threads} threads: {other:?}"),
            }
        }
    }
    // Recovery: only the good signatures vouch for records (sizes 10, 25, 41).
    let keys = {
        let open = |f: JournalFile| File::open(dir.join(f.name())).unwrap();
        let options = ScanOptions {
            threads: 2,
            ..ScanOptions::default()
        };
        write_lines(dir, JournalFile::Checkpoints, &good);
        let s = scan(
            &open(JournalFile::Records),
            &open(JournalFile::Checkpoints),
            options,
            |_, _| Ok(()),
        );
        s.map_err(|_| "scan").unwrap().checker.keys().unwrap()
    };
    let covered = |lines: &[String]| {
        write_lines(dir, JournalFile::Checkpoints, lines);
        let file = File::open(dir.join(JournalFile::Checkpoints.name())).unwrap();
        [1, 2, 5].map(|threads| checkpointed(&file, &keys, threads).unwrap())
    };
    assert_eq!(covered(&good), [41; 3]);
    let mut last_forged = good.clone();
    last_forged[2] = forged(2);
    assert_eq!(covered(&last_forged), [25; 3]);
}

#[test]
fn the_first_defect_is_the_lowest_whatever_the_threads() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = build(&f, dir);
    type Edit<'a> = (&'a str, Vec<(usize, String)>, Option<(u64, DefectKind)>);
    let bravo = fusioncell_wire::IdentityId::new("bravo").unwrap();
    let alpha = fusioncell_wire::IdentityId::new("alpha").unwrap();
    let cases: Vec<Edit<'_>> = vec![
        ("clean", vec![], None),
        (
            "body before signature",
            vec![
                (30, forged(&f, 30)),
                (12, good[12].replacen("message 12", "messagf 12", 1)),
            ],
            Some((12, DefectKind::BodyHash)),
        ),
        (
            "two signatures",
            vec![(6, forged(&f, 6)), (5, forged(&f, 5))],
            Some((5, DefectKind::BadSignature(alpha.clone()))),
        ),
        (
            "last record",
            vec![(40, forged(&f, 40))],
            Some((40, DefectKind::BadSignature(bravo.clone()))),
        ),
        (
            "first post",
            vec![(1, forged(&f, 1)), (39, forged(&f, 39))],
            Some((1, DefectKind::BadSignature(alpha.clone()))),
        ),
        (
            "encoding before signature",
            vec![(21, forged(&f, 21)), (20, shouting(&good[20]))],
            Some((20, DefectKind::NonCanonical)),
        ),
        (
            "signature before parse error",
            vec![
                (17, good[17].replacen("\"seq\":17,", "\"seq\"!17,", 1)),
                (3, forged(&f, 3)),
            ],
            Some((3, DefectKind::BadSignature(alpha))),
        ),
    ];
    for (name, edits, want) in cases {
        let mut lines = good.clone();
        for (i, text) in edits {
            lines[i] = text;
        }
        write_lines(dir, JournalFile::Records, &lines);
        let reference = outcome(dir, 1, 0);
        match (&reference, &want) {
            (Ok(_), None) => {}
            (Err(d), Some((seq, kind))) => {
                assert_eq!((d.seq, &d.kind), (Some(*seq), kind), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        for threads in [2, 3, 7] {
            for per_thread in [1, 2, 5, 0] {
                assert_eq!(
                    outcome(dir, threads, per_thread),
                    reference,
                    "{name}: {threads} threads, {per_thread} lines each"
                );
            }
        }
    }
}

#[test]
fn a_torn_tail_is_measured_on_any_number_of_threads() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut lines = build(&f, dir);
    lines.push(line(&f.nth_post(41))[..30].to_owned());
    write_lines(dir, JournalFile::Records, &lines);
    for (threads, per_thread) in [(1, 0), (2, 1), (3, 4), (7, 0)] {
        let got = outcome(dir, threads, per_thread).unwrap();
        assert!(
            got.starts_with("41 records") && got.ends_with("torn 30"),
            "{got}"
        );
    }
}

#[test]
fn non_canonical_encodings_are_refused() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = build(&f, dir);
    let ts = |l: &str| {
        let r: Record = serde_json::from_str(l).unwrap();
        r.ts
    };
    let same_value = [
        shouting(&good[3]),
        good[3].replacen("\"seq\":3,", "\"seq\": 3,", 1),
        good[3].replacen("message 3", "message\\u00203", 1),
        good[3].replacen(
            &format!("{{\"seq\":3,\"ts\":{},", ts(&good[3])),
            &format!("{{\"ts\":{},\"seq\":3,", ts(&good[3])),
            1,
        ),
        good[3].replacen('}', " }", 1),
    ];
    for edited in same_value {
        assert_ne!(edited, good[3]);
        let (a, b): (Record, Record) = (
            serde_json::from_str(&edited).unwrap(),
            serde_json::from_str(&good[3]).unwrap(),
        );
        assert_eq!(a, b, "the same value: {edited}");
        let mut lines = good.clone();
        lines[3] = edited.clone();
        write_lines(dir, JournalFile::Records, &lines);
        let d = outcome(dir, 2, 1).unwrap_err();
        assert_eq!(
            (d.seq, d.kind),
            (Some(3), DefectKind::NonCanonical),
            "{edited}"
        );
    }
    write_lines(dir, JournalFile::Records, &good);

    // Checkpoints too.
    let cps = read_lines(dir, JournalFile::Checkpoints);
    let at = cps[1].find("\"root\":\"").unwrap() + 8;
    let mut upper = cps.clone();
    upper[1].replace_range(at..at + 64, &cps[1][at..at + 64].to_uppercase());
    write_lines(dir, JournalFile::Checkpoints, &upper);
    let d = outcome(dir, 2, 0).unwrap_err();
    assert_eq!(
        (d.file, d.line, d.kind),
        (JournalFile::Checkpoints, 2, DefectKind::NonCanonical)
    );
    write_lines(dir, JournalFile::Checkpoints, &cps);

    // A redacted line may be padded with spaces (as `Journal::redact` does), nothing else.
    let mut r: Record = serde_json::from_str(&good[4]).unwrap();
    r.body = None;
    let compact = serde_json::to_string(&r).unwrap();
    let pad = |with: &str| {
        let mut l = compact[..compact.len() - 1].to_owned();
        l.push_str(with);
        l.push_str("}\n");
        l
    };
    for (padding, ok) in [("   ", true), ("", true), (" \t ", false), ("\n", false)] {
        let mut lines = good.clone();
        lines[4] = pad(padding);
        write_lines(dir, JournalFile::Records, &lines);
        let got = outcome(dir, 2, 1);
        assert_eq!(got.is_ok(), ok, "{padding:?}: {got:?}");
    }
    // So may the form without a `body` member, and nothing else in its place.
    let omitted = serde_json::to_string(&Scrubbed::of(&r)).unwrap();
    assert!(!omitted.contains("\"body\""));
    let head = &omitted[..omitted.len() - 1];
    for (line, ok) in [
        (format!("{head}      }}\n"), true),
        (format!("{head}}}\n"), true),
        (format!("{head}   x}}\n"), false),
        (format!("{head},\"body\":\"\"}}\n"), false),
        (format!("{head} \t}}\n"), false),
        (
            format!("{} }}\n", head.replacen("\"ts\"", " \"ts\"", 1)),
            false,
        ),
    ] {
        let mut lines = good.clone();
        lines[4] = line.clone();
        write_lines(dir, JournalFile::Records, &lines);
        let got = outcome(dir, 2, 1);
        assert_eq!(got.is_ok(), ok, "{line}: {got:?}");
    }
    // Padding an unredacted line is an edit.
    let mut lines = good.clone();
    lines[4] = good[4].replacen("\"}\n", "\"  }\n", 1);
    assert_ne!(lines[4], good[4]);
    write_lines(dir, JournalFile::Records, &lines);
    assert_eq!(
        outcome(dir, 2, 1).unwrap_err().kind,
        DefectKind::NonCanonical
    );
}

#[test]
fn progress_reaches_the_total_in_order() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(&f, dir);
    let open = |f: JournalFile| File::open(dir.join(f.name())).unwrap();
    let calls = RefCell::new(Vec::new());
    let progress = |p: Progress| calls.borrow_mut().push((p.done, p.total));
    let options = ScanOptions {
        threads: 2,
        progress: Some(&progress),
        lines_per_thread: 4,
        cosignatures: true,
        trust_checkpointed: false,
    };
    let s = scan(
        &open(JournalFile::Records),
        &open(JournalFile::Checkpoints),
        options,
        |_, _| Ok(()),
    )
    .unwrap();
    assert_eq!(s.tree.len(), 41);
    let calls = calls.into_inner();
    assert_eq!(calls.first(), Some(&(0, 41)));
    assert_eq!(calls.last(), Some(&(41, 41)));
    assert!(calls.len() > 5, "{calls:?}");
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
}

/// Records scanned as recovery (`trust`) or the audit scans them, or the first defect.
fn scanned(dir: &Path, trust: bool) -> Result<u64, Defect> {
    let open = |f: JournalFile| File::open(dir.join(f.name())).unwrap();
    let options = ScanOptions {
        threads: 2,
        lines_per_thread: 3,
        trust_checkpointed: trust,
        ..ScanOptions::default()
    };
    match scan(
        &open(JournalFile::Records),
        &open(JournalFile::Checkpoints),
        options,
        |_, _| Ok(()),
    ) {
        Ok(s) => Ok(s.tree.len()),
        Err(ScanError::Defect(d)) => Err(d),
        Err(ScanError::Io(_, e)) => panic!("{e}"),
    }
}

/// `records` appended as they are (the writer trusts signatures), with a checkpoint after
/// the first `checkpointed`.
fn written(f: &Fixture, dir: &Path, records: &[Record], checkpointed: usize) {
    let (mut j, _) = Journal::open(dir, Options { fsync: false }, |_| {}).unwrap();
    let _ = j.append(&records[..checkpointed]).unwrap();
    j.checkpoint(&f.relay, 1).unwrap();
    if checkpointed < records.len() {
        let _ = j.append(&records[checkpointed..]).unwrap();
    }
}

fn forged_record(f: &Fixture, seq: u64) -> Record {
    serde_json::from_str(forged(f, seq).trim_end()).unwrap()
}

#[test]
fn an_edit_under_a_checkpoint_fails_recovery_as_the_checkpoints_and_the_audit_names_the_record() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut lines = build(&f, tmp.path());
    assert_eq!(scanned(tmp.path(), true), Ok(41));
    lines[5] = forged(&f, 5);
    write_lines(tmp.path(), JournalFile::Records, &lines);
    let recovery = scanned(tmp.path(), true).unwrap_err();
    assert_eq!(
        (recovery.file, recovery.line, recovery.kind),
        (
            JournalFile::Checkpoints,
            1,
            DefectKind::CheckpointRoot { size: 10 }
        )
    );
    let audit = scanned(tmp.path(), false).unwrap_err();
    assert_eq!(
        (audit.file, audit.seq, audit.kind),
        (
            JournalFile::Records,
            Some(5),
            DefectKind::BadSignature(fusioncell_wire::IdentityId::new("alpha").unwrap())
        )
    );
}

#[test]
fn recovery_checks_every_signature_after_the_last_checkpoint() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut records = f.records(20);
    records[15] = forged_record(&f, 15);
    written(&f, tmp.path(), &records, 10);
    let recovery = scanned(tmp.path(), true).unwrap_err();
    assert_eq!(
        (recovery.seq, recovery.kind),
        (
            Some(15),
            DefectKind::BadSignature(fusioncell_wire::IdentityId::new("alpha").unwrap())
        )
    );
}

/// The trade-off of SECURITY.md, "Recovery": a forged act under a checkpoint that the
/// relay's own key signed is only found by the audit.
#[test]
fn a_checkpoint_signed_over_a_forged_act_passes_recovery_but_not_the_audit() {
    let f = Fixture::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut records = f.records(20);
    records[7] = forged_record(&f, 7);
    written(&f, tmp.path(), &records, 21);
    assert_eq!(scanned(tmp.path(), true), Ok(21));
    assert_eq!(
        scanned(tmp.path(), false).map_err(|d| (d.seq, d.kind)),
        Err((
            Some(7),
            DefectKind::BadSignature(fusioncell_wire::IdentityId::new("alpha").unwrap())
        ))
    );
}

#[test]
fn an_unsigned_or_torn_checkpoint_vouches_for_nothing() {
    let f = Fixture::new();
    let alpha = || fusioncell_wire::IdentityId::new("alpha").unwrap();
    for case in ["forged signature", "torn"] {
        let tmp = tempfile::tempdir().unwrap();
        let mut records = f.records(20);
        records[3] = forged_record(&f, 3);
        written(&f, tmp.path(), &records, 21);
        let mut cps = read_lines(tmp.path(), JournalFile::Checkpoints);
        let cp: Checkpoint = serde_json::from_str(cps[0].trim_end()).unwrap();
        cps[0] = match case {
            "forged signature" => {
                let by_alpha = f.checkpoint(cp.size, cp.root.0, cp.ts, &f.alpha);
                serde_json::to_string(&by_alpha).unwrap() + "\n"
            }
            _ => cps[0].trim_end().to_owned(),
        };
        write_lines(tmp.path(), JournalFile::Checkpoints, &cps);
        assert_eq!(
            scanned(tmp.path(), true).map_err(|d| (d.seq, d.kind)),
            Err((Some(3), DefectKind::BadSignature(alpha()))),
            "{case}"
        );
    }
}
