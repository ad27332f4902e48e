//! How a connection ends, and the one mapping from that to the close code and reason the peer
//! sees: every rejection gets a close frame with a code and a reason naming the rule
//! (SECURITY.md, P9). Code that closes a connection says *why* with a [`SessionEnd`]; only
//! [`SessionEnd::close_code`] picks the code, and the variant's message is the reason, so a
//! code can never be chosen apart from its reason (as rustls maps its `Error` to an alert).

use std::time::Duration;

use fusioncell_wire::{CloseCode, IdentityId};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};

use crate::defaults::CLOSE_GRACE;

/// Why the relay ends a connection. Its `Display` is the reason sent in the close frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The operating system gave no randomness for a login challenge.
    #[error("no randomness for a challenge")]
    NoRandomness,
    /// The challenge could not be written to the peer.
    #[error("could not send the challenge")]
    ChallengeNotSent,
    /// No login arrived within the cell's login deadline (counted from accept).
    #[error("no login within {} ms", .0.as_millis())]
    LoginTimeout(Duration),
    /// The pending-login cap was reached and this connection had waited longest among those
    /// of the busiest source: it made room for a newer one (SECURITY.md, "Admission").
    #[error("too many connections waiting to log in; this one waited longest")]
    Evicted,
    /// The peer closed (or sent a non-data frame) before logging in.
    #[error("closed before login")]
    ClosedBeforeLogin,
    /// The first frame was valid JSON but not a login.
    #[error("the first frame must be a login")]
    NotALogin,
    /// The first frame did not parse as a login.
    #[error("malformed login: {0}")]
    MalformedLogin(String),
    /// The login named an identity the cell does not register.
    #[error("unknown identity `{0}`")]
    UnknownIdentity(IdentityId),
    /// The login signature does not verify for this challenge.
    #[error("login signature of `{0}` does not verify for this challenge")]
    BadLoginSignature(IdentityId),
    /// The peer sent a binary frame; the protocol is JSON text only.
    #[error("binary frames are not part of the protocol")]
    BinaryFrame,
    /// The peer asked to close.
    #[error("closed by the client")]
    ClosedByClient,
    /// Nothing was received from the peer for the idle timeout.
    #[error("nothing received for {} ms", .0.as_millis())]
    Idle(Duration),
    /// The identity was over the rate limit for this many frames in a row.
    #[error("{0} frames in a row over the rate limit")]
    RateLimited(u32),
    /// The session sent an act signed as another identity.
    #[error("session of `{session}` sent an act as `{actor}`")]
    WrongActor {
        /// Who logged in.
        session: IdentityId,
        /// Whom the act names.
        actor: IdentityId,
    },
    /// A newer session of the same identity took this one's place.
    #[error("a newer session of `{identity}` replaced this one (limit {limit})")]
    Superseded {
        /// The identity.
        identity: IdentityId,
        /// Sessions allowed per identity.
        limit: usize,
    },
    /// The session's outbound queue is full (`"frames"` or `"bytes"`): it does not read.
    #[error("outbound queue full ({0}); reconnect and resume")]
    QueueFull(&'static str),
    /// The WebSocket write buffer is full: the peer does not read.
    #[error("write buffer full: the peer does not read")]
    WriteBufferFull,
    /// The relay is shutting down (the session can reconnect and resume elsewhere or later).
    #[error("relay shutting down")]
    ShuttingDown,
    /// The relay is shutting down while the session was idle in its main loop.
    #[error("relay shutting down; reconnect and resume")]
    ShuttingDownResume,
    /// A playback relay stopped.
    #[error("playback stopped")]
    PlaybackStopped,
    /// The journal cannot make acts durable; nothing more is acknowledged.
    #[error("the journal cannot make acts durable; the relay must be restarted")]
    JournalFailed,
    /// The relay has no journal to resume a session from.
    #[error("no journal to resume from")]
    NoJournal,
    /// Reading the journal for a resume failed.
    #[error("journal read: {0}")]
    JournalRead(String),
    /// A message larger than the configured limit.
    #[error("message of {size} bytes exceeds the limit of {max_size}")]
    MessageTooLong {
        /// Its size.
        size: usize,
        /// The limit.
        max_size: usize,
    },
    /// Another size limit of the WebSocket layer (frame, header count, ...).
    #[error("{0}")]
    TooBig(String),
    /// A text frame that is not UTF-8.
    #[error("text frame is not UTF-8")]
    NotUtf8,
    /// A client frame without a mask.
    #[error("unmasked frame from client")]
    UnmaskedFrame,
    /// Any other WebSocket protocol violation or transport failure.
    #[error("{0}")]
    Protocol(String),
}

impl SessionEnd {
    /// The end for a WebSocket-level error reading from or writing to the peer.
    pub fn from_ws_error(err: &WsError) -> Self {
        match err {
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                SessionEnd::MessageTooLong {
                    size: *size,
                    max_size: *max_size,
                }
            }
            WsError::Capacity(e) => SessionEnd::TooBig(e.to_string()),
            WsError::Utf8(_) => SessionEnd::NotUtf8,
            WsError::Protocol(ProtocolError::UnmaskedFrameFromClient) => SessionEnd::UnmaskedFrame,
            WsError::Protocol(e) => SessionEnd::Protocol(e.to_string()),
            WsError::WriteBufferFull(_) => SessionEnd::WriteBufferFull,
            other => SessionEnd::Protocol(other.to_string()),
        }
    }

    /// The close code the peer gets (PROTOCOL.md, section 7). The only place the relay
    /// chooses one.
    pub fn close_code(&self) -> CloseCode {
        match self {
            SessionEnd::ClosedBeforeLogin | SessionEnd::ClosedByClient => CloseCode::Normal,
            SessionEnd::ShuttingDown
            | SessionEnd::ShuttingDownResume
            | SessionEnd::PlaybackStopped => CloseCode::GoingAway,
            SessionEnd::ChallengeNotSent | SessionEnd::UnmaskedFrame | SessionEnd::Protocol(_) => {
                CloseCode::ProtocolError
            }
            SessionEnd::BinaryFrame => CloseCode::Unsupported,
            SessionEnd::NotUtf8 => CloseCode::InvalidPayload,
            SessionEnd::Idle(_) => CloseCode::Policy,
            SessionEnd::MessageTooLong { .. } | SessionEnd::TooBig(_) => CloseCode::TooBig,
            SessionEnd::NoRandomness | SessionEnd::NoJournal | SessionEnd::JournalRead(_) => {
                CloseCode::Internal
            }
            SessionEnd::JournalFailed | SessionEnd::Evicted => CloseCode::TryLater,
            SessionEnd::NotALogin | SessionEnd::MalformedLogin(_) => CloseCode::BadLogin,
            SessionEnd::LoginTimeout(_)
            | SessionEnd::UnknownIdentity(_)
            | SessionEnd::BadLoginSignature(_) => CloseCode::Unauthenticated,
            SessionEnd::WrongActor { .. } => CloseCode::Forbidden,
            SessionEnd::RateLimited(_) => CloseCode::RateLimited,
            SessionEnd::QueueFull(_) | SessionEnd::WriteBufferFull => CloseCode::TooSlow,
            SessionEnd::Superseded { .. } => CloseCode::Superseded,
        }
    }

    /// Whether the relay itself is going away: the session then first writes what the commit
    /// thread still owes it (acknowledgements of acts it submitted).
    pub fn is_shutdown(&self) -> bool {
        matches!(
            self,
            SessionEnd::ShuttingDown | SessionEnd::ShuttingDownResume
        )
    }

    /// The close frame's code and reason.
    pub fn close(&self) -> Close {
        let mut reason = self.to_string();
        if reason.len() > MAX_REASON_BYTES {
            let mut cut = MAX_REASON_BYTES;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        Close {
            code: self.close_code(),
            reason,
        }
    }

    /// Sends the close frame, then reads (and discards) until the peer answers with its own
    /// close or the grace period ends: dropping the socket at once could reset the connection
    /// before the peer has read the code (RFC 6455 §7.1.1).
    ///
    /// When the peer closed first ([`SessionEnd::ClosedByClient`],
    /// [`SessionEnd::ClosedBeforeLogin`]), the WebSocket layer has already queued the answer
    /// RFC 6455 requires (§5.5.1: the peer's code echoed; §7.4: 1002 for a code no endpoint
    /// may send, such as 1005 or 999) and refuses any other frame: that answer is flushed
    /// instead, so the peer sees its close answered rather than a dropped connection (1006).
    pub async fn send<Si, St>(&self, sink: &mut Si, stream: &mut St)
    where
        Si: futures_util::Sink<tokio_tungstenite::tungstenite::Message> + Unpin,
        St: futures_util::Stream<Item = Result<tokio_tungstenite::tungstenite::Message, WsError>>
            + Unpin,
    {
        use futures_util::{SinkExt, StreamExt};
        let message = self.close().message();
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            if sink.send(message).await.is_err() {
                // The peer closed first (or the connection is gone): write the answer that is
                // already queued, if any.
                let _ = sink.flush().await;
                return;
            }
            while let Some(Ok(msg)) = stream.next().await {
                if msg.is_close() {
                    break;
                }
            }
        })
        .await;
    }
}

/// A close frame's reason is at most 123 bytes (RFC 6455 §5.5: a control frame's payload is
/// at most 125 bytes, two of which are the code); a little under, on a character boundary.
const MAX_REASON_BYTES: usize = 120;

/// What the peer sees of a [`SessionEnd`]: the close code and a reason that fits in the frame.
/// Made only by [`SessionEnd::close`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: CloseCode,
    /// Human-readable reason (kept under the 123-byte limit of a close frame).
    pub reason: String,
}

impl Close {
    /// The close frame carrying this code and reason.
    pub fn message(&self) -> tokio_tungstenite::tungstenite::Message {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        tokio_tungstenite::tungstenite::Message::Close(Some(CloseFrame {
            code: self.code.code().into(),
            reason: self.reason.clone().into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_to_fit_a_close_frame_on_a_character_boundary() {
        let long = SessionEnd::MalformedLogin("é".repeat(100));
        let close = long.close();
        assert_eq!(close.code, CloseCode::BadLogin);
        assert!(close.reason.len() <= MAX_REASON_BYTES);
        assert!(close.reason.starts_with("malformed login: é"));
    }

    #[test]
    fn codes_and_reasons_of_the_ends_the_tests_name() {
        let who = IdentityId::new("france").expect("id");
        for (end, code, reason) in [
            (
                SessionEnd::LoginTimeout(Duration::from_millis(5000)),
                4001,
                "no login within 5000 ms",
            ),
            (
                SessionEnd::NotALogin,
                4000,
                "the first frame must be a login",
            ),
            (
                SessionEnd::RateLimited(10),
                4008,
                "10 frames in a row over the rate limit",
            ),
            (
                SessionEnd::QueueFull("frames"),
                4009,
                "outbound queue full (frames); reconnect and resume",
            ),
            (
                SessionEnd::Superseded {
                    identity: who.clone(),
                    limit: 4,
                },
                4010,
                "a newer session of `france` replaced this one (limit 4)",
            ),
            (SessionEnd::ShuttingDown, 1001, "relay shutting down"),
            (
                SessionEnd::BinaryFrame,
                1003,
                "binary frames are not part of the protocol",
            ),
            (SessionEnd::NotUtf8, 1007, "text frame is not UTF-8"),
            (
                SessionEnd::UnmaskedFrame,
                1002,
                "unmasked frame from client",
            ),
            (
                SessionEnd::Idle(Duration::from_millis(40_000)),
                1008,
                "nothing received for 40000 ms",
            ),
            (
                SessionEnd::Evicted,
                1013,
                "too many connections waiting to log in; this one waited longest",
            ),
            (
                SessionEnd::JournalFailed,
                1013,
                "the journal cannot make acts durable; the relay must be restarted",
            ),
            (
                SessionEnd::WrongActor {
                    session: who.clone(),
                    actor: IdentityId::new("israel").expect("id"),
                },
                4003,
                "session of `france` sent an act as `israel`",
            ),
        ] {
            let close = end.close();
            assert_eq!((close.code.code(), close.reason.as_str()), (code, reason));
        }
    }
}
