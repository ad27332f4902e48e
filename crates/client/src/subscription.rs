//! The stream of what a subscribed client receives.

use fusioncell_wire::{Checkpoint, Clock, IdentityId, Record};
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
        /// For a held post that reaches this reader only now: the `approve` record that
        /// released it.
        released_by: Option<u64>,
    },
    /// The backlog has been sent; `size` records existed when the subscription went live.
    Live {
        /// Journal size at that moment.
        size: u64,
    },
    /// A relay-signed checkpoint.
    Checkpoint(Checkpoint),
    /// The supervision state changed (or its periodic announcement).
    State(SupervisionState),
    /// The relay showed a checkpoint that contradicts an earlier one or is not signed by its
    /// key: someone is rewriting history. Reported loudly; never cosigned.
    Fork {
        /// What was wrong.
        reason: String,
    },
    /// Who is online, as the relay announced it (the last announcement is repeated when a
    /// subscription starts, since the relay sends it right after login).
    Presence {
        /// The identities with at least one session, sorted.
        online: Vec<IdentityId>,
    },
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
                Event::Record {
                    record, verified, ..
                } => return Some((record, verified)),
                _ => continue,
            }
        }
    }
}

/// The cell's supervision state as the relay last announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisionState {
    /// The epoch a moderation decision must name.
    pub epoch: u64,
    /// The exercise clock.
    pub clock: Clock,
    /// The relay's time when it announced this.
    pub now: i64,
}

impl SupervisionState {
    /// Scenario time now, estimated from the announcement and the local clock's progress
    /// since it was received.
    pub fn scenario_ms(&self, received: std::time::Instant) -> u64 {
        let elapsed = i64::try_from(received.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.clock.scenario_ms_at(self.now.saturating_add(elapsed))
    }
}
