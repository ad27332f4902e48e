//! One pass over a journal's two files through the [`Checker`], shared by recovery
//! ([`Journal::open`](crate::Journal::open)) and the offline audit ([`verify`](crate::verify())).
//!
//! A scan never changes a file. It stops at the first broken rule, except for a torn final
//! line (unterminated, or terminated but unparseable), which it measures and leaves to the
//! caller: recovery cuts it off, the audit reports it.
//!
//! Every line must also be the journal's own encoding of the value it parses to, byte for byte
//! ([`DefectKind::NonCanonical`]): the parser reads uppercase hex, whitespace or escapes as the
//! same value, so without this rule some edits would change the file and nothing else.
//!
//! Speed: an Ed25519 verification costs far more than everything else a record needs, and no
//! signature depends on another. So records are read in batches and each batch is split over
//! all cores, where every line is parsed, its encoding checked, its body hashed, its signature
//! verified and its leaf hashed ([`prepare`]). The rules that depend on what came before (seqs,
//! act seqs, the caller's authorization, the tree) then run on the calling thread, in file
//! order, consulting those verdicts exactly where they would have made them
//! ([`Checker::record_prechecked`]): the first defect reported is the lowest-numbered one,
//! whatever the threads' timing. While the calling thread walks one batch, the workers
//! prepare the next. Checkpoints are done the same way, in one batch: their signatures on
//! every core ([`relay_signed`]), then their rules in file order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use fusioncell_wire::{ActBody, Checkpoint, OpenBody, Record};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::check::{Checker, Keys, Prechecked, Signatures};
use crate::defaults::{BATCH_BYTES, LINES_PER_THREAD};
use crate::error::{Defect, DefectKind, JournalFile};
use crate::lines::Lines;
use crate::merkle::{Tree, leaf_hash};
use crate::verify::Progress;

/// How a scan runs.
#[derive(Clone, Copy, Default)]
pub(crate) struct ScanOptions<'a> {
    /// Threads that check signatures: 0 for one per core, 1 for none but the caller's.
    pub(crate) threads: usize,
    /// Called after each batch of records.
    pub(crate) progress: Option<&'a dyn Fn(Progress)>,
    /// Lines per thread in a batch; 0 for [`LINES_PER_THREAD`]. Tests make it tiny so that
    /// defects land in every position relative to batches and threads.
    pub(crate) lines_per_thread: usize,
    /// Check each cosignature's root against the tree at its size (the audit does; recovery
    /// leaves it to the relay, which refuses a cosignature of any other root before it is
    /// journaled).
    pub(crate) cosignatures: bool,
    /// Skip the Ed25519 check of the records that the last relay-signed checkpoint covers
    /// (recovery; the audit checks every signature). Nothing is lost to an edit: changing any
    /// of those records changes the tree, and the checkpoint pass then finds that it does not
    /// give the checkpoint's root. What is lost is only the name of the record: the defect is
    /// the checkpoint's.
    pub(crate) trust_checkpointed: bool,
}

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
    /// The good checkpoints, in file order.
    pub(crate) checkpoints: Vec<Checkpoint>,
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

/// A record whose body was scrubbed, as [`Journal::redact`](crate::Journal::redact) writes
/// it: the record's members in order without `body` (PROTOCOL.md §6). Reading it back gives
/// a record with no body, like `"body":null`; unlike `"body":null` it is shorter than the line
/// of every record with a body, even an empty one, so it always fits in place.
#[derive(Serialize)]
pub(crate) struct Scrubbed<'a> {
    seq: u64,
    ts: i64,
    act: &'a fusioncell_wire::Act,
    sig: &'a fusioncell_wire::SignatureBytes,
}

impl<'a> Scrubbed<'a> {
    pub(crate) fn of(r: &'a Record) -> Self {
        Scrubbed {
            seq: r.seq,
            ts: r.ts,
            act: &r.act,
            sig: &r.sig,
        }
    }
}

/// Whether `text` is a line the journal may hold for `record`: its canonical line
/// ([`is_canonical`]) or, for a record without a body, one of the two scrubbed forms, each
/// padded with spaces before its final `}`: [`Scrubbed`] (written since short bodies are
/// scrubbed too) or `"body":null` (written before; it cannot replace a body under two bytes).
fn is_record_line(record: &Record, text: &[u8], scratch: &mut Vec<u8>) -> bool {
    if record.body.is_some() {
        return is_canonical(record, text, false, scratch);
    }
    is_canonical(&Scrubbed::of(record), text, true, scratch)
        || is_canonical(record, text, true, scratch)
}

/// Whether `text` is exactly the line the journal writes for `value`: its compact
/// `serde_json` encoding (fields in declaration order, lowercase hex, no whitespace, the
/// minimal escapes). With `padded`, also that line with spaces inserted before its final `}`,
/// which is how [`Journal::redact`](crate::Journal::redact) keeps a scrubbed line's length.
fn is_canonical<T: Serialize>(value: &T, text: &[u8], padded: bool, scratch: &mut Vec<u8>) -> bool {
    scratch.clear();
    if serde_json::to_writer(&mut *scratch, value).is_err() {
        return false;
    }
    if scratch.as_slice() == text {
        return true;
    }
    padded
        && text.len() > scratch.len()
        && match (scratch.split_last(), text.split_last()) {
            (Some((b'}', head)), Some((b'}', rest))) => {
                rest.starts_with(head) && rest[head.len()..].iter().all(|&b| b == b' ')
            }
            _ => false,
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

/// One line of `records.jsonl`, copied out of the reader.
struct RawLine {
    /// Its index in the file, from 0.
    index: u64,
    /// Byte offset of its first byte.
    offset: u64,
    /// Its bytes (without `\n`) in the batch buffer.
    text: Range<usize>,
    /// Whether it ended in `\n`.
    terminated: bool,
    /// Whether nothing follows it.
    last: bool,
}

/// Consecutive lines of `records.jsonl`.
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    lines: Vec<RawLine>,
}

impl Batch {
    /// Up to `max_lines` lines (fewer at [`BATCH_BYTES`] or the end of the file).
    fn read<R: BufRead>(lines: &mut Lines<R>, max_lines: usize) -> io::Result<Batch> {
        let mut batch = Batch::default();
        while batch.lines.len() < max_lines && batch.buf.len() < BATCH_BYTES {
            let Some(line) = lines.next_line()? else {
                break;
            };
            let start = batch.buf.len();
            batch.buf.extend_from_slice(line.text);
            batch.lines.push(RawLine {
                index: line.index,
                offset: line.offset,
                text: start..batch.buf.len(),
                terminated: line.terminated,
                last: line.last,
            });
        }
        Ok(batch)
    }
}

/// A line after the checks that need only the line itself and the keys of record 0.
enum Prepared {
    /// No `\n`: a torn write if it is the last line (it must be).
    Unterminated,
    /// Not a strictly valid record.
    Unparsed(String),
    /// A record.
    Record(Box<Ready>),
}

/// A parsed record and the verdicts made ahead of the in-order walk.
struct Ready {
    record: Record,
    /// Whether the line is the canonical encoding of the record.
    canonical: bool,
    /// Body and signature verdicts; `None` when prepared before the keys were known (record
    /// 0), so the walk checks them itself.
    pre: Option<Prechecked>,
    /// The record's leaf hash.
    leaf: [u8; 32],
}

/// Parses and prechecks one line.
fn prepare(
    keys: Option<&Keys>,
    signatures: Signatures,
    text: &[u8],
    terminated: bool,
    scratch: &mut Vec<u8>,
) -> Prepared {
    if !terminated {
        return Prepared::Unterminated;
    }
    let record: Record = match serde_json::from_slice(text) {
        Ok(r) => r,
        Err(e) => return Prepared::Unparsed(e.to_string()),
    };
    let canonical = is_record_line(&record, text, scratch);
    let pre = keys.map(|k| k.precheck(&record, signatures));
    let leaf = leaf_hash(&record.leaf_bytes());
    Prepared::Record(Box::new(Ready {
        record,
        canonical,
        pre,
        leaf,
    }))
}

/// Prepares `lines` of `batch`, in order; the signatures of lines before `trusted` are not
/// checked ([`ScanOptions::trust_checkpointed`]).
fn prepare_lines(
    keys: Option<&Keys>,
    trusted: u64,
    batch: &Batch,
    lines: &[RawLine],
) -> Vec<Prepared> {
    let mut scratch = Vec::new();
    lines
        .iter()
        .map(|l| {
            let text = batch.buf.get(l.text.clone()).unwrap_or_default();
            let signatures = if l.index < trusted {
                Signatures::Trust
            } else {
                Signatures::Verify
            };
            prepare(keys, signatures, text, l.terminated, &mut scratch)
        })
        .collect()
}

/// `f` of every item of `items`, in order, on `helpers` scoped threads and the calling
/// thread, which first runs `own` (the in-order walk of the previous batch, and reading the
/// next) and then takes items too, so that no core idles while another still has items.
/// Items are taken `chunk` at a time from a shared counter, so the threads finish together
/// whatever each item costs; the chunks are put back in order before returning.
fn on_every_core<I: Sync, R: Send, O>(
    items: &[I],
    helpers: usize,
    chunk: usize,
    f: impl Fn(&[I]) -> Vec<R> + Sync,
    own: impl FnOnce() -> O,
) -> (Vec<R>, O) {
    let next = AtomicUsize::new(0);
    let chunk = chunk.max(1);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(chunk, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            done.push((start, f(&items[start..items.len().min(start + chunk)])));
        }
    };
    thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers)
            .filter_map(|_| {
                // Out of threads: slower, not wrong.
                thread::Builder::new()
                    .name("journal-verify".into())
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let own = own();
        let mut chunks = work();
        for handle in handles {
            match handle.join() {
                Ok(done) => chunks.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        chunks.sort_unstable_by_key(|(start, _)| *start);
        (chunks.into_iter().flat_map(|(_, r)| r).collect(), own)
    })
}

/// The in-order part of the scan of `records.jsonl`.
#[derive(Default)]
struct Walk {
    /// Whether to check cosignatures ([`ScanOptions::cosignatures`]).
    cosignatures: bool,
    checker: Checker,
    tree: Tree,
    offsets: Vec<u64>,
    records_torn: u64,
    /// A torn final line was met: nothing follows it.
    stopped: bool,
}

impl Walk {
    /// A witness's cosignature (`cosign` act) must name the root the records before it give
    /// at its size. A body that does not parse, or a size past them, is the authorization
    /// rule's to refuse.
    fn check_cosignature(&self, r: &Record) -> Result<(), DefectKind> {
        let Some(ActBody::Cosign(body)) = r.params() else {
            return Ok(());
        };
        match self.tree.root_at(body.size) {
            Some(root) if root != body.root.0 => Err(DefectKind::CosignRoot {
                witness: r.act.actor.clone(),
                size: body.size,
                root: body.root,
            }),
            _ => Ok(()),
        }
    }

    /// Applies the in-order rules to a prepared batch.
    fn walk(
        &mut self,
        batch: &Batch,
        prepared: Vec<Prepared>,
        each: &mut impl FnMut(&OpenBody, &Record) -> Result<(), DefectKind>,
    ) -> Result<(), ScanError> {
        let file = JournalFile::Records;
        for (line, prepared) in batch.lines.iter().zip(prepared) {
            let fail = |kind| defect(file, line.index, kind);
            let ready = match prepared {
                Prepared::Unparsed(_) | Prepared::Unterminated if line.last || !line.terminated => {
                    self.records_torn = line.text.len() as u64 + u64::from(line.terminated);
                    self.stopped = true;
                    return Ok(());
                }
                Prepared::Unparsed(e) => return Err(fail(DefectKind::Parse(e))),
                // Only the last line can be unterminated; the arm above took it.
                Prepared::Unterminated => return Err(fail(DefectKind::Parse("no newline".into()))),
                Prepared::Record(ready) => ready,
            };
            if !ready.canonical {
                return Err(fail(DefectKind::NonCanonical));
            }
            match ready.pre {
                Some(pre) => self.checker.record_prechecked(&ready.record, pre),
                None => self.checker.record(&ready.record, Signatures::Verify),
            }
            .map_err(fail)?;
            // After the open record is accepted the checker always has its body.
            if let Some(open) = self.checker.open_body() {
                each(open, &ready.record).map_err(fail)?;
            }
            if self.cosignatures {
                self.check_cosignature(&ready.record).map_err(fail)?;
            }
            self.offsets.push(line.offset);
            self.tree.push(ready.leaf);
        }
        Ok(())
    }
}

/// Counts the lines of `file` (an unterminated last line included) and rewinds it.
fn count_lines(mut file: &File) -> io::Result<u64> {
    struct Count {
        lines: u64,
        last: Option<u8>,
    }
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            if let Some(&b) = buf.last() {
                self.last = Some(b);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    file.seek(SeekFrom::Start(0))?;
    let mut count = Count {
        lines: 0,
        last: None,
    };
    io::copy(&mut file, &mut count)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(count.lines + u64::from(count.last.is_some_and(|b| b != b'\n')))
}

/// [`Keys::relay_signed`] of each checkpoint, in order, on `threads` threads (false for all
/// without keys: the journal has no open record).
fn relay_signed<'a>(
    keys: Option<&Keys>,
    checkpoints: impl Iterator<Item = &'a Checkpoint>,
    threads: usize,
) -> Vec<bool> {
    let checkpoints: Vec<&Checkpoint> = checkpoints.collect();
    let Some(keys) = keys else {
        return vec![false; checkpoints.len()];
    };
    let chunk = LINES_PER_THREAD / 16;
    let check = |part: &[&Checkpoint]| part.iter().map(|cp| keys.relay_signed(cp)).collect();
    on_every_core(&checkpoints, threads.saturating_sub(1), chunk, check, || ()).0
}

/// How many records the last relay-signed checkpoint covers
/// ([`ScanOptions::trust_checkpointed`]); reads `checkpoints`, then rewinds it. Only lines the
/// checkpoint pass will judge count: a torn (unterminated) line, which recovery cuts off
/// unchecked, vouches for nothing, nor does a line that does not parse or is not signed.
fn checkpointed(mut checkpoints: &File, keys: &Keys, threads: usize) -> io::Result<u64> {
    let mut lines = Lines::new(BufReader::new(checkpoints));
    let mut ours = Vec::new();
    while let Some(line) = lines.next_line()? {
        if line.terminated
            && let Ok(cp) = serde_json::from_slice::<Checkpoint>(line.text)
            && &cp.cell == keys.cell()
        {
            ours.push(cp);
        }
    }
    checkpoints.seek(SeekFrom::Start(0))?;
    let signed = relay_signed(Some(keys), ours.iter(), threads);
    Ok(ours
        .iter()
        .zip(signed)
        .filter(|(_, signed)| *signed)
        .map(|(cp, _)| cp.size)
        .max()
        .unwrap_or(0))
}

/// Reads and checks every record, then every checkpoint. `each` sees each good record (after
/// the built-in rules) on the calling thread, in order, and may refuse it.
pub(crate) fn scan(
    records: &File,
    checkpoints: &File,
    options: ScanOptions<'_>,
    mut each: impl FnMut(&OpenBody, &Record) -> Result<(), DefectKind>,
) -> Result<Scan, ScanError> {
    let threads = match options.threads {
        0 => thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let batch_lines = match options.lines_per_thread {
        0 => LINES_PER_THREAD,
        n => n,
    }
    .saturating_mul(threads);
    let file = JournalFile::Records;
    let io_err = |e| ScanError::Io(file, e);
    let total = match options.progress {
        Some(_) => count_lines(records).map_err(io_err)?,
        None => 0,
    };
    let report = |walk: &Walk| {
        if let Some(progress) = options.progress {
            progress(Progress {
                done: walk.tree.len(),
                total: total.max(walk.tree.len()),
            });
        }
    };

    let mut walk = Walk {
        cosignatures: options.cosignatures,
        ..Walk::default()
    };
    let mut lines = Lines::new(BufReader::new(records));
    report(&walk);
    // Record 0 alone, here: the keys every later signature is checked against come from it.
    let first = Batch::read(&mut lines, 1).map_err(io_err)?;
    let prepared = prepare_lines(None, 0, &first, &first.lines);
    walk.walk(&first, prepared, &mut each)?;
    report(&walk);
    let trusted = match (options.trust_checkpointed, walk.checker.keys()) {
        (true, Some(keys)) => checkpointed(checkpoints, &keys, threads)
            .map_err(|e| ScanError::Io(JournalFile::Checkpoints, e))?,
        _ => 0,
    };

    // The calling thread is one of the `threads`: it walks, reads and then prepares too.
    let helpers = threads - 1;
    let chunk = (batch_lines / threads / 16).max(1);
    let mut pending: Option<(Batch, Vec<Prepared>)> = None;
    let mut batch = Batch::read(&mut lines, batch_lines).map_err(io_err)?;
    while !walk.stopped && !batch.lines.is_empty() {
        let keys = walk.checker.keys();
        let (prepared, (walked, next)) = on_every_core(
            &batch.lines,
            helpers,
            chunk,
            |lines| prepare_lines(keys.as_ref(), trusted, &batch, lines),
            || {
                // Walk the previous batch and read the next while the helpers prepare this one.
                let walked = match pending.take() {
                    Some((previous, prepared)) => walk.walk(&previous, prepared, &mut each),
                    None => Ok(()),
                };
                let next = match walked {
                    Ok(()) if !walk.stopped => Batch::read(&mut lines, batch_lines),
                    _ => Ok(Batch::default()),
                };
                (walked, next)
            },
        );
        walked?;
        report(&walk);
        pending = Some((batch, prepared));
        batch = next.map_err(io_err)?;
    }
    if let Some((batch, prepared)) = pending {
        walk.walk(&batch, prepared, &mut each)?;
        report(&walk);
    }
    walk.offsets.push(lines.offset() - walk.records_torn);
    let Walk {
        checker,
        tree,
        offsets,
        records_torn,
        ..
    } = walk;

    // Every line is read and parsed first, and the relay's signatures are checked on every
    // core; then the rules run in file order. A line that does not parse ends the reading,
    // and is reported only if every line before it keeps the rules.
    let file = JournalFile::Checkpoints;
    let io_err = |e| ScanError::Io(file, e);
    let mut lines = Lines::new(BufReader::new(checkpoints));
    let mut read: Vec<(u64, Checkpoint, bool)> = Vec::new();
    let mut unparsed = None;
    let mut checkpoints_torn = 0;
    let mut scratch = Vec::new();
    while let Some(line) = lines.next_line().map_err(io_err)? {
        match parse(file, &line) {
            Ok(Parsed::Good(cp)) => {
                let canonical = is_canonical(&cp, line.text, false, &mut scratch);
                read.push((line.index, cp, canonical));
            }
            Ok(Parsed::Torn) => {
                checkpoints_torn = line.text.len() as u64 + u64::from(line.terminated);
                break;
            }
            Err(e) => {
                unparsed = Some(e);
                break;
            }
        }
    }
    let keys = checker.keys();
    let signed = relay_signed(keys.as_ref(), read.iter().map(|(_, cp, _)| cp), threads);
    let mut good: Vec<Checkpoint> = Vec::with_capacity(read.len());
    for ((index, cp, canonical), signed) in read.into_iter().zip(signed) {
        let fail = |kind| defect(file, index, kind);
        if !canonical {
            return Err(fail(DefectKind::NonCanonical));
        }
        checker
            .checkpoint(&cp, &tree, good.last().map(|c| c.size), signed)
            .map_err(fail)?;
        good.push(cp);
    }
    if let Some(e) = unparsed {
        return Err(e);
    }

    Ok(Scan {
        checker,
        tree,
        offsets,
        records_torn,
        checkpoints: good,
        checkpoints_end: lines.offset() - checkpoints_torn,
        checkpoints_torn,
    })
}

#[cfg(test)]
mod tests;
