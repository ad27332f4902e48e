//! Every limit of a cell and its default, with the reason for the default.
//!
//! The values are conservative starting points, to be measured before tightening. A label in
//! brackets (P1, P5, ...) names the row of SECURITY.md's protection table the limit serves. Each
//! key may be set in the config's `[limits]` table; a key left out keeps its default. The
//! rules that tie limits together (a frame fits in a message, ...) are checked here too, so a
//! value and the reason it is bounded sit side by side.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::CellError;

/// The marking line when `[cell] marking` is not set: says, on every screen and page, that this
/// is an exercise and its scenario fiction (the project ships a fictional training scenario).
pub const MARKING: &str = "EXERCISE — FICTIONAL TRAINING SCENARIO";

/// 64 KiB: OWASP's starting point; a post is text, far below it, and it bounds what one
/// connection can make the relay buffer (SECURITY.md, P1; tungstenite allows 64 MiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// 64 KiB, the message limit: browsers and tungstenite send each message as one frame, so a
/// smaller frame limit would silently lower the message limit. A larger frame header is still
/// refused before any allocation (P1; tungstenite allows 16 MiB).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// 1 MiB: tungstenite's write buffer is unbounded by default; a peer that never reads made it
/// hold 120 MiB of pongs (P2).
pub const MAX_WRITE_BUFFER_BYTES: usize = 1024 * 1024;
/// 10 s: a TLS handshake takes milliseconds; half-open handshakes (slowloris) must not pile up
/// (P5).
pub const TLS_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// 10 s: the same for the WebSocket upgrade request (P5).
pub const UPGRADE_TIMEOUT_MS: u64 = 10_000;
/// 5 s: signing a challenge takes milliseconds, and an unauthenticated socket is the cheapest
/// thing for an attacker to hold (P7).
pub const LOGIN_TIMEOUT_MS: u64 = 5_000;
/// 20 s: finds dead peers well before the usual 60 s NAT and proxy idle drops.
pub const PING_INTERVAL_MS: u64 = 20_000;
/// 40 s: two ping intervals without a frame from the peer means it is gone.
pub const IDLE_TIMEOUT_MS: u64 = 40_000;
/// 256: caps connections in their handshake, not logged in yet: the ones a flood of TLS
/// handshakes creates (P5).
pub const MAX_PENDING_CONNECTIONS: usize = 256;
/// 4096: far above what an exercise needs; bounds file descriptors and buffer memory, and
/// with them the silent sockets a flood holds.
pub const MAX_CONNECTIONS: usize = 4096;
/// 4: a delegation may work from several devices; a fifth login supersedes the oldest session.
pub const MAX_SESSIONS_PER_IDENTITY: usize = 4;
/// 100 per minute: OWASP's starting point; people type far slower, a runaway bot does not (P8).
pub const ACTS_PER_MINUTE: u32 = 100;
/// 20: lets a client send a short burst (a pasted list, a reconnect's queued acts) at once (P8).
pub const ACT_BURST: u32 = 20;
/// 64 KiB/s per identity: one maximum-size message per second (P8).
pub const BYTES_PER_SECOND: u64 = 64 * 1024;
/// 256 messages per session: a reader this far behind is closed as "too slow" and resumes from
/// the journal, rather than making the relay buffer for it (P2, P16).
pub const OUTBOUND_QUEUE_MESSAGES: usize = 256;
/// 1 MiB per session: the same bound in bytes (P2).
pub const OUTBOUND_QUEUE_BYTES: usize = 1024 * 1024;
/// ±120 s: tolerates unsynchronised laptop clocks while keeping old acts from being replayed
/// as new (SECURITY.md, §3.2).
pub const CLOCK_SKEW_MS: u64 = 120_000;
/// 100 records: bounds how much of the journal a party holds no relay signature over.
pub const CHECKPOINT_EVERY_RECORDS: u64 = 100;
/// 5 s: the same bound in time, for quiet periods.
pub const CHECKPOINT_EVERY_MS: u64 = 5_000;
/// 256 records: one fdatasync serves up to this many acts, and a batch never waits for more.
pub const MAX_BATCH_RECORDS: usize = 256;
/// 60 s: how long the other side of a hotline has to acknowledge a post before it escalates to
/// the mediator, when a hotline channel does not set `ack_seconds`.
pub const HOTLINE_ACK_SECONDS: u32 = 60;

/// The limits of one cell: sizes, deadlines, caps and rates. Every field is a key of the
/// config's `[limits]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest WebSocket message, in bytes; larger closes with 1009.
    pub max_message_bytes: usize,
    /// Largest WebSocket frame, in bytes; at most `max_message_bytes`.
    pub max_frame_bytes: usize,
    /// Most bytes buffered for writing to one connection.
    pub max_write_buffer_bytes: usize,
    /// Deadline for the TLS handshake, from accept.
    pub tls_handshake_timeout_ms: u64,
    /// Deadline for the WebSocket upgrade, after TLS.
    pub upgrade_timeout_ms: u64,
    /// Deadline for the login answer, after the challenge.
    pub login_timeout_ms: u64,
    /// How often the relay pings an idle connection.
    pub ping_interval_ms: u64,
    /// A connection silent this long is closed; more than `ping_interval_ms`.
    pub idle_timeout_ms: u64,
    /// Connections that have started their handshake (sent a byte) and not logged in yet.
    pub max_pending_connections: usize,
    /// Connections in total, silent ones included.
    pub max_connections: usize,
    /// Sessions of one identity at once; a new one supersedes the oldest.
    pub max_sessions_per_identity: usize,
    /// Sustained acts per minute per identity (token bucket).
    pub acts_per_minute: u32,
    /// Token bucket size for acts.
    pub act_burst: u32,
    /// Sustained bytes per second per identity.
    pub bytes_per_second: u64,
    /// Frames queued for one session before it is closed as too slow.
    pub outbound_queue_messages: usize,
    /// Bytes queued for one session before it is closed as too slow.
    pub outbound_queue_bytes: usize,
    /// Largest difference between an act's timestamp and the relay's clock.
    pub clock_skew_ms: u64,
    /// The relay signs a checkpoint at least every this many records...
    pub checkpoint_every_records: u64,
    /// ... and at least this often while records arrive.
    pub checkpoint_every_ms: u64,
    /// Most records made durable by one group commit.
    pub max_batch_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: MAX_MESSAGE_BYTES,
            max_frame_bytes: MAX_FRAME_BYTES,
            max_write_buffer_bytes: MAX_WRITE_BUFFER_BYTES,
            tls_handshake_timeout_ms: TLS_HANDSHAKE_TIMEOUT_MS,
            upgrade_timeout_ms: UPGRADE_TIMEOUT_MS,
            login_timeout_ms: LOGIN_TIMEOUT_MS,
            ping_interval_ms: PING_INTERVAL_MS,
            idle_timeout_ms: IDLE_TIMEOUT_MS,
            max_pending_connections: MAX_PENDING_CONNECTIONS,
            max_connections: MAX_CONNECTIONS,
            max_sessions_per_identity: MAX_SESSIONS_PER_IDENTITY,
            acts_per_minute: ACTS_PER_MINUTE,
            act_burst: ACT_BURST,
            bytes_per_second: BYTES_PER_SECOND,
            outbound_queue_messages: OUTBOUND_QUEUE_MESSAGES,
            outbound_queue_bytes: OUTBOUND_QUEUE_BYTES,
            clock_skew_ms: CLOCK_SKEW_MS,
            checkpoint_every_records: CHECKPOINT_EVERY_RECORDS,
            checkpoint_every_ms: CHECKPOINT_EVERY_MS,
            max_batch_records: MAX_BATCH_RECORDS,
        }
    }
}

impl Limits {
    /// [`Limits::tls_handshake_timeout_ms`] as a duration.
    pub fn tls_handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.tls_handshake_timeout_ms)
    }

    /// [`Limits::upgrade_timeout_ms`] as a duration.
    pub fn upgrade_timeout(&self) -> Duration {
        Duration::from_millis(self.upgrade_timeout_ms)
    }

    /// [`Limits::login_timeout_ms`] as a duration.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_millis(self.login_timeout_ms)
    }

    /// [`Limits::ping_interval_ms`] as a duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms)
    }

    /// [`Limits::idle_timeout_ms`] as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    /// [`Limits::clock_skew_ms`] as a duration.
    pub fn clock_skew(&self) -> Duration {
        Duration::from_millis(self.clock_skew_ms)
    }

    /// [`Limits::checkpoint_every_ms`] as a duration.
    pub fn checkpoint_every(&self) -> Duration {
        Duration::from_millis(self.checkpoint_every_ms)
    }

    /// Refuses limits that would make the relay refuse everything or contradict each other.
    pub(crate) fn check(&self) -> Result<(), CellError> {
        // No limit has a meaningful zero: a zero size refuses every message, a zero deadline
        // every connection, a zero rate every act. "Unlimited" is not offered.
        let positive: [(&str, u64); 20] = [
            ("max_message_bytes", as_u64(self.max_message_bytes)),
            ("max_frame_bytes", as_u64(self.max_frame_bytes)),
            (
                "max_write_buffer_bytes",
                as_u64(self.max_write_buffer_bytes),
            ),
            ("tls_handshake_timeout_ms", self.tls_handshake_timeout_ms),
            ("upgrade_timeout_ms", self.upgrade_timeout_ms),
            ("login_timeout_ms", self.login_timeout_ms),
            ("ping_interval_ms", self.ping_interval_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            (
                "max_pending_connections",
                as_u64(self.max_pending_connections),
            ),
            ("max_connections", as_u64(self.max_connections)),
            (
                "max_sessions_per_identity",
                as_u64(self.max_sessions_per_identity),
            ),
            ("acts_per_minute", u64::from(self.acts_per_minute)),
            ("act_burst", u64::from(self.act_burst)),
            ("bytes_per_second", self.bytes_per_second),
            (
                "outbound_queue_messages",
                as_u64(self.outbound_queue_messages),
            ),
            ("outbound_queue_bytes", as_u64(self.outbound_queue_bytes)),
            ("clock_skew_ms", self.clock_skew_ms),
            ("checkpoint_every_records", self.checkpoint_every_records),
            ("checkpoint_every_ms", self.checkpoint_every_ms),
            ("max_batch_records", as_u64(self.max_batch_records)),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(CellError::invalid(
                format!("limits.{key}"),
                "must be at least 1 (zero would refuse everything)",
            ));
        }
        if self.max_frame_bytes > self.max_message_bytes {
            return Err(CellError::invalid(
                "limits.max_frame_bytes",
                format!(
                    "{} exceeds max_message_bytes ({}): a frame is part of a message",
                    self.max_frame_bytes, self.max_message_bytes
                ),
            ));
        }
        if self.max_write_buffer_bytes < self.max_message_bytes {
            return Err(CellError::invalid(
                "limits.max_write_buffer_bytes",
                format!(
                    "{} is below max_message_bytes ({}): the largest message could never be sent",
                    self.max_write_buffer_bytes, self.max_message_bytes
                ),
            ));
        }
        if self.outbound_queue_bytes < self.max_message_bytes {
            return Err(CellError::invalid(
                "limits.outbound_queue_bytes",
                format!(
                    "{} is below max_message_bytes ({}): one large delivery would close every \
                     session as too slow",
                    self.outbound_queue_bytes, self.max_message_bytes
                ),
            ));
        }
        if self.idle_timeout_ms <= self.ping_interval_ms {
            return Err(CellError::invalid(
                "limits.idle_timeout_ms",
                format!(
                    "{} must exceed ping_interval_ms ({}), or a healthy idle client is closed \
                     before it is pinged",
                    self.idle_timeout_ms, self.ping_interval_ms
                ),
            ));
        }
        Ok(())
    }
}

/// Widens a count for the zero check (`usize` is at most 64 bits on every supported target).
fn as_u64(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}
