use fusioncell_wire::ErrorCode;

/// Why a client operation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The relay address is not a `wss://` or `ws://` URL with a host and port.
    #[error("bad relay URL `{url}`: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA file could not be used.
    #[error("CA certificate: {0}")]
    Ca(String),
    /// Could not connect, or the TLS or WebSocket handshake failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The relay (or a router in front of it) answered the WebSocket upgrade with an HTTP
    /// error instead: 404 for a cell that is not there, 403 for an Origin, 426 for a version.
    #[error("{url} answered HTTP {status} instead of a WebSocket: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The first line of the answer's body, if it had one.
        reason: String,
    },
    /// The relay closed the connection with a code that means retrying will not help (bad
    /// login, forbidden, ...), or during login.
    #[error("relay closed the connection: {code} {reason}")]
    Closed {
        /// The close code.
        code: u16,
        /// The relay's reason.
        reason: String,
    },
    /// The relay is not the one expected (other cell or other key).
    #[error("unexpected relay: {0}")]
    WrongRelay(String),
    /// The relay spoke out of protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The relay refused an act.
    #[error("refused ({code}): {reason}")]
    Rejected {
        /// The error code.
        code: ErrorCode,
        /// The relay's reason.
        reason: String,
    },
    /// The client was shut down or gave up reconnecting.
    #[error("client stopped: {0}")]
    Stopped(String),
}
