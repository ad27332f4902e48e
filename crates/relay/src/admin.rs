//! The admin listener: `GET /metrics` (Prometheus text, every cell's series), `GET /healthz`
//! (the process serves) and `GET /readyz` (every cell's journal is open and has not failed;
//! 503 naming the cells that are not), over plain HTTP on its own
//! socket, apart from the participants' TLS port. It binds to loopback by default
//! (SECURITY.md, "The admin listener": what binding it elsewhere exposes).
//!
//! Each connection gets one answer and is closed (`Connection: close`). The request head is
//! read and parsed by the console's bounded reader and `httparse` rules ([`console::read_head`],
//! `console::request`), except that `HTTP/1.0` and a missing `Host` are accepted, as a
//! one-line health check sends them. The whole exchange has a deadline, and at most
//! [`ADMIN_CONNECTIONS`] are served at once: a peer that sends a huge or a slow request is cut
//! off, and many of them cannot hold the relay's memory or tasks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::console;
use crate::defaults::{ACCEPT_BACKOFF, ADMIN_CONNECTIONS, ADMIN_REQUEST_TIMEOUT};
use crate::front::Front;
use crate::metrics::{self, MetricsRegistry};
use crate::shutdown::Shutdown;

/// Where and how the admin listener serves.
#[derive(Debug, Clone, Copy)]
pub struct AdminConfig {
    /// The address to bind (port 0 picks one; [`crate::Server::admin_addr`] tells which).
    pub listen: SocketAddr,
    /// Deadline for one whole exchange: reading the request and writing the answer.
    pub request_timeout: Duration,
}

impl AdminConfig {
    /// Serves on `listen` with the default deadline ([`ADMIN_REQUEST_TIMEOUT`]).
    pub fn new(listen: SocketAddr) -> Self {
        AdminConfig {
            listen,
            request_timeout: ADMIN_REQUEST_TIMEOUT,
        }
    }
}

/// Binds the admin socket and serves the metrics of `front`'s registry until its shutdown;
/// returns the address actually bound, which it also logs in `span`.
pub(crate) async fn serve(
    front: &Front,
    config: AdminConfig,
    span: &tracing::Span,
) -> Result<SocketAddr, crate::RelayError> {
    let (tcp, addr) = crate::listener::bind_or(config.listen, |addr, source| {
        crate::RelayError::AdminBind { addr, source }
    })
    .await?;
    front.shutdown.spawn(run(
        tcp,
        front.registry.clone(),
        front.shutdown.clone(),
        config.request_timeout,
    ));
    span.in_scope(|| tracing::info!(%addr, "admin listening (metrics, health)"));
    Ok(addr)
}

/// Accepts admin connections until shutdown.
async fn run(
    listener: TcpListener,
    metrics: Arc<MetricsRegistry>,
    shutdown: Shutdown,
    request_timeout: Duration,
) {
    let slots = Arc::new(Semaphore::new(ADMIN_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            biased;
            () = shutdown.triggered() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("admin accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "admin connection dropped: {ADMIN_CONNECTIONS} already served");
            continue;
        };
        let metrics = metrics.clone();
        shutdown.spawn(async move {
            match tokio::time::timeout(request_timeout, exchange(tcp, &metrics)).await {
                Err(_) => {
                    tracing::debug!(%peer, "admin request not done within {request_timeout:?}")
                }
                Ok(Err(e)) => tracing::debug!(%peer, "admin request failed: {e}"),
                Ok(Ok(())) => {}
            }
            drop(slot);
        });
    }
    tracing::info!("admin listener stopped");
}

/// Reads one request head, writes the answer and closes.
async fn exchange(mut tcp: TcpStream, metrics: &MetricsRegistry) -> std::io::Result<()> {
    let reply = match console::read_head(&mut tcp).await? {
        None => console::too_large(),
        Some(head) => answer(&head, metrics),
    };
    tcp.write_all(&reply).await?;
    tcp.shutdown().await
}

/// The response to a complete request head.
fn answer(head: &[u8], metrics: &MetricsRegistry) -> Vec<u8> {
    let head = match console::request(head) {
        Ok(head) => head,
        Err(status) => return console::error_response(status),
    };
    if head.method() != "GET" {
        return console::error_response(405);
    }
    let text = "text/plain; charset=utf-8";
    match head.path() {
        "/metrics" => console::response(200, metrics::CONTENT_TYPE, metrics.encode().as_bytes()),
        "/healthz" => console::response(200, text, b"ok\n"),
        "/readyz" => match metrics.not_ready() {
            Some(cells) if cells.is_empty() => console::response(200, text, b"ready\n"),
            Some(cells) => {
                let mut body = String::new();
                for cell in cells {
                    body += &format!(
                        "not ready: cell `{cell}`: the journal is closed or has failed (its acts are refused until it is restarted)\n"
                    );
                }
                console::response(503, text, body.as_bytes())
            }
            None => console::response(503, text, b"not ready: no cell is served\n"),
        },
        _ => console::error_response(404),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::example_cell;

    fn status(reply: &[u8]) -> String {
        let text = String::from_utf8_lossy(reply);
        text.lines().next().unwrap_or_default().to_owned()
    }

    #[test]
    fn paths_methods_and_versions_get_their_status() {
        let registry = MetricsRegistry::new(None);
        let get = |req: &str| status(&answer(req.as_bytes(), &registry));
        assert_eq!(
            get("GET /readyz HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 503 Service Unavailable",
            "no cell"
        );
        let m = registry.cell(example_cell().id());
        assert_eq!(get("GET /healthz HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK");
        assert_eq!(
            get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 200 OK"
        );
        // The commit thread has not opened the journal: not ready.
        assert_eq!(
            get("GET /readyz HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 503 Service Unavailable"
        );
        m.journal_open(true);
        assert_eq!(get("GET /readyz HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK");
        m.journal_failed();
        assert_eq!(
            get("GET /readyz HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 503 Service Unavailable"
        );
        assert_eq!(
            get("GET /nothing HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 404 Not Found"
        );
        assert_eq!(
            get("POST /metrics HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed"
        );
        assert_eq!(
            get("GET /metrics HTTP/2.0\r\n\r\n"),
            "HTTP/1.1 505 HTTP Version Not Supported"
        );
        assert_eq!(get("GET /healthz HTTP/1.0\n\n"), "HTTP/1.1 400 Bad Request");
    }
}
