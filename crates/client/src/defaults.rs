//! Every tuning constant of the client, with the reason for its value. The relay's limits are
//! the cell's (`fusioncell_cell::defaults`); these only shape how the client waits and buffers.

use std::time::Duration;

/// [`crate::ClientConfig::receive_deadline`]'s default: a dead link is found within this
/// time. The relay pings a quiet connection every 20 s (cell `ping_interval_ms`), and the
/// client pings at half this deadline, so a live connection is never silent for 45 s.
pub const RECEIVE_DEADLINE: Duration = Duration::from_secs(45);

/// 10 s: how long dialing plus TLS plus the WebSocket upgrade may take. The relay gives each
/// step 10 s itself (TLS and upgrade deadlines), so a slower relay is not going to answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// 10 s: how long to wait for the challenge and for the welcome. The relay closes a login that
/// takes over 5 s; twice that leaves room for a loaded relay without waiting for ever.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// 16 MiB: largest message accepted from the relay. Far above any frame it sends (a welcome
/// names every identity, a delivery can carry the post it releases), while a relay that
/// misbehaves still cannot make the client buffer tungstenite's default of 64 MiB.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// 16 KiB: the WebSocket read buffer. Frames are small text; tungstenite's 128 KiB default,
/// per connection, would dominate the memory of a load test that opens thousands of clients.
pub const READ_BUFFER_BYTES: usize = 16 << 10;

/// 64 requests: queue from a [`Client`](crate::Client) handle to its connection task. Small:
/// a caller that posts faster than the relay acknowledges waits here instead of piling up.
pub const REQUEST_QUEUE: usize = 64;

/// 256 events: queue of a [`Subscription`](crate::Subscription), the same depth as the relay's
/// outbound queue per session (the cell's `outbound_queue_messages` default), so one full
/// relay queue fits.
pub const EVENT_QUEUE: usize = 256;

/// 100 ms: wait before the first reconnect attempt; a relay restart or a dropped connection
/// usually clears within it, and it keeps a flapping link from spinning.
pub const RECONNECT_FIRST_DELAY: Duration = Duration::from_millis(100);

/// 5 s: longest wait between reconnect attempts (the delay doubles up to it), so a client is
/// back within seconds of the relay's return without hammering a relay that is down.
pub const RECONNECT_MAX_DELAY: Duration = Duration::from_secs(5);

/// 50 ms: wait before the second attempt of a first connection. A relay whose pending-login
/// cap is under attack evicts the longest-waiting connection, so a fresh attempt soon after
/// usually gets in (SECURITY.md, "Admission").
pub const CONNECT_RETRY_FIRST_DELAY: Duration = Duration::from_millis(50);

/// 2 s: longest wait between attempts of a first connection (the delay doubles up to it).
pub const CONNECT_RETRY_MAX_DELAY: Duration = Duration::from_secs(2);

/// 30 s: how long [`Client::connect`](crate::Client::connect) keeps trying, attempts
/// included. A one-shot command run by hand or by a script then outlasts a relay restart or
/// an attack on its admission, and still fails in bounded time when the relay is gone.
pub const CONNECT_RETRY_BUDGET: Duration = Duration::from_secs(30);
