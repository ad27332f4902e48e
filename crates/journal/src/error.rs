//! What can be wrong with a journal, and what can go wrong using one.
//!
//! A [`Defect`] is one rule broken at one place on disk; recovery ([`JournalError::Corrupt`])
//! and the offline audit ([`VerifyError::Defect`]) report the same value, because they run the
//! same checks.

use std::fmt;
use std::io;
use std::path::PathBuf;

use fusioncell_wire::{ActKind, CellId, IdentityId};

/// The two files of a journal folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalFile {
    /// `records.jsonl`: one record per line, line `i` holding seq `i`.
    Records,
    /// `checkpoints.jsonl`: one relay-signed checkpoint per line.
    Checkpoints,
}

impl JournalFile {
    /// The file's name inside the journal folder.
    pub const fn name(self) -> &'static str {
        match self {
            JournalFile::Records => "records.jsonl",
            JournalFile::Checkpoints => "checkpoints.jsonl",
        }
    }
}

impl fmt::Display for JournalFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first broken rule found in a journal, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Defect {
    /// The file it is in.
    pub file: JournalFile,
    /// Its line, counted from 1 as editors do (record seq `s` sits on line `s + 1`).
    pub line: u64,
    /// For `records.jsonl`, the seq the record on that line must have.
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: DefectKind,
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file, self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.kind)
    }
}

/// What rule a record or checkpoint breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefectKind {
    /// The final line is incomplete: a write was cut short by a crash. Recovery truncates it;
    /// the offline audit, which changes nothing on disk, reports it.
    #[error("torn tail: the last {bytes} bytes are an incomplete line (an interrupted write)")]
    TornTail {
        /// Length of the incomplete line.
        bytes: u64,
    },
    /// The line is not one strictly valid JSON value of the expected type.
    #[error("does not parse: {0}")]
    Parse(String),
    /// The line parses, but is not byte for byte the compact JSON the journal writes for that
    /// value (uppercase hex, added whitespace, reordered keys, escaped characters): an edit.
    /// The journal has exactly one encoding per value, so every changed byte is detected,
    /// including those a lenient parser would read back as the same value.
    #[error("parses, but is not the journal's canonical encoding of its value (an edited line)")]
    NonCanonical,
    /// A record is missing, duplicated or out of place.
    #[error("expected seq {expected}, found seq {found} (a record is missing, repeated or moved)")]
    SeqGap {
        /// The seq this line must hold.
        expected: u64,
        /// The seq it holds.
        found: u64,
    },
    /// Record 0 is not a valid `open` act by the relay, or a later record is one.
    #[error("not a valid open record: {0}")]
    NotOpen(String),
    /// The record or checkpoint names another cell than the open record.
    #[error("belongs to cell `{found}`, the journal is cell `{expected}`")]
    WrongCell {
        /// The journal's cell.
        expected: CellId,
        /// The cell named.
        found: CellId,
    },
    /// The body does not hash to the act's `body_sha256`.
    #[error("the body does not match its signed hash")]
    BodyHash,
    /// The actor is not an identity of the open record.
    #[error("unknown actor `{0}`")]
    UnknownActor(IdentityId),
    /// A relay kind by an identity, or a client kind by the relay.
    #[error("`{actor}` may not make `{}` acts", kind.as_str())]
    WrongActor {
        /// The act's kind.
        kind: ActKind,
        /// Its actor.
        actor: IdentityId,
    },
    /// The signature does not verify under the actor's key.
    #[error("bad signature by `{0}`")]
    BadSignature(IdentityId),
    /// An identity's act seq did not increase: a replayed or reordered act.
    #[error("`{actor}` act seq {found} does not exceed its previous {last}")]
    ActorSeq {
        /// The identity.
        actor: IdentityId,
        /// Its previous act seq (0 before its first act).
        last: u64,
        /// The act seq found.
        found: u64,
    },
    /// The caller's authorization rule refused the act.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A checkpoint's relay signature does not verify.
    #[error("checkpoint signature does not verify under the relay key")]
    CheckpointSignature,
    /// A checkpoint's root is not the tree's root at its size: the records were rewritten.
    #[error("checkpoint root for size {size} does not match the records")]
    CheckpointRoot {
        /// The size it covers.
        size: u64,
    },
    /// A checkpoint covers records that are not there: the journal was truncated.
    #[error("checkpoint covers {size} records, the journal holds {records}")]
    CheckpointSize {
        /// The size it covers.
        size: u64,
        /// Records present.
        records: u64,
    },
    /// The body is gone (`"body": null`) but no `redact` act names this record: a body was
    /// removed by editing the file. (The leaf covers the body's hash only, so that a mediator
    /// can redact; the redact act is what says one did.)
    #[error("the body was removed, but no `redact` act names this record")]
    BodyRemoved,
    /// A witness's cosignature names a root that is not the tree's root at that size: the
    /// records it witnessed were rewritten since (or it cosigned another history: a fork).
    #[error("`{witness}` cosigned root {root} for size {size}, the records give another root")]
    CosignRoot {
        /// The witness.
        witness: IdentityId,
        /// The size it cosigned.
        size: u64,
        /// The root it cosigned.
        root: fusioncell_wire::Digest,
    },
    /// A checkpoint does not cover more than the one before it.
    #[error("checkpoint size {size} does not exceed the previous checkpoint's {previous}")]
    CheckpointOrder {
        /// The previous checkpoint's size.
        previous: u64,
        /// This one's.
        size: u64,
    },
}

/// Why a [`Journal`](crate::Journal) or [`Reader`](crate::Reader) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The journal on disk breaks a rule somewhere other than a torn final line; nothing was
    /// truncated. The relay must not start on it.
    #[error("journal is corrupt: {0}")]
    Corrupt(Defect),
    /// An earlier write or sync failed, so what is on disk is unknown: nothing more is
    /// appended or acknowledged until the journal is reopened (and so re-verified).
    #[error("journal is poisoned by an earlier write or sync failure; reopen it to recover")]
    Poisoned,
    /// An appended record does not carry the next seq.
    #[error("record seq {found} appended where seq {expected} is next")]
    SeqMismatch {
        /// The next seq.
        expected: u64,
        /// The seq given.
        found: u64,
    },
    /// An appended record breaks a journal rule; nothing of its batch was written.
    #[error("record {seq} refused: {reason}")]
    Rejected {
        /// Its seq.
        seq: u64,
        /// The rule.
        reason: DefectKind,
    },
    /// A record or checkpoint could not be serialized. Cannot happen for these plain types;
    /// kept as an error rather than a panic.
    #[error("cannot serialize: {0}")]
    Encode(serde_json::Error),
    /// Another process holds the journal open for writing: two writers would interleave lines.
    #[error("{} is locked by another writer", path.display())]
    Locked {
        /// The locked file.
        path: PathBuf,
    },
    /// Opening was cancelled before it finished; nothing on disk was changed.
    #[error("opening the journal was cancelled")]
    Cancelled,
    /// A checkpoint was asked of a journal with no records.
    #[error("the journal has no records to checkpoint")]
    Empty,
    /// The checkpoint key is not the relay key of the open record: recovery would refuse it.
    #[error("the signing key is not the relay key named by the open record")]
    WrongRelayKey,
}

/// Why the offline audit failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The first broken rule.
    #[error("{0}")]
    Defect(Defect),
}
