//! What every connection task of one cell shares once its request has named the cell: the
//! cell, the relay's public key, the journal reader, rate limits, the cell's shutdown and
//! metrics. What connections share before that is the [`crate::front::Front`]. Cloning the
//! `Arc` is the only cost per task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fusioncell_cell::Cell;
use fusioncell_journal::Reader;
use fusioncell_wire::{Digest, PublicKeyBytes, Role, SecurityBody};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::commit::{Command, SecurityEvent};
use crate::defaults::{WS_READ_BUFFER_BYTES, WS_WRITE_BUFFER_BYTES};
use crate::metrics::Metrics;
use crate::rate::RateLimits;
use crate::sequencer::SharedState;
use crate::shutdown::Shutdown;
use crate::verify::Rejection;

/// State shared by all connection tasks.
pub struct Context {
    /// The cell.
    pub cell: Arc<Cell>,
    /// The relay's public key, sent in every challenge.
    pub relay_key: PublicKeyBytes,
    /// The cell's directory digest ([`Cell::directory`]), stated in every `welcome`.
    pub directory: Digest,
    /// Reads durable records for resumes (`None` when serving a recording, which has its own).
    pub reader: Option<Reader>,
    /// The supervision state, to filter and redact what a resume sends.
    pub state: SharedState,
    /// Per-identity rate limits.
    pub rate: RateLimits,
    /// The cell's shutdown (a child of the relay's: retiring the cell triggers it alone).
    pub shutdown: Shutdown,
    /// The cell's metrics (served by [`crate::admin`] when the relay has an admin listener).
    pub metrics: Arc<Metrics>,
    /// The `scenario` frame (serialized once), sent after login to control and evaluators
    /// only ([`Context::may_read_scenario`]); `None` when the relay runs no scenario.
    pub scenario_frame: Option<String>,
    next_session: AtomicU64,
}

impl Context {
    /// Builds the shared context.
    pub fn new(
        cell: Arc<Cell>,
        relay_key: PublicKeyBytes,
        reader: Option<Reader>,
        state: SharedState,
        shutdown: Shutdown,
        metrics: Arc<Metrics>,
    ) -> Self {
        let l = cell.limits();
        Context {
            rate: RateLimits::new(l.acts_per_minute, l.act_burst, l.bytes_per_second),
            metrics,
            directory: cell.directory(),
            cell,
            relay_key,
            reader,
            state,
            shutdown,
            scenario_frame: None,
            next_session: AtomicU64::new(1),
        }
    }

    /// Whether `role` receives the scenario: the white cell (control and evaluators) only. The
    /// scenario holds what players must not see — controller notes, expected actions,
    /// objectives, and the injects still to come — nor the mediator, who plays the talks.
    pub fn may_read_scenario(role: Role) -> bool {
        matches!(role, Role::Control | Role::Evaluator)
    }

    /// A fresh session number.
    pub fn next_session(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// The WebSocket limits of the cell (`fusioncell_cell::defaults`) as configured.
    pub fn ws_config(&self) -> WebSocketConfig {
        let l = self.cell.limits();
        WebSocketConfig::default()
            .max_message_size(Some(l.max_message_bytes))
            .max_frame_size(Some(l.max_frame_bytes))
            .max_write_buffer_size(l.max_write_buffer_bytes)
            .read_buffer_size(WS_READ_BUFFER_BYTES)
            .write_buffer_size(WS_WRITE_BUFFER_BYTES)
            .accept_unmasked_frames(false)
    }
}

/// Journals a security event; with `reply`, the session also gets the in-band error (after
/// everything it sent before is acknowledged).
pub async fn report(
    commands: &mpsc::Sender<Command>,
    body: SecurityBody,
    reply: Option<(u64, Rejection)>,
) {
    let _ = commands
        .send(Command::Security(SecurityEvent { reply, body }))
        .await;
}

/// A security event's description.
pub fn event(
    event: &str,
    peer: SocketAddr,
    identity: Option<&str>,
    reason: impl Into<String>,
) -> SecurityBody {
    SecurityBody {
        event: event.to_owned(),
        identity: identity.map(str::to_owned),
        peer: Some(peer.to_string()),
        act_seq: None,
        reason: reason.into(),
    }
}
