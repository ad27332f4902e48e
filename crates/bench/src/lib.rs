//! `fusioncell bench`'s engine: a load generator and the floor it is measured against.
//!
//! - [`body`]: the message body every publisher sends: publisher index, sequence number and
//!   send time, padded to the requested size, so that a subscriber can measure publish →
//!   delivery latency and account for losses, duplicates and gaps;
//! - [`hist`]: a log-linear latency histogram (≤ 1.6 % relative error);
//! - [`account`]: per-subscriber delivery accounting (losses, duplicates, gaps);
//! - [`load`]: publishers and subscribers over raw WebSocket frames, against a fusioncell
//!   relay (signed acts, durable acks) or the floor (plain text frames);
//! - [`floor`]: a minimal broadcast relay on tokio-tungstenite, optionally over rustls/ring
//!   TLS: what the hardware and the WebSocket stack give with no security at all;
//! - [`procstat`]: a process's CPU time and resident memory from `/proc`;
//! - [`bottleneck`]: whether the server or the load generator limited a run;
//! - [`pinning`]: the server and the generator on different CPUs;
//! - [`verify_cost`]: one signature verification, timed in the same run;
//! - [`trace`]: the relay's timing events, joined per act, and their figures
//!   (`scripts/trace.sh`, the `trace-report` binary).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod account;
pub mod body;
pub mod bottleneck;
pub mod floor;
pub mod hist;
pub mod load;
pub mod pinning;
pub mod procstat;
pub mod trace;
pub mod verify_cost;
