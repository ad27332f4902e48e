//! Relay errors, and the one mapping from what went wrong on a connection to the close code the
//! peer sees (SECURITY-NOTES P9: every rejection gets a close frame with a code and a reason).

use fusioncell_wire::CloseCode;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};

/// Errors that stop the relay from starting or running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// TLS settings could not be built.
    #[error("TLS: {0}")]
    Tls(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The journal could not be opened, recovered or written.
    #[error("journal: {0}")]
    Journal(#[from] fusioncell_journal::JournalError),
    /// The relay key is not the one the cell registers.
    #[error("the relay key does not match relay.public_key in the cell config")]
    WrongRelayKey,
    /// The journal belongs to another cell.
    #[error("the journal belongs to cell `{found}`, not `{expected}`")]
    OtherCell {
        /// The configured cell.
        expected: String,
        /// The journal's.
        found: String,
    },
    /// A relay thread could not be started or failed.
    #[error("relay thread: {0}")]
    Thread(String),
}

/// Why a connection is being closed: the code the peer gets and a reason naming the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: CloseCode,
    /// Human-readable reason (kept under the 123-byte limit of a close frame).
    pub reason: String,
}

impl Close {
    /// A close with this code and reason.
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        if reason.len() > 120 {
            let mut cut = 120;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        Close { code, reason }
    }

    /// The close for a WebSocket-level error reading from the peer.
    pub fn for_ws_error(err: &WsError) -> Self {
        match err {
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Close::new(
                CloseCode::TooBig,
                format!("message of {size} bytes exceeds the limit of {max_size}"),
            ),
            WsError::Capacity(e) => Close::new(CloseCode::TooBig, e.to_string()),
            WsError::Utf8(_) => Close::new(CloseCode::InvalidPayload, "text frame is not UTF-8"),
            WsError::Protocol(ProtocolError::UnmaskedFrameFromClient) => {
                Close::new(CloseCode::ProtocolError, "unmasked frame from client")
            }
            WsError::Protocol(e) => Close::new(CloseCode::ProtocolError, e.to_string()),
            WsError::WriteBufferFull(_) => Close::new(
                CloseCode::TooSlow,
                "write buffer full: the peer does not read",
            ),
            other => Close::new(CloseCode::ProtocolError, other.to_string()),
        }
    }
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

/// How long the relay waits for its close frame to be written and for the peer's reply.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

impl Close {
    /// Sends the close frame, then reads (and discards) until the peer answers with its own
    /// close or the grace period ends: dropping the socket at once could reset the connection
    /// before the peer has read the code (RFC 6455 §7.1.1).
    pub async fn send<Si, St>(&self, sink: &mut Si, stream: &mut St)
    where
        Si: futures_util::Sink<tokio_tungstenite::tungstenite::Message> + Unpin,
        St: futures_util::Stream<Item = Result<tokio_tungstenite::tungstenite::Message, WsError>>
            + Unpin,
    {
        use futures_util::{SinkExt, StreamExt};
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            if sink.send(self.message()).await.is_err() {
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
