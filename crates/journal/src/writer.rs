//! The single writer: recovery on open, then durable appends and checkpoints.
//!
//! An act is acknowledged and delivered only once its record is on disk
//! (SECURITY-NOTES §3.3): [`Journal::append`] writes a batch, `fdatasync`s it, and only then
//! returns a [`Durable`], the proof the relay's fanout requires. A failed write or sync
//! poisons the journal for good: after a failed fsync the kernel may have dropped the dirty
//! pages and a retry can "succeed" over lost data (the PostgreSQL fsync lesson), so the only
//! safe way on is to reopen, which re-reads and re-verifies what really is on disk.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use fusioncell_keys::SigningKey;
use fusioncell_wire::canonical::checkpoint_bytes;
use fusioncell_wire::{CellId, Checkpoint, Digest, Record, SignatureBytes};

use crate::check::{Checker, Signatures};
use crate::error::{JournalError, JournalFile};
use crate::merkle::{Tree, leaf_hash};
use crate::reader::{Offsets, Reader};
use crate::scan::{ScanError, ScanOptions, scan};

/// How the journal writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Sync every batch and checkpoint to disk before returning (default `true`).
    ///
    /// `false` is the dangerous speed switch: a [`Durable`] then only means "handed to the
    /// operating system", and a power loss can erase records that were acknowledged and
    /// delivered. For benchmarks and throwaway exercises only.
    pub fsync: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { fsync: true }
    }
}

/// Proof that records `first .. first + count` are durable. Only [`Journal::append`] makes
/// one, so code that takes a `&Durable` cannot acknowledge or deliver an unwritten record.
/// It holds the lines as written, so that delivering the records does not encode them again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Durable {
    first: u64,
    count: u64,
    /// The batch's journal lines, each ending in `\n` (JSON escapes every newline inside).
    lines: String,
}

impl Durable {
    /// Seq of the first record of the batch.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// Number of records in the batch.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The batch's journal lines in order, without their newlines: each record's JSON, the
    /// same text `serde_json::to_string` makes of it, so delivery need not encode it again.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.split_terminator('\n')
    }
}

/// What [`Journal::open`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Records found intact (and passed to `on_record`).
    pub records: u64,
    /// Checkpoints found intact.
    pub checkpoints: u64,
    /// Bytes of a torn final line of `records.jsonl` that were cut off (0 if none).
    pub truncated_bytes: u64,
    /// Bytes of a torn final line of `checkpoints.jsonl` that were cut off (0 if none).
    pub truncated_checkpoint_bytes: u64,
}

/// The journal of one cell, open for appending. There is one per folder: opening takes an
/// exclusive lock on `records.jsonl`.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    records: File,
    checkpoints: File,
    options: Options,
    /// The rules later records are checked against (the keys of record 0, actor seqs).
    checker: Checker,
    tree: Tree,
    /// Shared with every [`Reader`]; extended only after a batch is durable.
    offsets: Offsets,
    /// Length of `records.jsonl`.
    end: u64,
    last_checkpoint: Option<Checkpoint>,
    /// Set by a failed write or sync; nothing is written after it.
    poisoned: bool,
}

impl Journal {
    /// Opens (or creates) the journal in `dir`, verifies all of it, and calls `on_record` with
    /// each record in order so the caller can rebuild its state.
    ///
    /// A torn final line of either file (an interrupted write: no `\n`, or a `\n` after bytes
    /// that do not parse) is cut off and reported in [`Recovery`]; nothing before it is ever
    /// removed. Any other defect, including a final line that parses but breaks a rule, is
    /// [`JournalError::Corrupt`] and changes nothing. On error, whatever `on_record` saw must
    /// be discarded. (The offline audit, [`verify`](crate::verify()), also checks witnesses'
    /// cosignatures against the tree and that only redacted records lack a body; the relay
    /// ensures both before it appends, so recovery does not repeat them.)
    pub fn open(
        dir: &Path,
        options: Options,
        mut on_record: impl FnMut(&Record),
    ) -> Result<(Journal, Recovery), JournalError> {
        if !dir.is_dir() {
            fs::create_dir_all(dir).map_err(io_error(dir))?;
            // The new folder's own entry must be durable too.
            if let Some(parent) = dir.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                sync_dir(parent)?;
            }
        }
        let records_path = dir.join(JournalFile::Records.name());
        let (records, created_records) = open_file(&records_path)?;
        records.try_lock().map_err(|e| match e {
            TryLockError::WouldBlock => JournalError::Locked {
                path: records_path.clone(),
            },
            TryLockError::Error(source) => JournalError::Io {
                path: records_path.clone(),
                source,
            },
        })?;
        let checkpoints_path = dir.join(JournalFile::Checkpoints.name());
        let (checkpoints, created_checkpoints) = open_file(&checkpoints_path)?;
        if created_records || created_checkpoints {
            sync_dir(dir)?;
        }

        // The same parallel scan as the audit: recovery of a long journal is as fast.
        let found = scan(&records, &checkpoints, ScanOptions::default(), |_, r| {
            on_record(r);
            Ok(())
        })
        .map_err(|e| match e {
            ScanError::Io(file, source) => JournalError::Io {
                path: dir.join(file.name()),
                source,
            },
            ScanError::Defect(d) => JournalError::Corrupt(d),
        })?;

        let end = found.offsets.last().copied().unwrap_or(0);
        if found.records_torn > 0 {
            cut(&records, &records_path, end)?;
        }
        if found.checkpoints_torn > 0 {
            cut(&checkpoints, &checkpoints_path, found.checkpoints_end)?;
        }
        let recovery = Recovery {
            records: found.tree.len(),
            checkpoints: found.checkpoints.len() as u64,
            truncated_bytes: found.records_torn,
            truncated_checkpoint_bytes: found.checkpoints_torn,
        };
        let journal = Journal {
            dir: dir.to_owned(),
            records,
            checkpoints,
            options,
            checker: found.checker,
            tree: found.tree,
            offsets: Arc::new(RwLock::new(found.offsets)),
            end,
            last_checkpoint: found.checkpoints.last().cloned(),
            poisoned: false,
        };
        Ok((journal, recovery))
    }

    /// Appends a batch of records (seqs continuing from [`size`](Self::size)), writes them with
    /// one `write`, syncs, and only then makes them visible to readers and returns the proof.
    ///
    /// The records are checked against the journal's rules (the first must be the `open`
    /// record, the rest must belong to its cell and identities, with increasing act seqs) so
    /// that the journal always reopens; their signatures are not re-verified (the relay did).
    /// A refused batch writes nothing. A failed write or sync poisons the journal.
    pub fn append(&mut self, records: &[Record]) -> Result<Durable, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        let first = self.tree.len();
        let mut staged = self.checker.clone();
        let mut buf = Vec::new();
        let mut ends = Vec::with_capacity(records.len());
        let mut leaves = Vec::with_capacity(records.len());
        for (expected, r) in (first..).zip(records) {
            if r.seq != expected {
                return Err(JournalError::SeqMismatch {
                    expected,
                    found: r.seq,
                });
            }
            staged
                .record(r, Signatures::Trust)
                .map_err(|reason| JournalError::Rejected { seq: r.seq, reason })?;
            serde_json::to_writer(&mut buf, r).map_err(JournalError::Encode)?;
            buf.push(b'\n');
            ends.push(buf.len());
            leaves.push(leaf_hash(&r.leaf_bytes()));
        }
        // serde_json writes UTF-8; checked once here so that `Durable::line` is a `&str`.
        let lines = String::from_utf8(buf)
            .map_err(|e| JournalError::Encode(serde::ser::Error::custom(e)))?;
        let durable = Durable {
            first,
            count: records.len() as u64,
            lines,
        };
        if records.is_empty() {
            return Ok(durable);
        }
        self.write(JournalFile::Records, durable.lines.as_bytes())?;

        self.checker = staged;
        for leaf in leaves {
            self.tree.push(leaf);
        }
        let start = self.end;
        self.end += durable.lines.len() as u64;
        self.offsets
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(ends.into_iter().map(|e| start + e as u64));
        Ok(durable)
    }

    /// Signs the current tree head with the relay key and appends it to `checkpoints.jsonl`,
    /// synced. If the last checkpoint already covers every record, returns it unchanged.
    pub fn checkpoint(&mut self, relay: &SigningKey, ts: i64) -> Result<Checkpoint, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        let (Some(cell), Some(key)) = (self.checker.cell(), self.checker.relay_key()) else {
            return Err(JournalError::Empty);
        };
        if *key != relay.public_key() {
            return Err(JournalError::WrongRelayKey);
        }
        let size = self.tree.len();
        if let Some(last) = &self.last_checkpoint
            && last.size == size
        {
            return Ok(last.clone());
        }
        let root = Digest(self.tree.root());
        let sig = SignatureBytes(relay.sign(&checkpoint_bytes(cell, size, &root, ts)));
        let cp = Checkpoint {
            cell: cell.clone(),
            size,
            root,
            ts,
            sig,
        };
        let mut line = serde_json::to_vec(&cp).map_err(JournalError::Encode)?;
        line.push(b'\n');
        self.write(JournalFile::Checkpoints, &line)?;
        self.last_checkpoint = Some(cp.clone());
        Ok(cp)
    }

    /// Scrubs the body of durable record `seq` from the file, in place: the line is rewritten
    /// with `"body":null`, padded with spaces to its old length so that every offset stays
    /// valid, and synced. The leaf covers the body's hash, not the body, so the tree and every
    /// proof are unchanged. Returns false (and changes nothing) when the record has no body or
    /// its body is too short for the shorter line to fit; the relay still withholds it.
    pub fn redact(&mut self, seq: u64) -> Result<bool, JournalError> {
        use std::os::unix::fs::FileExt as _;
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        let (start, end) = {
            let offsets = self.offsets.read().unwrap_or_else(PoisonError::into_inner);
            let at = |i: u64| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| offsets.get(i).copied())
            };
            match (at(seq), at(seq + 1)) {
                (Some(s), Some(e)) if s < e => (s, e),
                _ => return Ok(false),
            }
        };
        let path = self.dir.join(JournalFile::Records.name());
        let io_err = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        // A separate handle without O_APPEND, so the write lands where it is told to.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        let mut line = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        file.read_exact_at(&mut line, start).map_err(io_err)?;
        let Some((b'\n', text)) = line.split_last() else {
            return Ok(false);
        };
        let Ok(mut record) = serde_json::from_slice::<Record>(text) else {
            return Ok(false);
        };
        if record.seq != seq || record.body.take().is_none() {
            return Ok(false);
        }
        let mut scrubbed = serde_json::to_vec(&record).map_err(JournalError::Encode)?;
        if scrubbed.len() > text.len() {
            return Ok(false);
        }
        let close = scrubbed.pop();
        scrubbed.resize(text.len() - 1, b' ');
        scrubbed.extend(close);
        if let Err(e) = file
            .write_all_at(&scrubbed, start)
            .and_then(|()| file.sync_data())
        {
            self.poisoned = true;
            return Err(io_err(e));
        }
        Ok(true)
    }

    /// Number of durable records.
    pub fn size(&self) -> u64 {
        self.tree.len()
    }

    /// The Merkle root of all durable records.
    pub fn root(&self) -> Digest {
        Digest(self.tree.root())
    }

    /// The cell, once the open record is written.
    pub fn cell(&self) -> Option<&CellId> {
        self.checker.cell()
    }

    /// The latest checkpoint.
    pub fn last_checkpoint(&self) -> Option<&Checkpoint> {
        self.last_checkpoint.as_ref()
    }

    /// The Merkle tree, for inclusion and consistency proofs.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// A handle for reading durable records from other threads.
    pub fn reader(&self) -> Reader {
        Reader::new(
            self.dir.join(JournalFile::Records.name()),
            Arc::clone(&self.offsets),
        )
    }

    /// Writes `bytes` to the end of `file` and syncs it; any failure poisons the journal.
    fn write(&mut self, file: JournalFile, bytes: &[u8]) -> Result<(), JournalError> {
        let mut handle = match file {
            JournalFile::Records => &self.records,
            JournalFile::Checkpoints => &self.checkpoints,
        };
        let result = handle.write_all(bytes).and_then(|()| {
            if self.options.fsync {
                handle.sync_data()
            } else {
                Ok(())
            }
        });
        result.map_err(|source| {
            self.poisoned = true;
            JournalError::Io {
                path: self.dir.join(file.name()),
                source,
            }
        })
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Opens `path` for reading and appending, creating it if missing; says whether it did.
fn open_file(path: &Path) -> Result<(File, bool), JournalError> {
    let mut options = OpenOptions::new();
    options.read(true).append(true);
    match options.clone().create_new(true).open(path) {
        Ok(file) => Ok((file, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => options
            .open(path)
            .map(|f| (f, false))
            .map_err(io_error(path)),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Cuts a torn tail off at `len` and syncs, whatever [`Options::fsync`] says: recovery is rare
/// and must not be undone by a crash.
fn cut(file: &File, path: &Path, len: u64) -> Result<(), JournalError> {
    file.set_len(len)
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

/// Makes a folder's entries (a created file or subfolder) durable.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
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
        let (j, recovery) =
            Journal::open(&dir, Options::default(), |r| seen.push(r.clone())).unwrap();
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
}
