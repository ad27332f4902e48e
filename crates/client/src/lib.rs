//! The fusioncell client library: what the CLI, the bots, the tests and the load tool use.
//!
//! Files in flow order:
//! - [`defaults`]: the client's timeouts, backoff and buffer sizes, each with its reason;
//! - [`tls`]: trust the cell's CA (TLS 1.3, ring);
//! - [`connection`]: dial `wss://` (or loopback `ws://`) and log in: answer the challenge;
//! - [`client`]: [`Client`], a handle to a background task that owns the connection, signs and
//!   sends acts, waits for their durable acknowledgement, and reconnects and resumes by itself;
//! - [`subscription`]: [`Subscription`], the records this identity may read, each with its
//!   signature checked, in order, without gap or duplicate across reconnects;
//! - [`acts`]: a builder for every act a participant can make ([`ActDraft`]), each with its
//!   typed body;
//! - [`witness`]: the checks before a checkpoint is cosigned;
//! - [`view`] and [`model`]: who the client is ([`View`]) and what it knows ([`Model`]),
//!   folded from the events it receives.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod acts;
pub mod client;
pub mod connection;
pub mod defaults;
mod error;
#[cfg(test)]
mod fixtures;
pub mod model;
mod presence;
pub mod subscription;
pub mod tls;
pub mod view;
pub mod witness;

pub use acts::ActDraft;
pub use client::{Ack, Client, ClientConfig, Welcome, sign};
pub use error::ClientError;
pub use model::{Awaiting, Change, Countdown, Model, Receipt};
pub use subscription::{Event, Subscription, SupervisionState};
pub use view::View;
pub use witness::checkpoint_problem;
