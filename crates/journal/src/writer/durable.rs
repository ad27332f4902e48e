//! The proof that a batch of records is on disk, which acknowledging and delivering require.

/// Proof that records `first .. first + count` are durable. Only
/// [`Journal::append`](super::Journal::append) makes one, so code that takes a `&Durable` cannot acknowledge or deliver an unwritten record.
/// It holds the lines as written, so that delivering the records does not encode them again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Durable {
    pub(super) first: u64,
    pub(super) count: u64,
    /// The batch's journal lines, each ending in `\n` (JSON escapes every newline inside).
    pub(super) lines: String,
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
