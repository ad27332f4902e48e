//! The offline audit: reads a journal folder, checks everything recovery checks plus the
//! caller's authorization rule, changes nothing, and names the first bad record.
//!
//! Signatures are checked on every core (see the scan's notes); the caller's rule and every
//! rule that depends on earlier records run in order on the calling thread.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs::File;
use std::path::Path;

use fusioncell_wire::{ActBody, CellId, Checkpoint, Digest, IdentityId, OpenBody, Record};
use serde::Serialize;

use crate::error::{Defect, DefectKind, JournalFile, VerifyError};
use crate::merkle::Tree;
use crate::scan::{ScanError, ScanOptions, defect_at, scan};

/// What a successful audit established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The cell.
    pub cell: CellId,
    /// Records, all verified.
    pub records: u64,
    /// Merkle root of all records.
    pub root: Digest,
    /// Checkpoints, all verified against the records.
    pub checkpoints: u64,
    /// Identities named by the open record.
    pub identities: usize,
    /// The latest checkpoint (its size and root are what an outside holder can compare).
    pub last_checkpoint: Option<Checkpoint>,
    /// Records after the last checkpoint. Nothing here proves they are all there: a tail cut
    /// off after the last checkpoint is invisible without a later checkpoint from elsewhere.
    pub unsigned_tail: u64,
    /// Records per actor.
    pub actors: BTreeMap<IdentityId, u64>,
}

impl Report {
    /// A plain sentence about the records no checkpoint covers, if there are any.
    pub fn unsigned_tail_warning(&self) -> Option<String> {
        if self.unsigned_tail == 0 {
            return None;
        }
        let first = self.records - self.unsigned_tail;
        let last = self.records - 1;
        let which = if first == last {
            format!("record {first} is")
        } else {
            format!("records {first}..={last} are")
        };
        Some(match self.last_checkpoint {
            None => format!(
                "no checkpoint: {which} signed by no checkpoint, so nothing proves the journal \
                 was not cut short, rolled back or extended"
            ),
            Some(_) => format!(
                "unsigned tail: {which} after the last checkpoint, so nothing signed proves they \
                 were not cut short or added"
            ),
        })
    }
}

/// How far an audit has got through `records.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Records checked so far.
    pub done: u64,
    /// Lines in the file (the records it will check if all is well).
    pub total: u64,
}

/// The caller's authorization rule: given the cell as opened, may this act have been accepted?
pub type Authorize<'a> = &'a dyn Fn(&OpenBody, &Record) -> Result<(), String>;

/// How [`verify_with`] runs. `VerifyOptions::default()` is [`verify`] without a rule.
#[derive(Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    authorize: Option<Authorize<'a>>,
    progress: Option<&'a dyn Fn(Progress)>,
    threads: usize,
}

impl fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("authorize", &self.authorize.is_some())
            .field("progress", &self.progress.is_some())
            .field("threads", &self.threads)
            .finish()
    }
}

impl<'a> VerifyOptions<'a> {
    /// No rule, no progress, every core.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cell's authorization rule (see [`verify`]), called on this thread, in order.
    pub fn authorize(mut self, rule: Authorize<'a>) -> Self {
        self.authorize = Some(rule);
        self
    }

    /// Called on this thread after each batch of records, and once before the first.
    pub fn progress(mut self, progress: &'a dyn Fn(Progress)) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Threads that verify signatures: 0 (the default) for one per core, 1 for this thread
    /// only. The result never depends on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}

/// A verified journal: the report, and what proofs are made from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// What the audit established.
    pub report: Report,
    /// The Merkle tree of every record.
    pub tree: Tree,
    /// Every checkpoint, in order, each verified.
    pub checkpoints: Vec<Checkpoint>,
    /// The body of record 0: the cell, the relay key, every identity's key.
    pub open: OpenBody,
}

/// Verifies the journal in `dir`: every line parses and is the journal's canonical encoding of
/// its value, seqs run 0, 1, 2, ..., record 0 opens the cell, every record belongs to it, every
/// body matches its hash, every signature verifies under the key the open record gives its
/// actor, act seqs increase per identity, `authorize` (if given) accepts every record, every
/// witness's cosignature names the tree's root at its size, every record without a body is the
/// target of a `redact` act, and every checkpoint is signed by the relay and matches the tree
/// at its size. A torn final line
/// is reported as [`DefectKind::TornTail`].
///
/// `authorize` is the cell's policy (which `fusioncell-cell` holds; the journal does not
/// depend on it): given the cell as opened, may this act have been accepted? It sees every
/// record, record 0 included, after the built-in checks.
pub fn verify(dir: &Path, authorize: Option<Authorize<'_>>) -> Result<Report, VerifyError> {
    let options = VerifyOptions {
        authorize,
        ..VerifyOptions::default()
    };
    verify_with(dir, &options).map(|v| v.report)
}

/// [`verify`] with progress reports and a thread count, returning the tree and checkpoints
/// too (for proofs).
pub fn verify_with(dir: &Path, options: &VerifyOptions<'_>) -> Result<Verified, VerifyError> {
    let open = |file: JournalFile| {
        let path = dir.join(file.name());
        File::open(&path).map_err(|source| VerifyError::Io { path, source })
    };
    let (records, checkpoints) = (open(JournalFile::Records)?, open(JournalFile::Checkpoints)?);

    let mut actors = BTreeMap::new();
    // Records whose body is gone, and the targets of `redact` acts: each of the first must
    // be one of the second (the act comes later in the file, so this is checked at the end).
    let mut bodiless = BTreeSet::new();
    let mut redacted = HashSet::new();
    let scan_options = ScanOptions {
        threads: options.threads,
        progress: options.progress,
        lines_per_thread: 0,
        cosignatures: true,
        trust_checkpointed: false,
    };
    let found = scan(&records, &checkpoints, scan_options, |body, record| {
        if let Some(authorize) = options.authorize {
            authorize(body, record).map_err(DefectKind::Unauthorized)?;
        }
        *actors.entry(record.act.actor.clone()).or_insert(0) += 1;
        match record.params() {
            None => {
                bodiless.insert(record.seq);
            }
            Some(ActBody::Redact(redact)) => {
                redacted.insert(redact.target);
            }
            Some(_) => {}
        }
        Ok(())
    })
    .map_err(|e| match e {
        ScanError::Io(file, source) => VerifyError::Io {
            path: dir.join(file.name()),
            source,
        },
        ScanError::Defect(d) => VerifyError::Defect(d),
    })?;

    let records = found.tree.len();
    let checkpoint_count = found.checkpoints.len() as u64;
    let torn = [
        (JournalFile::Records, found.records_torn, records),
        (
            JournalFile::Checkpoints,
            found.checkpoints_torn,
            checkpoint_count,
        ),
    ];
    for (file, bytes, good_lines) in torn {
        if bytes > 0 {
            let kind = DefectKind::TornTail { bytes };
            return Err(VerifyError::Defect(defect_at(file, good_lines, kind)));
        }
    }
    if let Some(&seq) = bodiless.iter().find(|seq| !redacted.contains(seq)) {
        let kind = DefectKind::BodyRemoved;
        return Err(VerifyError::Defect(defect_at(
            JournalFile::Records,
            seq,
            kind,
        )));
    }
    let Some(body) = found.checker.open_body() else {
        return Err(VerifyError::Defect(Defect {
            file: JournalFile::Records,
            line: 1,
            seq: Some(0),
            kind: DefectKind::NotOpen("the journal has no records".into()),
        }));
    };
    let open = body.clone();
    let last_checkpoint = found.checkpoints.last().cloned();
    let signed = last_checkpoint.as_ref().map_or(0, |c| c.size);
    let report = Report {
        cell: body.cell.clone(),
        records,
        root: Digest(found.tree.root()),
        checkpoints: checkpoint_count,
        identities: body.identities.len(),
        unsigned_tail: records.saturating_sub(signed),
        last_checkpoint,
        actors,
    };
    Ok(Verified {
        report,
        tree: found.tree,
        checkpoints: found.checkpoints,
        open,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use fusioncell_wire::ActKind;

    use super::*;
    use crate::fixture::{Fixture, line, read_lines, write_lines};
    use crate::writer::{Journal, Options};

    /// Record 0, seven posts, a checkpoint at size 3 and another at size 6.
    fn build(f: &Fixture, dir: &Path) -> Vec<Record> {
        let all = f.records(7);
        let (mut j, _) = Journal::open(dir, Options::default(), |_| {}).unwrap();
        let _ = j.append(&all[..3]).unwrap();
        j.checkpoint(&f.relay, 1).unwrap();
        let _ = j.append(&all[3..6]).unwrap();
        j.checkpoint(&f.relay, 2).unwrap();
        let _ = j.append(&all[6..]).unwrap();
        all
    }

    fn defect(dir: &Path) -> Defect {
        match verify(dir, None) {
            Err(VerifyError::Defect(d)) => d,
            other => panic!("expected a defect, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_journal_reports_what_it_holds() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let all = build(&f, tmp.path());
        let report = verify(tmp.path(), None).unwrap();
        let (j, _) = Journal::open(tmp.path(), Options::default(), |_| {}).unwrap();
        assert_eq!(report.cell, f.cell);
        assert_eq!(report.records, all.len() as u64);
        assert_eq!(report.root, j.root());
        assert_eq!(report.checkpoints, 2);
        assert_eq!(report.identities, 2);
        assert_eq!(report.last_checkpoint.as_ref().map(|c| c.size), Some(6));
        assert_eq!(report.last_checkpoint.as_ref(), j.last_checkpoint());
        assert_eq!(report.unsigned_tail, 2);
        let count = |s: &str| report.actors.get(&IdentityId::new(s).unwrap()).copied();
        assert_eq!(
            (count("relay"), count("alpha"), count("bravo")),
            (Some(1), Some(4), Some(3))
        );
    }

    #[test]
    fn a_flipped_byte_is_named_and_nothing_changes() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(&f, dir);
        let mut lines = read_lines(dir, JournalFile::Records);
        lines[4] = lines[4].replacen("message 4", "message 5", 1);
        write_lines(dir, JournalFile::Records, &lines);
        let before = fs::read(dir.join(JournalFile::Records.name())).unwrap();
        let d = defect(dir);
        assert_eq!(
            (d.file, d.line, d.seq, d.kind.clone()),
            (JournalFile::Records, 5, Some(4), DefectKind::BodyHash)
        );
        assert_eq!(
            d.to_string(),
            "records.jsonl line 5 (seq 4): the body does not match its signed hash"
        );
        assert_eq!(
            fs::read(dir.join(JournalFile::Records.name())).unwrap(),
            before
        );
    }

    #[test]
    fn a_torn_tail_is_an_error_here_and_is_left_in_place() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(&f, dir);
        let mut lines = read_lines(dir, JournalFile::Records);
        let next = line(&f.nth_post(8));
        lines.push(next[..20].to_owned());
        write_lines(dir, JournalFile::Records, &lines);
        let d = defect(dir);
        assert_eq!(
            (d.file, d.line, d.seq, d.kind),
            (
                JournalFile::Records,
                9,
                Some(8),
                DefectKind::TornTail { bytes: 20 }
            )
        );
        assert_eq!(read_lines(dir, JournalFile::Records), lines);

        // The same for checkpoints, once the records are whole again.
        lines.pop();
        write_lines(dir, JournalFile::Records, &lines);
        let mut cps = read_lines(dir, JournalFile::Checkpoints);
        cps.push("{\"cell\"".into());
        write_lines(dir, JournalFile::Checkpoints, &cps);
        let d = defect(dir);
        assert_eq!(
            (d.file, d.line, d.seq, d.kind),
            (
                JournalFile::Checkpoints,
                3,
                None,
                DefectKind::TornTail { bytes: 7 }
            )
        );
    }

    #[test]
    fn moved_and_forged_records_are_named() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(&f, dir);
        let good = read_lines(dir, JournalFile::Records);
        let check = |lines: &[String], line: u64, kind: DefectKind| {
            write_lines(dir, JournalFile::Records, lines);
            let d = defect(dir);
            assert_eq!((d.line, d.seq, d.kind), (line, Some(line - 1), kind));
        };

        let mut deleted = good.clone();
        deleted.remove(2);
        check(
            &deleted,
            3,
            DefectKind::SeqGap {
                expected: 2,
                found: 3,
            },
        );

        let mut swapped = good.clone();
        swapped.swap(5, 6);
        check(
            &swapped,
            6,
            DefectKind::SeqGap {
                expected: 5,
                found: 6,
            },
        );

        // A replayed act, correctly signed and renumbered: only the act seq gives it away.
        let mut replayed = good.clone();
        replayed[7] = line(&f.post(7, "alpha", 1, "message 1"));
        let alpha = IdentityId::new("alpha").unwrap();
        check(
            &replayed,
            8,
            DefectKind::ActorSeq {
                actor: alpha.clone(),
                last: 3,
                found: 1,
            },
        );

        let mut forged = good.clone();
        forged[7] = line(&f.signed(7, ActKind::Post, "alpha", 4, "forged", &f.relay));
        check(&forged, 8, DefectKind::BadSignature(alpha));

        let mut stranger = good.clone();
        let zulu = IdentityId::new("zulu").unwrap();
        stranger[7] = line(&f.signed(7, ActKind::Post, "zulu", 1, "hi", &f.alpha));
        check(&stranger, 8, DefectKind::UnknownActor(zulu));

        let mut not_open = good.clone();
        not_open[0] = line(&f.post(0, "alpha", 1, "first!"));
        let d = {
            write_lines(dir, JournalFile::Records, &not_open);
            defect(dir)
        };
        assert_eq!((d.line, d.seq), (1, Some(0)));
        assert!(matches!(d.kind, DefectKind::NotOpen(_)), "{d}");
    }

    #[test]
    fn checkpoints_are_checked() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(&f, dir);
        let mut cps = read_lines(dir, JournalFile::Checkpoints);
        let mut cp: Checkpoint = serde_json::from_str(&cps[1]).unwrap();
        cp.root.0[0] ^= 1;
        cps[1] = serde_json::to_string(&cp).unwrap() + "\n";
        write_lines(dir, JournalFile::Checkpoints, &cps);
        let d = defect(dir);
        assert_eq!(
            (d.file, d.line, d.kind),
            (JournalFile::Checkpoints, 2, DefectKind::CheckpointSignature)
        );

        let root = cp.root.0;
        cps[1] = serde_json::to_string(&f.checkpoint(6, root, 2, &f.relay)).unwrap() + "\n";
        write_lines(dir, JournalFile::Checkpoints, &cps);
        assert_eq!(defect(dir).kind, DefectKind::CheckpointRoot { size: 6 });
    }

    #[test]
    fn the_authorization_rule_is_applied_to_every_record() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(&f, dir);
        let mut seen = std::cell::Cell::new(0);
        let rule = |open: &OpenBody, r: &Record| {
            seen.set(seen.get() + 1);
            assert_eq!(open.cell, f.cell);
            match r.text() {
                Some("message 5") => Err(format!("`{}` may not say that", r.act.actor)),
                _ => Ok(()),
            }
        };
        match verify(dir, Some(&rule)) {
            Err(VerifyError::Defect(d)) => {
                assert_eq!(
                    d.to_string(),
                    "records.jsonl line 6 (seq 5): unauthorized: `alpha` may not say that"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(*seen.get_mut(), 6);
        assert!(verify(dir, Some(&|_: &OpenBody, _: &Record| Ok(()))).is_ok());
    }

    #[test]
    fn a_cosignature_must_name_the_root_at_its_size() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let all = f.records(4);
        let (mut j, _) = Journal::open(dir, Options::default(), |_| {}).unwrap();
        let _ = j.append(&all).unwrap();
        let root3 = j.tree().root_at(3).unwrap();
        let cosign = |root: [u8; 32]| {
            let body = serde_json::to_string(&fusioncell_wire::act_body::CosignBody {
                size: 3,
                root: fusioncell_wire::Digest(root),
            })
            .unwrap();
            f.signed(5, ActKind::Cosign, "alpha", 3, &body, &f.alpha)
        };
        let _ = j.append(&[cosign(root3)]).unwrap();
        drop(j);
        assert_eq!(verify(dir, None).unwrap().records, 6);

        let mut lines = read_lines(dir, JournalFile::Records);
        lines[5] = line(&cosign([3; 32]));
        write_lines(dir, JournalFile::Records, &lines);
        let d = defect(dir);
        assert_eq!(
            (d.seq, d.kind),
            (
                Some(5),
                DefectKind::CosignRoot {
                    witness: IdentityId::new("alpha").unwrap(),
                    size: 3,
                    root: fusioncell_wire::Digest([3; 32])
                }
            )
        );
    }

    #[test]
    fn missing_files_and_empty_journals_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            verify(tmp.path(), None),
            Err(VerifyError::Io { .. })
        ));
        drop(Journal::open(tmp.path(), Options::default(), |_| {}).unwrap());
        let d = defect(tmp.path());
        assert!(matches!(d.kind, DefectKind::NotOpen(_)), "{d}");
    }
}
