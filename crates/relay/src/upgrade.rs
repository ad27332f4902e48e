//! From a TCP socket to a WebSocket of one cell: TLS (the relay's, shared by its cells), then
//! the request head, whose path names the cell ([`crate::routes`]), then the HTTP upgrade with
//! the cell's Origin check and frame limits, each under its own deadline (SECURITY.md, P5,
//! P6). A plain HTTP request on the same port is a browser fetching a cell's console
//! ([`crate::console`]): it is answered and the connection closed. An upgrade request is
//! parsed once, by the console's `httparse` head parser, and `check`ed here before tungstenite
//! completes it, so that every refusal gets an HTTP answer (PROTOCOL.md, section 1). A failure here happens before anyone is authenticated, so it is
//! logged but not journaled (an unauthenticated peer must not be able to fill the audit log).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;

use fusioncell_cell::Cell;

use crate::console;
use crate::front::Front;
use crate::prefixed::Prefixed;
use crate::routes::{CellRoute, Routes};

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
    /// Reading the request head or writing a console response failed.
    #[error("HTTP request failed: {0}")]
    Http(std::io::Error),
}

/// Completes TLS (when configured), on the relay's own [`crate::tls_transport`].
pub async fn tls(tcp: TcpStream, front: &Front) -> Result<Box<dyn Transport>, UpgradeError> {
    match &front.tls {
        Some(config) => {
            let deadline = Duration::from_millis(front.limits.tls_handshake_timeout_ms);
            let accept = crate::tls_transport::accept(tcp, config.clone());
            match tokio::time::timeout(deadline, accept).await {
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

/// What became of a connection after TLS.
pub enum Routed<S> {
    /// A WebSocket of a cell, ready for the login.
    WebSocket(Box<WebSocketStream<Box<dyn Transport>>>, CellRoute<S>),
    /// A plain HTTP request (the browser console, a refusal, an unknown path), answered; the
    /// connection is done.
    Served,
}

/// Reads the request head (bounded, see [`console::read_head`]), finds the cell its path
/// names, and either performs the WebSocket upgrade with the cell's limits, once `check` has
/// passed it, or answers a console request or a refused upgrade (`console::route`). All of
/// it within the upgrade deadline.
pub async fn websocket<S>(
    mut stream: Box<dyn Transport>,
    routes: &Routes<S>,
    front: &Front,
    local: SocketAddr,
) -> Result<Routed<S>, UpgradeError> {
    let deadline = Duration::from_millis(front.limits.upgrade_timeout_ms);
    let routed = async {
        let reply = match console::read_head(&mut stream).await {
            Err(e) => return Err(UpgradeError::Http(e)),
            Ok(None) => console::too_large(),
            Ok(Some(head)) => match decide(&head, routes, front.tls.is_some(), local) {
                Err(reply) => reply,
                Ok(route) => {
                    let stream: Box<dyn Transport> = Box::new(Prefixed::new(head, stream));
                    return tokio_tungstenite::accept_async_with_config(
                        stream,
                        Some(route.ctx.ws_config()),
                    )
                    .await
                    .map(|ws| Routed::WebSocket(Box::new(ws), route))
                    .map_err(UpgradeError::Upgrade);
                }
            },
        };
        stream.write_all(&reply).await.map_err(UpgradeError::Http)?;
        let _ = stream.shutdown().await;
        Ok(Routed::Served)
    };
    match tokio::time::timeout(deadline, routed).await {
        Err(_) => Err(UpgradeError::UpgradeTimeout(deadline)),
        Ok(result) => result,
    }
}

/// The cell a complete request head is for, if it is a WebSocket upgrade that passed the
/// cell's checks; `Err` is the HTTP answer (the console's files, a refusal, or the one answer
/// to every unknown path). `tls` and `local` are the listener's (the origins it admits).
pub fn decide<S>(
    head: &[u8],
    routes: &Routes<S>,
    tls: bool,
    local: SocketAddr,
) -> Result<CellRoute<S>, Vec<u8>> {
    let parsed = console::parse_head(head)?;
    let (route, within) = routes.find(parsed.path()).ok_or_else(console::not_found)?;
    let allowed = allowed_origins(&route.ctx.cell, tls, local);
    match console::route(&parsed, within, &route.ctx.cell, &allowed) {
        console::Route::Http(reply) => Err(reply),
        console::Route::WebSocket => Ok(route),
    }
}

/// Checks a WebSocket upgrade request (a `GET` with `Upgrade: websocket`, one `Host`, already
/// checked by the head parser) before it is upgraded; `Err` is the HTTP answer:
/// - 400 unless `Connection` names `upgrade` and there is exactly one `Sec-WebSocket-Key` of
///   16 base64-encoded bytes (RFC 6455, section 4.2.1);
/// - 426 with `Sec-WebSocket-Version: 13` unless there is exactly one
///   `Sec-WebSocket-Version`, and it is 13 (RFC 6455, section 4.4);
/// - 400 for more than one `Origin`: which of two a check reads is an ambiguity an attacker
///   chooses (PROTOCOL.md, section 1);
/// - 403 for an `Origin` that is not in `allowed` (SECURITY.md, P6). None: a non-browser
///   client.
pub(crate) fn check(head: &console::Head<'_>, allowed: &[String]) -> Result<(), Vec<u8>> {
    let connection_upgrade = head.header("connection").any(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    });
    if !connection_upgrade {
        return Err(console::refusal(
            400,
            "",
            "`Connection: Upgrade` is missing",
        ));
    }
    let keys: Vec<&str> = head.header("sec-websocket-key").collect();
    match keys[..] {
        [key] if is_websocket_key(key) => {}
        [_] => {
            return Err(console::refusal(
                400,
                "",
                "`Sec-WebSocket-Key` is not 16 bytes in base64",
            ));
        }
        [] => return Err(console::refusal(400, "", "`Sec-WebSocket-Key` is missing")),
        _ => return Err(console::refusal(400, "", "`Sec-WebSocket-Key` is repeated")),
    }
    let versions: Vec<&str> = head.header("sec-websocket-version").collect();
    if versions[..] != ["13"] {
        return Err(console::refusal(
            426,
            "Sec-WebSocket-Version: 13\r\n",
            "only WebSocket version 13 is spoken",
        ));
    }
    let origins: Vec<&str> = head.header("origin").collect();
    match origins[..] {
        [] => Ok(()),
        [origin] if allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) => Ok(()),
        [origin] => Err(console::refusal(
            403,
            "",
            &format!("origin {} is not allowed", origin.escape_default()),
        )),
        _ => Err(console::refusal(400, "", "`Origin` is repeated")),
    }
}

/// Whether `key` is 16 bytes in padded base64: 22 characters of the alphabet, then `==`.
fn is_websocket_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 24
        && b[22..] == *b"=="
        && b[..22]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// The origins whose pages may open a WebSocket: the configured ones, the relay's own public
/// URL's, and, when the relay listens on another port than the public URL names (port 0 in
/// tests), the listening address's and the public host's at the listening port.
fn allowed_origins(cell: &Cell, tls: bool, local: SocketAddr) -> Vec<String> {
    let mut allowed = cell.relay().allowed_origins.clone();
    allowed.extend(own_origins(&cell.relay().public_url, tls, local));
    allowed
}

/// The relay's own origins: its public URL's, plus, when it listens on another port, the
/// listening address's (unless unspecified) and the public host's at the listening port.
fn own_origins(public_url: &str, tls: bool, local: SocketAddr) -> Vec<String> {
    let own = own_origin(public_url);
    let mut origins = vec![own.clone()];
    let port = local.port();
    if own.ends_with(&format!(":{port}")) {
        return origins;
    }
    let scheme = if tls { "https" } else { "http" };
    if !local.ip().is_unspecified() {
        origins.push(format!("{scheme}://{local}"));
    }
    let authority = own.split_once("://").map_or("", |(_, a)| a);
    let host = match authority.rsplit_once(':') {
        // Not the colons inside an IPv6 literal without a port.
        Some((h, p)) if !p.contains(']') => h,
        _ => authority,
    };
    if !host.is_empty() && host != "0.0.0.0" && host != "[::]" {
        origins.push(format!("{scheme}://{host}:{port}"));
    }
    origins.dedup();
    origins
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

    #[test]
    fn the_listening_port_is_admitted_when_it_differs() {
        let at = |a: &str| a.parse::<std::net::SocketAddr>().expect("addr");
        assert_eq!(
            super::own_origins("wss://127.0.0.1:8443", true, at("127.0.0.1:8443")),
            ["https://127.0.0.1:8443"]
        );
        assert_eq!(
            super::own_origins("wss://127.0.0.1:0", true, at("127.0.0.1:40123")),
            ["https://127.0.0.1:0", "https://127.0.0.1:40123"]
        );
        assert_eq!(
            super::own_origins("wss://cell.example:8443", true, at("0.0.0.0:9443")),
            ["https://cell.example:8443", "https://cell.example:9443"]
        );
        assert_eq!(
            super::own_origins("wss://[::1]:8443", true, at("[::1]:9443")),
            ["https://[::1]:8443", "https://[::1]:9443"]
        );
    }
}
