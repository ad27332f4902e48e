//! The floor: the least a WebSocket broadcast relay can do on this stack, to measure the
//! fusioncell relay against in the same run.
//!
//! tokio-tungstenite, optionally over rustls with the ring provider (TLS 1.3, the relay's
//! settings), and nothing else: no login, no signatures, no journal. A connection that sends
//! the text `subscribe` is answered `live` and from then on receives every other text frame any
//! connection sends, in order. Each subscriber has a bounded queue; its writer task writes
//! every frame queued so far and then flushes once (many frames per socket write). A full queue
//! makes the publisher wait (backpressure), so the floor never drops a message.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// What the floor is told.
#[derive(Debug, Clone)]
pub struct FloorOptions {
    /// WebSocket read buffer per connection; `None` keeps tokio-tungstenite's default
    /// (128 KiB).
    pub read_buffer: Option<usize>,
    /// Frames queued per subscriber before a publisher waits.
    pub queue: usize,
}

impl Default for FloorOptions {
    fn default() -> Self {
        FloorOptions {
            read_buffer: None,
            queue: 4096,
        }
    }
}

/// A TLS problem.
#[derive(Debug, thiserror::Error)]
#[error("floor TLS: {0}")]
pub struct TlsError(String);

/// TLS 1.3 on ring, HTTP/1.1 ALPN, from a PEM certificate chain and key (the relay's own).
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

type Subscribers = Arc<Mutex<HashMap<u64, mpsc::Sender<Utf8Bytes>>>>;

/// Serves until the task is dropped.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    options: FloorOptions,
) -> std::io::Result<()> {
    let subscribers: Subscribers = Arc::default();
    let ids = Arc::new(AtomicU64::new(0));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let subscribers = subscribers.clone();
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let options = options.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let result = match acceptor {
                Some(a) => match a.accept(tcp).await {
                    Ok(tls) => connection(tls, id, subscribers, &options).await,
                    Err(e) => Err(e.to_string()),
                },
                None => connection(tcp, id, subscribers, &options).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, "floor connection: {e}");
            }
        });
    }
}

/// Binds `addr` and serves (what `fusioncell bench --serve-floor` runs).
pub async fn bind_and_serve(
    addr: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
    options: FloorOptions,
) -> std::io::Result<()> {
    serve(TcpListener::bind(addr).await?, tls, options).await
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    id: u64,
    subscribers: Subscribers,
    options: &FloorOptions,
) -> Result<(), String> {
    let mut config = WebSocketConfig::default();
    if let Some(size) = options.read_buffer {
        config = config.read_buffer_size(size);
    }
    let ws = tokio_tungstenite::accept_async_with_config(stream, Some(config))
        .await
        .map_err(|e| e.to_string())?;
    let (sink, mut stream) = ws.split();
    let mut sink = Some(sink);
    let mut writer = None;
    while let Some(msg) = stream.next().await {
        let text = match msg.map_err(|e| e.to_string())? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        if text.as_str() == "subscribe" {
            if let Some(mut sink) = sink.take() {
                let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(options.queue);
                let _ = tx.try_send(Utf8Bytes::from_static("live"));
                lock(&subscribers).insert(id, tx);
                writer = Some(tokio::spawn(async move {
                    // Every frame queued so far, then one flush: many frames per write.
                    while let Some(first) = rx.recv().await {
                        if sink.feed(Message::Text(first)).await.is_err() {
                            return;
                        }
                        while let Ok(more) = rx.try_recv() {
                            if sink.feed(Message::Text(more)).await.is_err() {
                                return;
                            }
                        }
                        if sink.flush().await.is_err() {
                            return;
                        }
                    }
                }));
            }
            continue;
        }
        broadcast(&subscribers, text).await;
    }
    lock(&subscribers).remove(&id);
    if let Some(w) = writer {
        w.abort();
    }
    Ok(())
}

/// Queues `text` to every subscriber; waits (outside the lock) for those whose queue is full.
async fn broadcast(subscribers: &Subscribers, text: Utf8Bytes) {
    let mut full = Vec::new();
    {
        let subs = lock(subscribers);
        for tx in subs.values() {
            if let Err(mpsc::error::TrySendError::Full(t)) = tx.try_send(text.clone()) {
                full.push((tx.clone(), t));
            }
        }
    }
    for (tx, t) in full {
        let _ = tx.send(t).await;
    }
}

fn lock(s: &Subscribers) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::Sender<Utf8Bytes>>> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
