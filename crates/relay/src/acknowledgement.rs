//! An acknowledgement: the relay's word that a client's act is record `cell_seq` of the
//! journal, on disk. A client drops its copy of an acknowledged act, so an acknowledgement
//! sent before the record is durable could lose the act for good in a crash.
//!
//! That rule is a type, not control flow: [`Acknowledgement::new`] is the only constructor
//! and takes the journal's [`Durable`] proof, which only `Journal::append` makes after the
//! batch is written and synced; the fields are private, and the session's ack path
//! ([`crate::fanout::Reply::Ack`]) accepts only an `Acknowledgement`. Code that has
//! not made the record durable has no `Durable` to show and cannot build one.

use fusioncell_journal::Durable;
use fusioncell_wire::ServerMsg;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Proof-carrying acknowledgement of one act (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Acknowledgement {
    seq: u64,
    cell_seq: u64,
    ts: i64,
}

impl Acknowledgement {
    /// Acknowledges the act with the actor's sequence number `seq` as record `cell_seq`
    /// written at relay time `ts`. `None` when `durable` does not cover `cell_seq`: the
    /// journal is append-only and each batch is synced after every earlier one, so a
    /// `Durable` for records `first .. first + count` proves every record below
    /// `first + count` durable (the records of earlier batches, which a retried act names).
    pub fn new(durable: &Durable, seq: u64, cell_seq: u64, ts: i64) -> Option<Self> {
        (cell_seq < durable.first() + durable.count()).then_some(Acknowledgement {
            seq,
            cell_seq,
            ts,
        })
    }

    /// The `ack` frame sent to the session that submitted the act.
    pub fn frame(&self) -> Utf8Bytes {
        Utf8Bytes::from(
            ServerMsg::Ack {
                seq: self.seq,
                cell_seq: self.cell_seq,
                ts: self.ts,
            }
            .to_json(),
        )
    }
}

#[cfg(test)]
mod tests {
    use fusioncell_journal::{Journal, Options};
    use fusioncell_wire::ActBody;

    use super::*;
    use crate::sequencer::{Decision, Sequencer};
    use crate::testing::{example_cell, key, verified};

    const NOW: i64 = 1_764_115_200_000;

    #[test]
    fn an_acknowledgement_needs_a_proof_that_covers_its_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cell = example_cell();
        let mut seq = Sequencer::new(cell.clone());
        let open = seq.relay_record(
            &key("relay"),
            None,
            ActBody::Open(cell.open_body([0; 32])),
            NOW,
        );
        let (mut journal, _) = Journal::open(dir.path(), Options::default(), |_| {}).expect("open");
        let durable = journal.append(&[open]).expect("append");
        assert!(Acknowledgement::new(&durable, 1, 0, NOW).is_some());
        assert!(Acknowledgement::new(&durable, 1, 1, NOW).is_none());
        let Decision::Accept(record) = seq.decide(
            verified(&cell, "israel", "diplomacy", 1, NOW, "m"),
            NOW,
            &|_| None,
        ) else {
            panic!("accepted");
        };
        let later = journal.append(&[record]).expect("append");
        // A later batch covers the earlier records too (a retried act's original).
        let ack = Acknowledgement::new(&later, 1, 0, NOW).expect("covered");
        assert_eq!(
            ack.frame().as_str(),
            ServerMsg::Ack {
                seq: 1,
                cell_seq: 0,
                ts: NOW
            }
            .to_json()
        );
        // An empty batch proves what is already in the journal and nothing more.
        let empty = journal.append(&[]).expect("empty append");
        assert!(Acknowledgement::new(&empty, 1, 1, NOW).is_some());
        assert!(Acknowledgement::new(&empty, 1, 2, NOW).is_none());
    }
}
