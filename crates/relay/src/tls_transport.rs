//! The relay's side of TLS over a socket, on rustls's unbuffered API, holding buffers only
//! while bytes are in flight: an idle connection keeps its TLS state (keys, sequence numbers,
//! the handshake's remains) and no buffer at all.
//!
//! Why not tokio-rustls: its stream reads through rustls's own buffer, which rustls keeps at
//! 4 KiB or more for the connection's life once it has read (the largest part of an idle
//! connection's memory, BENCHMARKS.md "Idle memory"). Here the received bytes wait in a buffer
//! of ours only until they make whole records; it is freed when they have. A write is
//! encrypted into one buffer (tungstenite writes a batch of frames at once: one socket write
//! of several records) and sent at once as far as the socket takes it, the rest at the next
//! write or flush; the buffer is freed once sent.
//!
//! The same behaviour as tokio-rustls where the relay can tell: a failed handshake or a bad
//! record is an `InvalidData` error, after the alert rustls queued for it has been offered to
//! the socket; a peer that closes the socket without `close_notify` is an `UnexpectedEof`
//! error; after `close_notify` reads return end of file; shutdown sends `close_notify` and
//! then shuts the socket's write side.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use rustls::server::{ServerConfig, UnbufferedServerConnection};
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, UnbufferedStatus};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TLS record's header: type, version, length.
const HEADER: usize = 5;

/// The longest record a peer may send: 2^14 bytes of plaintext and at most 256 of
/// expansion (RFC 8446, section 5.2), after the header. rustls refuses a longer one.
const MAX_RECORD: usize = HEADER + (1 << 14) + 256;

/// 4 KiB: a read asks the socket for at least this much, or for the rest of the record under
/// way if that is more. Requests, logins and acts are well under it.
const READ_CHUNK: usize = 4096;

/// 64 KiB: encrypted bytes not yet sent above which a write first sends them, so that a
/// writer that never flushes cannot grow the buffer without bound.
const SEND_HIGH_WATER: usize = 64 * 1024;

/// TLS 1.3 with AES-GCM or ChaCha20-Poly1305 adds a header, the content type and a 16-byte
/// tag to each record of at most 2^14 bytes: the first guess of a write's encrypted size.
const RECORD_OVERHEAD: usize = HEADER + 1 + 16;

/// A server-side TLS connection over a TCP socket, after its handshake ([`accept`]).
pub struct TlsTransport {
    io: TcpStream,
    conn: UnbufferedServerConnection,
    /// Received bytes not yet processed: part of a record, between reads. Unallocated when
    /// empty.
    incoming: Vec<u8>,
    /// Decrypted bytes not yet read, from `plain_at`. Unallocated when empty.
    plain: Vec<u8>,
    plain_at: usize,
    /// Encrypted bytes not yet sent, from `sent`. Unallocated when empty.
    outgoing: Vec<u8>,
    sent: usize,
    /// The peer sent `close_notify`: reads return end of file.
    read_closed: bool,
    /// This side sent `close_notify`.
    write_closed: bool,
}

/// What processing the received bytes is for.
enum Want<'a, 'b> {
    /// Completing the handshake.
    Handshake,
    /// Decrypted bytes, into this buffer first and the rest into `plain`.
    Read(&'a mut ReadBuf<'b>),
    /// Encrypting these bytes into `outgoing`.
    Write(&'a [u8]),
}

/// What processing the received bytes gave.
enum Processed {
    /// Decrypted bytes (in the read's buffer, and `plain` if they did not fit).
    Plaintext,
    /// Nothing more without more bytes from the peer.
    NeedData,
    /// The peer sent `close_notify`.
    PeerClosed,
    /// The write's bytes were encrypted into `outgoing`.
    Encrypted,
}

/// Completes the server side of a TLS handshake over `io`. The caller bounds its time.
pub async fn accept(io: TcpStream, config: Arc<ServerConfig>) -> io::Result<TlsTransport> {
    let conn = UnbufferedServerConnection::new(config).map_err(invalid)?;
    let mut tls = TlsTransport {
        io,
        conn,
        incoming: Vec::new(),
        plain: Vec::new(),
        plain_at: 0,
        outgoing: Vec::new(),
        sent: 0,
        read_closed: false,
        write_closed: false,
    };
    std::future::poll_fn(|cx| tls.poll_handshake(cx)).await?;
    Ok(tls)
}

impl TlsTransport {
    /// Drives the handshake until the connection may carry application data and everything
    /// the handshake wrote has been sent.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.process(Want::Handshake)? {
                // The client may send data right after its Finished, in the same read.
                Processed::Plaintext | Processed::NeedData if !self.conn.is_handshaking() => {
                    return self.poll_send(cx);
                }
                Processed::Plaintext | Processed::NeedData => {
                    ready!(self.poll_send(cx))?;
                    if ready!(self.poll_fill(cx))? == 0 {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "tls handshake eof",
                        )));
                    }
                }
                Processed::PeerClosed | Processed::Encrypted => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed during the TLS handshake",
                    )));
                }
            }
        }
    }

    /// Runs rustls over the received bytes until it needs more of them, has decrypted some,
    /// or has encrypted what `want` writes; handshake and alert records it produces on the
    /// way go into `outgoing`.
    fn process(&mut self, mut want: Want<'_, '_>) -> io::Result<Processed> {
        loop {
            let Self {
                conn,
                incoming,
                plain,
                outgoing,
                ..
            } = self;
            let UnbufferedStatus { mut discard, state } = conn.process_tls_records(incoming);
            let done = match state {
                Err(e) => {
                    drop_front(incoming, discard);
                    self.offer_alert();
                    return Err(invalid(e));
                }
                Ok(ConnectionState::ReadTraffic(mut traffic)) => {
                    while let Some(record) = traffic.next_record() {
                        let record = record.map_err(invalid)?;
                        discard += record.discard;
                        let mut payload = record.payload;
                        // Straight to the reader when `plain` is empty (it is served first).
                        if let Want::Read(buf) = &mut want
                            && plain.is_empty()
                        {
                            let n = buf.remaining().min(payload.len());
                            buf.put_slice(&payload[..n]);
                            payload = &payload[n..];
                        }
                        plain.extend_from_slice(payload);
                    }
                    // A write goes on to encrypt; the reader finds these in `plain`.
                    match want {
                        Want::Write(_) => None,
                        Want::Handshake | Want::Read(_) => Some(Processed::Plaintext),
                    }
                }
                Ok(ConnectionState::EncodeTlsData(mut data)) => {
                    append(outgoing, 0, |out| data.encode(out)).map_err(other)?;
                    None
                }
                Ok(ConnectionState::TransmitTlsData(data)) => {
                    // `outgoing` sends it exactly once, at the next write or flush.
                    data.done();
                    None
                }
                Ok(ConnectionState::WriteTraffic(mut traffic)) => match want {
                    Want::Write(bytes) => {
                        let guess = bytes.len() + RECORD_OVERHEAD * (bytes.len() / (1 << 14) + 1);
                        append(outgoing, guess, |out| traffic.encrypt(bytes, out))
                            .map_err(other)?;
                        Some(Processed::Encrypted)
                    }
                    Want::Handshake | Want::Read(_) => Some(Processed::NeedData),
                },
                Ok(ConnectionState::BlockedHandshake) => Some(Processed::NeedData),
                Ok(ConnectionState::PeerClosed) => {
                    self.read_closed = true;
                    // A write goes on: only the peer's direction is closed.
                    match want {
                        Want::Write(_) => None,
                        Want::Handshake | Want::Read(_) => Some(Processed::PeerClosed),
                    }
                }
                Ok(ConnectionState::Closed) => match want {
                    Want::Handshake | Want::Read(_) => Some(Processed::PeerClosed),
                    Want::Write(_) => {
                        drop_front(incoming, discard);
                        return Err(io::Error::new(
                            io::ErrorKind::BrokenPipe,
                            "the TLS connection is closed",
                        ));
                    }
                },
                // Early data is refused (`max_early_data_size` is 0, SECURITY.md P12).
                Ok(state) => {
                    let why = format!("unexpected TLS state {state:?}");
                    drop_front(incoming, discard);
                    return Err(other(why));
                }
            };
            drop_front(&mut self.incoming, discard);
            if let Some(done) = done {
                return Ok(done);
            }
        }
    }

    /// After a TLS error: the alert rustls queued for the peer goes into `outgoing` and is
    /// offered to the socket once, without waiting (the connection is over; no task waits on
    /// the wake-up this gives away), so the peer learns why.
    fn offer_alert(&mut self) {
        let UnbufferedStatus { state, .. } = self.conn.process_tls_records(&mut []);
        if let Ok(ConnectionState::EncodeTlsData(mut data)) = state
            && append(&mut self.outgoing, 0, |out| data.encode(out)).is_ok()
        {
            let waker = std::task::Waker::noop();
            let _ = self.poll_send(&mut Context::from_waker(waker));
        }
    }

    /// Reads more bytes from the socket onto `incoming`: `Ok(0)` at end of file. Room is
    /// made only once the socket is readable, so a poll that finds nothing allocates nothing.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let have = self.incoming.len();
        // The rest of the record under way, if its header is in, or a chunk.
        let record = match self.incoming.get(..HEADER) {
            Some(h) => HEADER + usize::from(u16::from_be_bytes([h[3], h[4]])),
            None => 0,
        };
        let want = record.min(MAX_RECORD).saturating_sub(have).max(READ_CHUNK);
        loop {
            ready!(self.io.poll_read_ready(cx))?;
            self.incoming.resize(have + want, 0);
            let read = self.io.try_read(&mut self.incoming[have..]);
            self.incoming.truncate(have + *read.as_ref().unwrap_or(&0));
            if self.incoming.is_empty() {
                self.incoming = Vec::new();
            }
            match read {
                // Readiness was stale; `try_read` cleared it.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                read => return Poll::Ready(read),
            }
        }
    }

    /// Sends `outgoing` until it is empty, then frees it.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.outgoing.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.outgoing[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.outgoing = Vec::new();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for TlsTransport {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.plain_at < this.plain.len() {
                let n = buf.remaining().min(this.plain.len() - this.plain_at);
                buf.put_slice(&this.plain[this.plain_at..this.plain_at + n]);
                this.plain_at += n;
                if this.plain_at == this.plain.len() {
                    this.plain = Vec::new();
                    this.plain_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.read_closed {
                return Poll::Ready(Ok(()));
            }
            let before = buf.filled().len();
            match this.process(Want::Read(&mut *buf))? {
                Processed::Plaintext if buf.filled().len() > before => {
                    return Poll::Ready(Ok(()));
                }
                Processed::Plaintext | Processed::PeerClosed | Processed::Encrypted => {}
                // Records rustls answers by itself (a key update) wait in `outgoing` for the
                // next write: sending here would take the socket's write wake-up from the
                // writer.
                Processed::NeedData => {
                    if ready!(this.poll_fill(cx))? == 0 {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "peer closed connection without sending TLS close_notify",
                        )));
                    }
                }
            }
        }
    }
}

impl AsyncWrite for TlsTransport {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.write_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if this.outgoing.len() - this.sent >= SEND_HIGH_WATER {
            ready!(this.poll_send(cx))?;
        }
        let buf = &buf[..buf.len().min(SEND_HIGH_WATER)];
        match this.process(Want::Write(buf))? {
            // Sent now if the socket takes it: tungstenite's last write before it drops a
            // closed connection is never flushed.
            Processed::Encrypted => match this.poll_send(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) | Poll::Pending => Poll::Ready(Ok(buf.len())),
            },
            // `process` returns these for reads only.
            Processed::Plaintext | Processed::NeedData | Processed::PeerClosed => {
                Poll::Ready(Err(other("the TLS connection cannot carry data yet")))
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.write_closed {
            this.write_closed = true;
            this.queue_close_notify()?;
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

impl TlsTransport {
    /// Encrypts a `close_notify` alert into `outgoing`.
    fn queue_close_notify(&mut self) -> io::Result<()> {
        let UnbufferedStatus { discard, state } = self.conn.process_tls_records(&mut []);
        debug_assert_eq!(discard, 0);
        match state {
            Ok(ConnectionState::WriteTraffic(mut traffic)) => {
                append(&mut self.outgoing, RECORD_OVERHEAD + 2, |out| {
                    traffic.queue_close_notify(out)
                })
                .map_err(other)?;
                Ok(())
            }
            // Closed both ways already, or broken: nothing to say.
            Ok(_) | Err(_) => Ok(()),
        }
    }
}

/// Runs `encode` on new room at the end of `out` (`guess` bytes first, then what it says it
/// needs) and keeps what it wrote.
fn append<E: Into<Needed>>(
    out: &mut Vec<u8>,
    guess: usize,
    mut encode: impl FnMut(&mut [u8]) -> Result<usize, E>,
) -> Result<(), String> {
    let start = out.len();
    let mut room = guess;
    loop {
        out.resize(start + room, 0);
        match encode(&mut out[start..]).map_err(Into::into) {
            Ok(n) => {
                out.truncate(start + n);
                return Ok(());
            }
            Err(Needed::Size(size)) if size > room => room = size,
            Err(Needed::Size(_)) => {
                out.truncate(start);
                return Err("rustls asked for no more room than it had".into());
            }
            Err(Needed::Failed(why)) => {
                out.truncate(start);
                return Err(why);
            }
        }
    }
}

/// Why an encoder wrote nothing.
enum Needed {
    /// It needs this many bytes of room.
    Size(usize),
    /// It cannot write at all.
    Failed(String),
}

impl From<EncodeError> for Needed {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::InsufficientSize(s) => Needed::Size(s.required_size),
            other => Needed::Failed(other.to_string()),
        }
    }
}

impl From<EncryptError> for Needed {
    fn from(e: EncryptError) -> Self {
        match e {
            EncryptError::InsufficientSize(s) => Needed::Size(s.required_size),
            other => Needed::Failed(other.to_string()),
        }
    }
}

/// Removes the first `n` bytes of `buf`, and frees it when nothing is left.
fn drop_front(buf: &mut Vec<u8>, n: usize) {
    if n == 0 {
        return;
    }
    buf.drain(..n.min(buf.len()));
    if buf.is_empty() {
        *buf = Vec::new();
    }
}

fn invalid(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn other(why: impl Into<String>) -> io::Error {
    io::Error::other(why.into())
}

#[cfg(test)]
mod tests;
