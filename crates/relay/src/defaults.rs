//! Every tuning constant of the relay that is not a cell limit, with the reason for its value.
//!
//! The limits a cell may set (login deadline, ping interval, idle timeout, pending-login cap,
//! queue depths, frame sizes, ...) live in `fusioncell_cell::defaults` and are read from
//! `Cell::limits()`; what is here is fixed by the relay's design.

use std::time::Duration;

/// 1 s: how long the relay waits for its close frame to be written and for the peer's reply.
/// Long enough for a healthy peer across the internet; short enough that a peer that never
/// answers (the usual reason for closing it) does not hold the task.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// 256 B: the WebSocket read buffer a connection starts with. Tungstenite keeps it for the
/// connection's life and grows it to fit a longer frame (after a login of about 400 B it holds
/// 512 B); its default 128 KiB would be held, zero-filled, by every idle connection. A frame
/// longer than a read takes several reads from what the TLS transport already decrypted
/// (copies, not system calls). 1 KiB held 0.5 KB more per idle connection (`fusioncell bench
/// --scenario idle --pin 0`: 9.9 against 9.3 KB) for no measured change of CPU per act with
/// 20 publishers (BENCHMARKS.md, "Idle memory").
pub const WS_READ_BUFFER_BYTES: usize = 256;

/// 128 KiB (tungstenite's default): frames of one batch (session.rs `write_batch`, at most
/// [`WRITE_BATCH`] frames) accumulate up to this before they are written; the flush at the
/// end of the batch writes the rest, so a batch is one socket write of several TLS records.
/// With 0, every frame was its own TLS record and socket write (5 µs of relay CPU per
/// delivery); with 16 KiB, a batch of 100 deliveries took about 3.7 writes; `fusioncell bench
/// --scenario fanout --pin 0` measured 212, 197–200 and 188–189 µs of relay CPU per act with
/// 16, 32 and 128 KiB (BENCHMARKS.md). The buffer keeps the size of the largest batch.
pub const WS_WRITE_BUFFER_BYTES: usize = 128 * 1024;

/// 4096 commands: capacity of the queue into the commit thread. Bounded, so a flood backs up
/// into the sessions that cause it; large enough that one full group commit of every session
/// fits without a session waiting.
pub const COMMAND_QUEUE: usize = 4096;

/// 1 s: the online set is announced to everyone at most this often. The first change after a
/// quiet second goes out at once; the logins and logouts of the next second make one
/// announcement. Announced at every change, a login storm of N sessions cost N full online
/// lists to each of N sessions (`fusioncell bench --scenario big-cell` closed sessions as too
/// slow at 2,000 participants). A newcomer always gets the current set at once.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(1);

/// 5 s: every client hears the clock at least this often (and on every change), so a page
/// that missed a change corrects itself within seconds.
pub const STATE_EVERY: Duration = Duration::from_secs(5);

/// 10 frames: consecutive frames over the rate limit before the session is closed with 4008.
/// A client that ignores ten `rate_limited` errors in a row is not going to slow down.
pub const RATE_STRIKES: u32 = 10;

/// 64 frames: most frames written before one flush, so a busy session costs one socket write
/// per batch while a long backlog still reaches the socket in steady steps.
pub const WRITE_BATCH: usize = 64;

/// 5 s: how long a shut-down session keeps writing what the commit thread still owes it (the
/// acknowledgements of acts it submitted), so a clean shutdown loses no answer.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// 256 KiB: journal read at a time when resuming a session (resume.rs). Bounded in bytes,
/// not records, because one record can be as large as a message: a session resuming from 0
/// holds one page and its frames, not 256 records of up to a megabyte. Large enough that a
/// page of ordinary posts (a few hundred bytes each) is one blocking read of about a thousand
/// records.
pub const RESUME_PAGE_BYTES: u64 = 256 * 1024;

/// 100 ms: back-off after a failed `accept` (out of file descriptors and the like), instead of
/// spinning on an error that will not clear at once.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// 64: file descriptors the relay keeps for itself beyond its connections (the listeners,
/// the journal's files, standard streams, the runtime's epoll and event descriptors), with
/// room to spare.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// 1 s: at the connection cap, how long the accept loop waits for an evicted silent
/// connection's task to give its place back (it does so as soon as it runs: microseconds)
/// before it drops the newcomer instead.
pub const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// 16 KiB: largest HTTP request head accepted (request line and headers). Browsers send
/// 1–3 KiB; the head is read before anyone is authenticated, so it is kept small.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// 64: most header lines accepted in a request head; browsers send about 20.
pub const MAX_HEADERS: usize = 64;

/// 2 KiB: read size (and first allocation) for a request head, the size of a typical
/// browser request, so most heads take one read.
pub const HEAD_READ_BYTES: usize = 2048;

/// 50 ms: how often a playback session looks at the playhead; fine enough that records
/// appear on time to the eye.
pub const PLAYBACK_TICK: Duration = Duration::from_millis(50);

/// 1 s: how often a playback session sends the clock at the playhead, so the displayed
/// scenario time moves every second.
pub const PLAYBACK_STATE_EVERY: Duration = Duration::from_secs(1);

/// 10 s: the window of the throttle on security events from peers that have not logged in
/// (commit/throttle.rs): short, so the summary of a flood follows it within seconds.
pub const LOGIN_EVENT_WINDOW: Duration = Duration::from_secs(10);

/// 5 per window: security records one source address may cause before it logs in. A person
/// who mistypes a key or a path a few times is recorded in full; a flood is summarised.
pub const LOGIN_EVENTS_PER_SOURCE: u32 = 5;

/// 50 per window: security records all sources together may cause before logging in. With
/// each record under [`SECURITY_RECORD_BYTES`], an unauthenticated flood from any number of
/// addresses adds at most 5 records (about 4 KB) per second to the journal.
pub const LOGIN_EVENTS_PER_WINDOW: u32 = 50;

/// 8: suppressed sources a summary names (with their counts); the rest are counted together.
pub const SUPPRESSED_SOURCES_NAMED: usize = 8;

/// 400 bytes: the longest reason a security record keeps (cut on a character boundary and
/// marked). The reason describes the offending frame (its length, SHA-256 and a short escaped
/// prefix), never repeats it; the other fields are names and an address. So a security
/// record stays under [`SECURITY_RECORD_BYTES`] whatever the peer sent.
pub const SECURITY_REASON_BYTES: usize = 400;

/// 1 KiB: the size a security record's journal line stays under (the act header, signature
/// and body with a reason of at most [`SECURITY_REASON_BYTES`]); tested.
pub const SECURITY_RECORD_BYTES: usize = 1024;

/// 24 characters: how much of an offending login frame its security record quotes (escaped),
/// enough to tell a typo from a scanner's probe.
pub const LOGIN_FRAME_PREFIX_CHARS: usize = 24;

/// 127.0.0.1:9090: where `fusioncell relay` serves `/metrics`, `/healthz` and `/readyz` unless
/// told otherwise (`--admin`). Loopback, so that only this host (or this container: a health
/// check inside it) can read them; 9090 is the port Prometheus exporters customarily use.
pub const ADMIN_LISTEN: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9090);

/// 5 s: deadline for one admin exchange (request head in, answer out). A scrape or a health
/// check on loopback takes milliseconds; a peer that trickles its request is cut off.
pub const ADMIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// 16: admin connections served at once; more are dropped. Prometheus and a health check
/// need one or two; the cap bounds what a local peer that opens many can hold.
pub const ADMIN_CONNECTIONS: usize = 16;
