//! One pass over a journal's two files through the [`Checker`], shared by recovery
//! ([`Journal::open`](crate::Journal::open)) and the offline audit ([`verify`](crate::verify())).
//!
//! A scan never changes a file. It stops at the first broken rule, except for a torn final
//! line (unterminated, or terminated but unparseable), which it measures and leaves to the
//! caller: recovery cuts it off, the audit reports it.

use std::fs::File;
use std::io::{self, BufReader};

use fusioncell_wire::{Checkpoint, OpenBody, Record};
use serde::de::DeserializeOwned;

use crate::check::{Checker, Signatures};
use crate::error::{Defect, DefectKind, JournalFile};
use crate::lines::Lines;
use crate::merkle::{Tree, leaf_hash};

/// What a scan found.
#[derive(Debug)]
pub(crate) struct Scan {
    /// The state after the last good record.
    pub(crate) checker: Checker,
    /// The tree of the good records.
    pub(crate) tree: Tree,
    /// Byte offset of each good record's line, then the end of the last good line.
    pub(crate) offsets: Vec<u64>,
    /// Length of a torn final line of `records.jsonl` (0 if none).
    pub(crate) records_torn: u64,
    /// Good checkpoints.
    pub(crate) checkpoints: u64,
    /// The last good checkpoint.
    pub(crate) last_checkpoint: Option<Checkpoint>,
    /// End of the last good line of `checkpoints.jsonl`.
    pub(crate) checkpoints_end: u64,
    /// Length of a torn final line of `checkpoints.jsonl` (0 if none).
    pub(crate) checkpoints_torn: u64,
}

/// Why a scan stopped.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// Reading a file failed.
    Io(JournalFile, io::Error),
    /// A rule is broken.
    Defect(Defect),
}

/// How one line turned out.
enum Parsed<T> {
    Good(T),
    Torn,
}

/// Parses one line strictly; a bad final line is a torn write, a bad earlier one corruption.
fn parse<T: DeserializeOwned>(
    file: JournalFile,
    line: &crate::lines::Line<'_>,
) -> Result<Parsed<T>, ScanError> {
    if !line.terminated {
        return Ok(Parsed::Torn);
    }
    match serde_json::from_slice(line.text) {
        Ok(v) => Ok(Parsed::Good(v)),
        Err(_) if line.last => Ok(Parsed::Torn),
        Err(e) => Err(defect(file, line.index, DefectKind::Parse(e.to_string()))),
    }
}

/// A defect at 0-based line `index` of `file`.
pub(crate) fn defect_at(file: JournalFile, index: u64, kind: DefectKind) -> Defect {
    Defect {
        file,
        line: index + 1,
        seq: (file == JournalFile::Records).then_some(index),
        kind,
    }
}

fn defect(file: JournalFile, index: u64, kind: DefectKind) -> ScanError {
    ScanError::Defect(defect_at(file, index, kind))
}

/// Reads and checks every record, then every checkpoint. `each` sees each good record (after
/// the built-in rules) and may refuse it.
pub(crate) fn scan(
    records: &File,
    checkpoints: &File,
    mut each: impl FnMut(&OpenBody, &Record) -> Result<(), DefectKind>,
) -> Result<Scan, ScanError> {
    let mut checker = Checker::default();
    let mut tree = Tree::new();
    let mut offsets = Vec::new();
    let mut records_torn = 0;

    let file = JournalFile::Records;
    let io_err = |e| ScanError::Io(file, e);
    let mut lines = Lines::new(BufReader::new(records));
    while let Some(line) = lines.next_line().map_err(io_err)? {
        let record: Record = match parse(file, &line)? {
            Parsed::Good(r) => r,
            Parsed::Torn => {
                records_torn = line.text.len() as u64 + u64::from(line.terminated);
                break;
            }
        };
        let fail = |kind| defect(file, line.index, kind);
        checker.record(&record, Signatures::Verify).map_err(fail)?;
        // After the open record is accepted the checker always has its body.
        if let Some(open) = checker.open_body() {
            each(open, &record).map_err(fail)?;
        }
        offsets.push(line.offset);
        tree.push(leaf_hash(&record.leaf_bytes()));
    }
    offsets.push(lines.offset() - records_torn);

    let file = JournalFile::Checkpoints;
    let io_err = |e| ScanError::Io(file, e);
    let mut lines = Lines::new(BufReader::new(checkpoints));
    let mut count = 0;
    let mut last: Option<Checkpoint> = None;
    let mut checkpoints_torn = 0;
    while let Some(line) = lines.next_line().map_err(io_err)? {
        let cp: Checkpoint = match parse(file, &line)? {
            Parsed::Good(cp) => cp,
            Parsed::Torn => {
                checkpoints_torn = line.text.len() as u64 + u64::from(line.terminated);
                break;
            }
        };
        checker
            .checkpoint(&cp, &tree, last.as_ref().map(|c| c.size))
            .map_err(|kind| defect(file, line.index, kind))?;
        count += 1;
        last = Some(cp);
    }

    Ok(Scan {
        checker,
        tree,
        offsets,
        records_torn,
        checkpoints: count,
        last_checkpoint: last,
        checkpoints_end: lines.offset() - checkpoints_torn,
        checkpoints_torn,
    })
}
