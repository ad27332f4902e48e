//! The single writer: recovery on open, then durable appends and checkpoints.
//!
//! An act is acknowledged and delivered only once its record is on disk, so that no party
//! can be shown an act the journal later lacks: [`Journal::append`] writes a batch,
//! `fdatasync`s it, and only then returns a [`Durable`], the proof the relay's fanout requires. A failed write or sync
//! poisons the journal for good: after a failed fsync the kernel may have dropped the dirty
//! pages and a retry can "succeed" over lost data (the PostgreSQL fsync lesson), so the only
//! safe way on is to reopen, which re-reads and re-verifies what really is on disk.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use fusioncell_keys::SigningKey;
use fusioncell_wire::canonical::checkpoint_bytes;
use fusioncell_wire::{CellId, Checkpoint, Digest, Record, SignatureBytes};

use crate::check::{Checker, Signatures};
use crate::error::{DefectKind, JournalError, JournalFile};
use crate::merkle::{Tree, leaf_hash};
use crate::reader::{Offsets, Reader};
use crate::scan::{ScanError, ScanOptions, Scrubbed, scan};

mod durable;
pub mod fault;

pub use durable::Durable;
use fault::{Faults, Point};

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
    /// Length of `checkpoints.jsonl`.
    checkpoints_end: u64,
    last_checkpoint: Option<Checkpoint>,
    /// Set by a failed write or sync; nothing is written after it.
    poisoned: bool,
    /// Failures and pauses on purpose (`dangerous_*`, [`fault`]); none unless configured.
    faults: Faults,
    /// How long the last write's sync took, until [`Journal::take_sync_time`] takes it.
    sync_time: Option<std::time::Duration>,
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
        on_record: impl FnMut(&Record),
    ) -> Result<(Journal, Recovery), JournalError> {
        Journal::open_cancellable(dir, options, &AtomicBool::new(false), on_record)
    }

    /// [`open`](Self::open), abandoned with [`JournalError::Cancelled`] as soon as it sees
    /// `cancel` set (between records, and before it cuts anything): a relay asked to stop while
    /// it recovers a long journal stops at once and changes nothing on disk.
    pub fn open_cancellable(
        dir: &Path,
        options: Options,
        cancel: &AtomicBool,
        mut on_record: impl FnMut(&Record),
    ) -> Result<(Journal, Recovery), JournalError> {
        let cancelled = || cancel.load(Ordering::Relaxed);
        let mut faults = Faults::from_env();
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

        // The audit's parallel scan, except that the signatures a relay-signed checkpoint
        // vouches for are not checked again (SECURITY.md, "Recovery"): every later one is.
        let scan_options = ScanOptions {
            trust_checkpointed: true,
            ..ScanOptions::default()
        };
        let mut stopped = false;
        let found = scan(&records, &checkpoints, scan_options, |_, r| {
            if cancelled() {
                // Any error stops the scan; `stopped` says it was not a defect.
                stopped = true;
                return Err(DefectKind::Unauthorized("recovery cancelled".into()));
            }
            on_record(r);
            Ok(())
        });
        if stopped {
            return Err(JournalError::Cancelled);
        }
        let found = found.map_err(|e| match e {
            ScanError::Io(file, source) => JournalError::Io {
                path: dir.join(file.name()),
                source,
            },
            ScanError::Defect(d) => JournalError::Corrupt(d),
        })?;
        faults
            .hit(Point::Recovery, &cancelled)
            .map_err(io_error(dir))?;
        if cancelled() {
            return Err(JournalError::Cancelled);
        }

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
            checkpoints_end: found.checkpoints_end,
            last_checkpoint: found.checkpoints.last().cloned(),
            poisoned: false,
            faults,
            sync_time: None,
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
        self.checkpoints_end += line.len() as u64;
        self.last_checkpoint = Some(cp.clone());
        Ok(cp)
    }

    /// Scrubs the body of durable record `seq` from the file, in place: the line is rewritten
    /// as the record without its `body` member, padded with spaces before its final `}` to its
    /// old length so that every offset stays valid, and synced (PROTOCOL.md §6). That form is
    /// shorter than the line with any body, even `""`, so no byte of a body of any length
    /// remains. The leaf covers the body's hash, not the body, so the tree and every proof are
    /// unchanged. Returns false (and changes nothing) when the record has no body.
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
        let mut scrubbed =
            serde_json::to_vec(&Scrubbed::of(&record)).map_err(JournalError::Encode)?;
        if scrubbed.len() > text.len() {
            // Cannot happen: the line lost at least `,"body":""`. Refused rather than cut.
            return Ok(false);
        }
        let close = scrubbed.pop();
        scrubbed.resize(text.len() - 1, b' ');
        scrubbed.extend(close);
        let never = || false;
        let faults = &mut self.faults;
        let written = faults
            .hit(Point::RedactWrite, &never)
            .and_then(|()| file.write_all_at(&scrubbed, start));
        let synced = written.and_then(|()| {
            faults.hit(Point::RedactSync, &never)?;
            file.sync_data()
        });
        if let Err(e) = synced {
            self.poisoned = true;
            // A line half rewritten in the middle of the file would not reopen: put the
            // original back (best effort; the record was durable before the scrub began).
            let _ = file
                .write_all_at(&line, start)
                .and_then(|()| file.sync_data());
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

    /// Bytes in the journal's two files (`records.jsonl` and `checkpoints.jsonl`).
    pub fn bytes(&self) -> u64 {
        self.end + self.checkpoints_end
    }

    /// How long the `fdatasync` of the last append or checkpoint took, once: `None` after it
    /// was taken, when nothing was written since, or without fsync. For the relay's metrics.
    pub fn take_sync_time(&mut self) -> Option<std::time::Duration> {
        self.sync_time.take()
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

    /// Writes `bytes` to the end of `file` and syncs it. Any failure poisons the journal and
    /// cuts the file back to where the write began (and syncs that), so that a disk that filled
    /// up or failed mid-write leaves no partial line behind; if even that fails, the next
    /// [`open`](Self::open) cuts the torn tail.
    fn write(&mut self, file: JournalFile, bytes: &[u8]) -> Result<(), JournalError> {
        let (mut handle, start, write_point, sync_point) = match file {
            JournalFile::Records => (
                &self.records,
                self.end,
                Point::RecordsWrite,
                Point::RecordsSync,
            ),
            JournalFile::Checkpoints => (
                &self.checkpoints,
                self.checkpoints_end,
                Point::CheckpointWrite,
                Point::CheckpointSync,
            ),
        };
        let never = || false;
        let faults = &mut self.faults;
        let fsync = self.options.fsync;
        let result = (|| {
            if faults.is_empty() {
                handle.write_all(bytes)?;
            } else {
                let (first, second) = bytes.split_at(bytes.len() / 2);
                handle.write_all(first)?;
                faults.hit(write_point, &never)?;
                handle.write_all(second)?;
            }
            faults.hit(sync_point, &never)?;
            if !fsync {
                return Ok(None);
            }
            let started = std::time::Instant::now();
            handle.sync_data()?;
            Ok(Some(started.elapsed()))
        })();
        let result = result.map(|took| {
            self.sync_time = took;
        });
        result.map_err(|source| {
            self.poisoned = true;
            let _ = handle.set_len(start).and_then(|()| handle.sync_all());
            JournalError::Io {
                path: self.dir.join(file.name()),
                source,
            }
        })
    }

    /// Replaces the journal's configured faults (`dangerous_*`: see [`fault`]). For tests.
    #[doc(hidden)]
    pub fn dangerous_set_faults(&mut self, faults: Faults) {
        self.faults = faults;
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
mod tests;
