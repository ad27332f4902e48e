//! One connection: dial the relay and log in.
//!
//! [`dial`] and [`login`] are public on their own so that tests and tools can speak the raw
//! protocol (and misbehave on purpose); [`Client`](crate::Client) builds on them.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::{
    CellId, ClientMsg, Digest, IdentityId, IdentityInfo, PresenceMode, PublicKeyBytes, ServerMsg,
    SignatureBytes, canonical,
};
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::ClientError;
use crate::client::Welcome;
use crate::defaults::{
    CONNECT_RETRY_FIRST_DELAY, CONNECT_RETRY_MAX_DELAY, CONNECT_TIMEOUT, LOGIN_TIMEOUT,
    MAX_MESSAGE_BYTES, READ_BUFFER_BYTES,
};

/// A byte stream under the WebSocket: TLS, or plain TCP for `ws://`.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A WebSocket to the relay.
pub type Ws = WebSocketStream<Box<dyn Io>>;

/// Where the relay is and how to trust it.
#[derive(Clone)]
pub struct Target {
    url: String,
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Target {
    /// Parses `wss://host:port[/path]` (needs the CA) or `ws://host:port[/path]`.
    pub fn new(url: &str, ca_pem: Option<&[u8]>) -> Result<Target, ClientError> {
        let bad = |reason: &str| ClientError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let (secure, rest) = if let Some(rest) = url.strip_prefix("wss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("ws://") {
            (false, rest)
        } else {
            return Err(bad(
                "must start with wss:// (or ws:// for a loopback relay)",
            ));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| bad("needs a port, e.g. wss://relay.example:8443"))?;
        let port: u16 = port.parse().map_err(|_| bad("port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("needs a host"));
        }
        let tls = if secure {
            let ca = ca_pem.ok_or_else(|| bad("a wss:// relay needs a CA certificate (--ca)"))?;
            Some(crate::tls::client_config(ca)?)
        } else {
            None
        };
        Ok(Target {
            url: url.to_owned(),
            host: host.to_owned(),
            port,
            tls,
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Opens the TCP connection, TLS and the WebSocket upgrade.
pub async fn dial(target: &Target) -> Result<Ws, ClientError> {
    let fail = |reason: String| ClientError::Connect {
        url: target.url.clone(),
        reason,
    };
    let work = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| fail(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = match &target.tls {
            Some(config) => {
                let name = ServerName::try_from(target.host.clone())
                    .map_err(|e| fail(format!("bad server name: {e}")))?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| fail(format!("TLS: {e}")))?;
                Box::new(tls)
            }
            None => Box::new(tcp),
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .read_buffer_size(READ_BUFFER_BYTES);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(target.url.as_str(), stream, Some(config))
                .await
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(answer) => {
                        refused(&target.url, &answer)
                    }
                    e => fail(format!("WebSocket upgrade: {e}")),
                })?;
        Ok(ws)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, work)
        .await
        .map_err(|_| fail(format!("no connection within {CONNECT_TIMEOUT:?}")))?
}

/// An HTTP answer to the upgrade, as an error: its status and the first line of its body
/// (bounded, escaped), which names what was wrong.
fn refused(
    url: &str,
    answer: &tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>>,
) -> ClientError {
    let body = answer.body().as_deref().unwrap_or_default();
    let line = String::from_utf8_lossy(body);
    let line = line
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no reason given");
    ClientError::Refused {
        url: url.to_owned(),
        status: answer.status().as_u16(),
        reason: line
            .chars()
            .take(200)
            .flat_map(char::escape_default)
            .collect(),
    }
}

/// What the client expects of the relay; `None` accepts what it says (trust on first use).
/// Also how it logs in: the directory it holds and the `presence` it asks for.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The cell id.
    pub cell: Option<CellId>,
    /// The relay's public key.
    pub relay_key: Option<PublicKeyBytes>,
    /// The cell's identities, from its config: named in `login`, so the relay leaves them out
    /// of `welcome`, and a relay whose directory differs is refused.
    pub directory: Option<Directory>,
    /// What `presence` frames should carry after the first.
    pub presence: PresenceMode,
}

/// A cell's identities and their directory digest (PROTOCOL.md §5.7), computed once: a bench
/// of 10,000 participants shares one.
#[derive(Debug, Clone)]
pub struct Directory {
    /// SHA-256 of the directory bytes.
    pub digest: Digest,
    /// The identities.
    pub identities: Arc<[IdentityInfo]>,
}

impl Directory {
    /// The directory of `identities` in `cell`.
    pub fn new(cell: &CellId, identities: Vec<IdentityInfo>) -> Directory {
        Directory {
            digest: Digest(sha256(&canonical::directory_bytes(cell, &identities))),
            identities: identities.into(),
        }
    }
}

/// The challenge's facts, as the relay stated them.
#[derive(Debug, Clone)]
pub struct RelayFacts {
    /// The cell.
    pub cell: CellId,
    /// The relay's key.
    pub relay_key: PublicKeyBytes,
}

/// Answers the challenge as `identity` and waits for the welcome.
pub async fn login(
    ws: &mut Ws,
    identity: &IdentityId,
    key: &SigningKey,
    expect: &Expect,
) -> Result<(RelayFacts, Welcome), ClientError> {
    let (cell, nonce, relay_key) = match next_msg(ws).await? {
        ServerMsg::Challenge {
            cell,
            nonce,
            relay_key,
            ..
        } => (cell, nonce, relay_key),
        other => {
            return Err(ClientError::Protocol(format!(
                "expected a challenge, got {other:?}"
            )));
        }
    };
    if let Some(c) = &expect.cell
        && *c != cell
    {
        return Err(ClientError::WrongRelay(format!(
            "it serves cell `{cell}`, not `{c}`"
        )));
    }
    if let Some(k) = &expect.relay_key
        && *k != relay_key
    {
        return Err(ClientError::WrongRelay(
            "its key is not the relay key of the cell config".into(),
        ));
    }
    let sig = key.sign(&canonical::login_bytes(&cell, &nonce, &relay_key, identity));
    let answer = ClientMsg::Login {
        identity: identity.clone(),
        sig: SignatureBytes(sig),
        directory: expect.directory.as_ref().map(|d| d.digest),
        presence: expect.presence,
    };
    ws.send(Message::text(answer.to_json()))
        .await
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
    match next_msg(ws).await? {
        ServerMsg::Welcome {
            identity,
            role,
            last_seq,
            size,
            channels,
            directory,
            identities,
            ..
        } => {
            let identities = match (identities, &expect.directory) {
                (Some(_), Some(held)) if held.digest != directory => {
                    return Err(ClientError::WrongRelay(format!(
                        "its identities or keys are not those of the cell config (directory {directory}, the config's {})",
                        held.digest
                    )));
                }
                (Some(listed), _) => listed.into(),
                (None, Some(held)) if held.digest == directory => held.identities.clone(),
                (None, _) => {
                    return Err(ClientError::Protocol(
                        "the welcome lists no identities, and names a directory this client did not"
                            .into(),
                    ));
                }
            };
            Ok((
                RelayFacts { cell, relay_key },
                Welcome {
                    identity,
                    role,
                    last_seq,
                    size,
                    channels,
                    identities,
                },
            ))
        }
        other => Err(ClientError::Protocol(format!(
            "expected welcome, got {other:?}"
        ))),
    }
}

/// The next protocol frame, skipping pings; a close becomes [`ClientError::Closed`].
pub async fn next_msg(ws: &mut Ws) -> Result<ServerMsg, ClientError> {
    loop {
        let msg = tokio::time::timeout(LOGIN_TIMEOUT, ws.next())
            .await
            .map_err(|_| ClientError::Protocol("the relay said nothing".into()))?;
        match msg {
            None => {
                return Err(ClientError::Closed {
                    code: 1006,
                    reason: "connection lost".into(),
                });
            }
            Some(Err(e)) => return Err(ClientError::Protocol(e.to_string())),
            Some(Ok(Message::Text(t))) => {
                return ServerMsg::from_json(&t).map_err(|e| ClientError::Protocol(e.to_string()));
            }
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                return Err(ClientError::Closed { code, reason });
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// Delays between attempts: doubling from `first` up to `max`, each drawn at random from its
/// upper half ("equal jitter"), so that clients refused together do not come back together.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `first`, doubles up to `max`.
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { next: first, max }
    }

    /// The delay before the next attempt.
    pub fn delay(&mut self) -> Duration {
        let ceiling = self.next;
        self.next = (self.next * 2).min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(jitter())
    }
}

/// A number in `[0, 1)`, different on every call: not for secrets, only to spread retries.
fn jitter() -> f64 {
    // A fresh `RandomState` is seeded from the OS (then varied per instance).
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether a failed first connection is worth another attempt: the relay could not be
/// reached, dropped the connection, or closed it with a code that says "later" (such as
/// `1013` for a connection evicted from a full pending-login cap), or answered the upgrade
/// with a status that says "later" (a router's 502 or 503 while the relay restarts, 408,
/// 429). A refused identity or key, a wrong relay, a bad URL or CA, and any other HTTP answer
/// (404: no such cell here; 403: Origin) are final.
pub fn worth_retrying(e: &ClientError) -> bool {
    match e {
        ClientError::Connect { .. } | ClientError::Protocol(_) => true,
        ClientError::Refused { status, .. } => matches!(status, 408 | 429 | 500..=599),
        ClientError::Closed { code, .. } => {
            fusioncell_wire::CloseCode::from_code(*code).is_none_or(|c| c.is_retryable())
                && *code != 1000
        }
        _ => false,
    }
}

/// Dials and logs in, retrying what [`worth_retrying`] with [`Backoff`] until `budget` has
/// passed, attempts included (the first attempt always runs to its own deadlines, so a zero
/// budget is one attempt). The last error when it gives up.
pub async fn connect_retrying(
    target: &Target,
    identity: &IdentityId,
    key: &SigningKey,
    expect: &Expect,
    budget: Duration,
) -> Result<(Ws, RelayFacts, Welcome), ClientError> {
    let give_up = tokio::time::Instant::now() + budget;
    let mut backoff = Backoff::new(CONNECT_RETRY_FIRST_DELAY, CONNECT_RETRY_MAX_DELAY);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let attempt = async {
            let mut ws = dial(target).await?;
            let (facts, welcome) = login(&mut ws, identity, key, expect).await?;
            Ok((ws, facts, welcome))
        };
        // The first attempt has its own deadlines only; a later one also ends with the budget.
        let outcome = if attempts == 1 {
            Ok(attempt.await)
        } else {
            tokio::time::timeout_at(give_up, attempt).await
        };
        let error = match outcome {
            Ok(Ok(done)) => return Ok(done),
            Ok(Err(e)) => e,
            Err(_) => ClientError::Connect {
                url: target.url.clone(),
                reason: format!("no connection within {budget:?} ({attempts} attempts)"),
            },
        };
        let delay = backoff.delay();
        if !worth_retrying(&error) || tokio::time::Instant::now() + delay >= give_up {
            return Err(error);
        }
        tracing::debug!("connection attempt {attempts} failed ({error}); retrying in {delay:?}");
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let delays: Vec<Duration> = (0..5).map(|_| b.delay()).collect();
        for (d, ceiling) in delays.iter().zip([100, 200, 400, 400, 400]) {
            let ceiling = Duration::from_millis(ceiling);
            assert!(*d >= ceiling / 2 && *d <= ceiling, "{d:?} for {ceiling:?}");
        }
        // Jitter: a hundred draws are not all the same.
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let first = b.delay();
        assert!((0..100).any(|_| b.delay() != first));
    }

    #[test]
    fn what_is_retried() {
        let closed = |code| ClientError::Closed {
            code,
            reason: String::new(),
        };
        let connect = ClientError::Connect {
            url: "wss://x:1".into(),
            reason: "refused".into(),
        };
        let refused = |status| ClientError::Refused {
            url: "wss://x:1/cells/a".into(),
            status,
            reason: String::new(),
        };
        for e in [
            connect,
            closed(1013),
            closed(1006),
            closed(1001),
            refused(503),
            refused(502),
            refused(429),
        ] {
            assert!(worth_retrying(&e), "{e}");
        }
        for e in [
            closed(4001),
            closed(4000),
            closed(1000),
            refused(404),
            refused(403),
            refused(426),
            ClientError::WrongRelay("other".into()),
            ClientError::Ca("bad".into()),
        ] {
            assert!(!worth_retrying(&e), "{e}");
        }
    }

    #[test]
    fn relay_urls() {
        let t = Target::new("ws://127.0.0.1:9000/x", None).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls.is_none()),
            ("127.0.0.1", 9000, true)
        );
        let t = Target::new("ws://[::1]:9000", None).unwrap();
        assert_eq!(t.host, "::1");
        for bad in [
            "http://h:1",
            "ws://h",
            "ws://:1",
            "ws://h:port",
            "wss://h:1",
        ] {
            assert!(Target::new(bad, None).is_err(), "{bad}");
        }
        assert!(matches!(
            Target::new("wss://h:1", Some(b"junk")),
            Err(ClientError::Ca(_))
        ));
    }
}
