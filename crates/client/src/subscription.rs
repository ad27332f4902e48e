//! The stream of what a subscribed client receives.

use fusioncell_wire::{Checkpoint, Record};
use tokio::sync::mpsc;

/// Something the relay sent to a subscribed client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A record this identity may read. `verified` says whether its body hash and its actor's
    /// signature checked out against the keys the client trusts.
    Record {
        /// The record.
        record: Record,
        /// Whether the signature and body hash verified.
        verified: bool,
    },
    /// The backlog has been sent; `size` records existed when the subscription went live.
    Live {
        /// Journal size at that moment.
        size: u64,
    },
    /// A relay-signed checkpoint.
    Checkpoint(Checkpoint),
    /// The connection dropped; the client is reconnecting and will resume where it stopped.
    Reconnecting {
        /// Why it dropped.
        reason: String,
    },
}

/// Records in order, without gap or duplicate, across reconnects. Ends when the client stops.
pub struct Subscription {
    pub(crate) rx: mpsc::Receiver<Event>,
}

impl Subscription {
    /// The next event; `None` once the client has stopped.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next record, skipping other events.
    pub async fn next_record(&mut self) -> Option<(Record, bool)> {
        loop {
            match self.rx.recv().await? {
                Event::Record { record, verified } => return Some((record, verified)),
                _ => continue,
            }
        }
    }
}
