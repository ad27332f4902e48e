//! The fusioncell relay: one cell or several, served over TLS WebSockets.
//!
//! The pipeline of one act, in file order:
//! 1. [`listener`] accepts a TCP connection under the connection cap, and [`admission`] gives
//!    it a place among those waiting to log in (evicting the longest-waiting at the cap);
//! 2. [`upgrade`] completes TLS (the [`front`] door's, shared by every cell, over
//!    [`tls_transport`], which holds no buffer while idle), finds the cell
//!    the request's path names ([`routes`]) and completes the WebSocket upgrade (the cell's
//!    Origin check and frame limits) within their deadlines; a plain HTTP GET on the same port
//!    gets the cell's browser [`console`]; [`prefixed`] replays the head it read to tungstenite;
//! 3. [`handshake`] challenges the client and yields an [`handshake::Authenticated`] proof, or
//!    closes with a code and journals a security event;
//! 4. [`session`] (greeted by [`greeting`]) reads frames, rate-limits, verifies each act's signature, and submits it;
//! 5. [`sequencer`] decides: authorization, per-actor sequence, retry or equivocation, skew;
//! 6. [`commit`] is the one thread that owns the journal: it batches decisions, writes and
//!    fsyncs them (group commit), then acknowledges them (an [`acknowledgement`] can only be
//!    made from the journal's proof that the record is durable) and hands them to
//! 7. [`fanout`], which encodes each record once and queues it to every session allowed to
//!    see it, in the session's [`outbound`] queue; a session whose bounded queue is full is
//!    closed as "too slow";
//! 8. [`resume`] replays the journal to a session that subscribes from an earlier point.
//!
//! [`playback`] serves a recorded journal read-only, at a chosen speed, to ordinary clients,
//! admitted by the same [`listener`].
//! [`served_cell`] wires one cell's part of these together (journal, commit thread, context);
//! [`server`] is a relay of one cell and [`cells`] a relay of several, each owning every task; [`shutdown`] drains them in pipeline
//! order; [`session_end`] says how a connection ends and is the only place close codes and
//! their reasons are chosen; [`defaults`] holds the relay's fixed tuning constants.
//! [`metrics`] holds the Prometheus registry and the handles the pipeline updates;
//! [`admin`] serves them, with `/healthz` and `/readyz`, on a separate plain-HTTP listener.
//! [`timing`] logs, when asked, when each act passed each stage (for `scripts/trace.sh`).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod acknowledgement;
pub mod admin;
pub mod admission;
pub mod cells;
pub mod commit;
pub mod config;
pub mod console;
pub mod context;
pub mod defaults;
pub mod descriptors;
pub mod error;
pub mod fanout;
pub mod front;
pub mod greeting;
pub mod handshake;
pub mod listener;
pub mod metrics;
pub mod outbound;
pub mod playback;
pub mod prefixed;
pub mod presence;
pub mod rate;
pub mod resume;
pub mod routes;
pub mod sequencer;
pub mod served_cell;
pub mod server;
pub mod session;
pub mod session_end;
pub mod shutdown;
#[cfg(test)]
mod testing;
pub mod timing;
pub mod tls;
pub mod tls_transport;
pub mod upgrade;
pub mod verify;

pub use cells::Cells;
pub use config::{CellConfig, RelayConfig};
pub use error::RelayError;
pub use server::{Server, ShutdownReport};

/// Milliseconds since the Unix epoch, the relay's clock for record and checkpoint times.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
