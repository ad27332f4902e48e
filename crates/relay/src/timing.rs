//! Timing events: where an act's time goes inside the relay, stage by stage (BENCHMARKS.md,
//! "The many-to-many tail, traced"; `scripts/trace.sh` collects and analyses them).
//!
//! They are `tracing` events on the target [`TARGET`] at TRACE level, with times in
//! nanoseconds of one monotonic clock shared by every thread ([`ns`]), so that the stages of
//! one act, taken on a session task, the commit thread and the recipients' tasks, line up.
//! Off (the default), each site costs a level check: no clock is read, nothing is collected.
//!
//! The events, by their message:
//! - `act` (session task): `session`, `seq` (the actor's), `read` (frame read), `verified`,
//!   `handed` (just before it is sent to the commit thread's queue);
//! - `group` (commit thread, one per group commit): `group`, `commands`, `records`, `first`
//!   (its first cell seq), `waited` (began waiting for a command), `picked` (the batch is
//!   taken off the queue: every command in it was handed before),
//!   `journal` (sequenced, the journal append begins), `sync` (the fdatasync begins),
//!   `synced`, `answered` (the acks and errors it owes are built), `queued` (they and the deliveries
//!   are queued);
//! - `commit` (commit thread, one per accepted act): `group`, `session`, `seq`, `cell_seq`;
//! - `checkpoint` (commit thread): `start`, `end`;
//! - `flush` (session task, one per write batch): `session`, `taken` (the batch's first frame
//!   left the queue), `flushed`, `delivered` and `acked` (the cell seqs written, comma-separated).

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The target every timing event is logged on (`RUST_LOG=fusioncell::timing=trace`).
pub const TARGET: &str = "fusioncell::timing";

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Whether timing events are wanted.
pub fn enabled() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::TRACE)
}

/// Fixes the clock's zero; called when a cell starts serving, before any stage is timed
/// (an earlier instant would read as 0).
pub fn start_clock() {
    EPOCH.get_or_init(Instant::now);
}

/// `at` in nanoseconds of the process's timing clock.
pub fn ns(at: Instant) -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(at.saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX)
}

/// Now, on the timing clock, when timing is on.
pub fn now() -> Option<u64> {
    enabled().then(|| ns(Instant::now()))
}

/// An act a session read, verified and handed to the commit thread (the stamps are `None`
/// when timing is off).
pub fn act(session: u64, seq: u64, read: Instant, verified: Option<u64>, handed: Option<u64>) {
    let (Some(verified), Some(handed)) = (verified, handed) else {
        return;
    };
    tracing::trace!(target: TARGET, session, seq, read = ns(read), verified, handed, "act");
}

/// The commit thread's clock of one group commit; every method does nothing when timing was
/// off when the group was picked up.
#[derive(Debug, Default)]
pub struct Group {
    stamps: Option<GroupStamps>,
}

#[derive(Debug, Default)]
struct GroupStamps {
    id: u64,
    commands: usize,
    waited: u64,
    picked: u64,
    journal: u64,
    sync: u64,
    synced: u64,
    answered: u64,
}

impl Group {
    /// A group of `commands` commands, numbered `id`, taken off the queue at `picked`
    /// after waiting since `waited` (both `None` when timing is off).
    pub fn picked(id: u64, commands: usize, waited: Option<u64>, picked: Option<u64>) -> Group {
        let stamps = match (waited, picked) {
            (Some(waited), Some(picked)) => Some(GroupStamps {
                id,
                commands,
                waited,
                picked,
                ..GroupStamps::default()
            }),
            _ => None,
        };
        Group { stamps }
    }

    /// The group's number, when it is timed.
    pub fn id(&self) -> Option<u64> {
        self.stamps.as_ref().map(|s| s.id)
    }

    /// The journal append begins (the commands are sequenced).
    pub fn journal(&mut self) {
        if let Some(s) = &mut self.stamps {
            s.journal = ns(Instant::now());
        }
    }

    /// The append returned; `sync` is how long its fdatasync took (none without fsync), which
    /// ended just before.
    pub fn synced(&mut self, sync: Option<Duration>) {
        if let Some(s) = &mut self.stamps {
            s.synced = ns(Instant::now());
            let took = sync.map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            s.sync = s.synced.saturating_sub(took).max(s.journal);
        }
    }

    /// The acks and errors the group owes are built (queued with its deliveries).
    pub fn answered(&mut self) {
        if let Some(s) = &mut self.stamps {
            s.answered = ns(Instant::now());
        }
    }

    /// The deliveries are queued: logs the group, `records` of them from cell seq `first`,
    /// and the acts it accepted (`[session, seq, cell seq]`).
    pub fn queued(self, first: u64, records: usize, accepted: &[[u64; 3]]) {
        let Some(s) = self.stamps else {
            return;
        };
        let queued = ns(Instant::now());
        tracing::trace!(
            target: TARGET,
            group = s.id,
            commands = s.commands,
            records,
            first,
            waited = s.waited,
            picked = s.picked,
            journal = s.journal,
            sync = s.sync,
            synced = s.synced,
            answered = s.answered,
            queued,
            "group"
        );
        for &[session, seq, cell_seq] in accepted {
            tracing::trace!(target: TARGET, group = s.id, session, seq, cell_seq, "commit");
        }
    }
}

/// A checkpoint written between `start` and now.
pub fn checkpoint(start: Option<u64>) {
    let (Some(start), Some(end)) = (start, now()) else {
        return;
    };
    tracing::trace!(target: TARGET, start, end, "checkpoint");
}

/// The cell seqs one session's write batch carried, by kind of frame.
#[derive(Debug, Default)]
pub struct Flushed {
    delivered: String,
    acked: String,
}

impl Flushed {
    /// Notes a frame about to be written (reads the cell seq of `deliver` and `ack` frames).
    pub fn note(&mut self, frame: &str) {
        let (list, seq) = if let Some(rest) = frame.strip_prefix(DELIVER) {
            (&mut self.delivered, leading_number(rest))
        } else if frame.starts_with(ACK) {
            let seq = frame
                .find(CELL_SEQ)
                .and_then(|at| leading_number(&frame[at + CELL_SEQ.len()..]));
            (&mut self.acked, seq)
        } else {
            return;
        };
        if let Some(seq) = seq {
            if !list.is_empty() {
                list.push(',');
            }
            let _ = write!(list, "{seq}");
        }
    }

    /// The batch of `session`, whose first frame left the queue at `taken`, is flushed.
    pub fn flushed(self, session: u64, taken: u64) {
        tracing::trace!(
            target: TARGET,
            session,
            taken,
            flushed = ns(Instant::now()),
            delivered = self.delivered,
            acked = self.acked,
            "flush"
        );
    }
}

const DELIVER: &str = r#"{"type":"deliver","record":{"seq":"#;
const ACK: &str = r#"{"type":"ack","#;
const CELL_SEQ: &str = r#""cell_seq":"#;

fn leading_number(s: &str) -> Option<u64> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use fusioncell_wire::{Record, ServerMsg};

    use super::*;
    use crate::fanout::deliver_frame;
    use crate::testing::{example_cell, verified};

    /// The cell seqs are read from the frames the relay really writes.
    #[test]
    fn a_batch_notes_the_cell_seqs_of_its_deliveries_and_acks() {
        let cell = example_cell();
        let act = verified(&cell, "israel", "diplomacy", 7, 1_764_115_200_000, "m");
        let mut seq = crate::sequencer::Sequencer::new(cell.clone());
        let record = match seq.decide(act, 1_764_115_200_000, &|_| None) {
            crate::sequencer::Decision::Accept(mut r) => {
                r.seq = 4321;
                r
            }
            other => panic!("{other:?}"),
        };
        let mut flushed = Flushed::default();
        flushed.note(&deliver_frame(&record, None));
        let ack = ServerMsg::Ack {
            seq: 7,
            cell_seq: 4322,
            ts: 1,
        };
        flushed.note(&ack.to_json());
        flushed.note(&deliver_frame(&Record { seq: 12, ..record }, None));
        flushed.note(&ServerMsg::Live { size: 99 }.to_json());
        assert_eq!(flushed.delivered, "4321,12");
        assert_eq!(flushed.acked, "4322");
    }
}
