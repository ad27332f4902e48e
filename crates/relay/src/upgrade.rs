//! From a TCP socket to a WebSocket: TLS, then the HTTP upgrade with the Origin check, each
//! under its own deadline (SECURITY-NOTES P5, P6). A failure here happens before anyone is
//! authenticated, so it is logged but not journaled (an unauthenticated peer must not be able
//! to fill the audit log).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};

use crate::context::Context;

/// Why a connection never became a WebSocket.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// TLS did not complete in time.
    #[error("TLS handshake not completed within {0:?}")]
    TlsTimeout(Duration),
    /// TLS failed.
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
    /// The HTTP upgrade did not complete in time.
    #[error("WebSocket upgrade not completed within {0:?}")]
    UpgradeTimeout(Duration),
    /// The upgrade failed or was refused (bad Origin, not an upgrade request, ...).
    #[error("WebSocket upgrade refused: {0}")]
    Upgrade(tokio_tungstenite::tungstenite::Error),
}

/// Completes TLS (when configured).
pub async fn tls(tcp: TcpStream, ctx: &Context) -> Result<Box<dyn Transport>, UpgradeError> {
    match &ctx.tls {
        Some(acceptor) => {
            let deadline = Duration::from_millis(ctx.cell.limits().tls_handshake_timeout_ms);
            match tokio::time::timeout(deadline, acceptor.accept(tcp)).await {
                Err(_) => Err(UpgradeError::TlsTimeout(deadline)),
                Ok(Err(e)) => Err(UpgradeError::Tls(e)),
                Ok(Ok(stream)) => Ok(Box::new(stream)),
            }
        }
        None => Ok(Box::new(tcp)),
    }
}

/// A byte stream the relay speaks WebSocket over: TLS in production, plain TCP on loopback.
/// Boxed, so both share one code path.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// Performs the WebSocket upgrade with the configured limits and the Origin allow-list.
pub async fn websocket(
    stream: Box<dyn Transport>,
    ctx: &Context,
) -> Result<WebSocketStream<Box<dyn Transport>>, UpgradeError> {
    let mut allowed = ctx.cell.relay().allowed_origins.clone();
    allowed.push(own_origin(&ctx.cell.relay().public_url));
    // The callback's type is tungstenite's; its error is an HTTP response by design.
    #[allow(clippy::result_large_err)]
    let check_origin = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match req.headers().get(header::ORIGIN) {
            // Non-browser clients send no Origin; browsers always do.
            None => Ok(resp),
            Some(origin) if allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) => Ok(resp),
            Some(origin) => {
                let mut refusal = ErrorResponse::new(Some(format!(
                    "origin {} is not allowed\n",
                    String::from_utf8_lossy(origin.as_bytes())
                )));
                *refusal.status_mut() = StatusCode::FORBIDDEN;
                Err(refusal)
            }
        }
    };
    let deadline = Duration::from_millis(ctx.cell.limits().upgrade_timeout_ms);
    let upgrade = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        check_origin,
        Some(ctx.ws_config()),
    );
    match tokio::time::timeout(deadline, upgrade).await {
        Err(_) => Err(UpgradeError::UpgradeTimeout(deadline)),
        Ok(Err(e)) => Err(UpgradeError::Upgrade(e)),
        Ok(Ok(ws)) => Ok(ws),
    }
}

/// The Origin a browser sends for a page the relay itself serves: `https://host:port` for
/// `wss://host:port/...`.
fn own_origin(public_url: &str) -> String {
    let (scheme, rest) = match public_url.split_once("://") {
        Some(("wss", rest)) => ("https", rest),
        Some(("ws", rest)) => ("http", rest),
        _ => ("https", public_url),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_origin_of_the_public_url() {
        assert_eq!(
            super::own_origin("wss://127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(
            super::own_origin("ws://localhost:9/x"),
            "http://localhost:9"
        );
    }
}
