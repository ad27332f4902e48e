//! Resume: a session that subscribes from an earlier sequence number gets every record it may
//! see from the journal, up to the point where it went live; fan-out delivers everything after
//! that point. The commit thread fixes that point atomically, so there is no gap and no
//! duplicate between the two.
//!
//! The backlog is not sent in one go: the session's loop takes it a page at a time
//! ([`Backlog::next_page`], at most [`RESUME_PAGE_BYTES`] of journal), between its other work,
//! and writes each page under the same rules as live delivery (session.rs): the kill signal
//! (too slow, superseded, shutdown) and the idle timeout end it even while a write is stuck,
//! and what it holds is bounded in bytes. A client that subscribes from 0 and never reads
//! costs one page and the socket's buffers, and is closed like any other that stops reading.

use fusioncell_cell::policy;
use fusioncell_wire::{ActBody, IdentityId, Record};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::context::Context;
use crate::defaults::RESUME_PAGE_BYTES;
use crate::fanout::deliver_frame;
use crate::session_end::SessionEnd;

/// The part of the journal a session still has to be sent: records `next..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// The next record to read.
    pub next: u64,
    /// The journal's size when the session went live (sent in `live` at the end).
    pub to: u64,
}

impl Backlog {
    /// Whether everything was sent.
    pub fn done(&self) -> bool {
        self.next >= self.to
    }

    /// The `deliver` frames of the next page of records that `who` may see (redacted bodies
    /// withheld), and where the page ended. Reads at most [`RESUME_PAGE_BYTES`] of journal
    /// lines, or one record if a single one is larger.
    pub async fn next_page(
        &self,
        ctx: &Context,
        who: &IdentityId,
    ) -> Result<(Vec<Utf8Bytes>, u64), SessionEnd> {
        let Some(reader) = ctx.reader.clone() else {
            return Err(SessionEnd::NoJournal);
        };
        let (next, to) = (self.next, self.to);
        let records =
            tokio::task::spawn_blocking(move || reader.read_bytes(next, to, RESUME_PAGE_BYTES))
                .await
                .map_err(|e| SessionEnd::JournalRead(e.to_string()))?
                .map_err(|e| SessionEnd::JournalRead(e.to_string()))?;
        let Some(last) = records.last().map(|r| r.seq) else {
            return Err(SessionEnd::JournalRead(format!(
                "no record {next} below the size {to}"
            )));
        };
        let visible: Vec<_> = {
            let state = ctx.state.read();
            records
                .into_iter()
                .filter(|r| policy::can_see(&ctx.cell, &state, who, r.seq))
                .map(|mut r| {
                    if state.is_redacted(r.seq) {
                        r.body = None;
                    }
                    r
                })
                .collect()
        };
        let mut frames = Vec::with_capacity(visible.len());
        for record in visible {
            let released = released_post(ctx, &record).await;
            frames.push(deliver_frame(&record, released.as_ref()));
        }
        Ok((frames, last + 1))
    }
}

/// The post an `approve` record releases, read from the journal.
async fn released_post(ctx: &Context, record: &Record) -> Option<Record> {
    let Some(ActBody::Approve(d)) = record.params() else {
        return None;
    };
    let target = d.target;
    let reader = ctx.reader.clone()?;
    let mut post = tokio::task::spawn_blocking(move || reader.read(target, target + 1))
        .await
        .ok()?
        .ok()?
        .pop()?;
    if ctx.state.read().is_redacted(post.seq) {
        post.body = None;
    }
    Some(post)
}
