//! The fusioncell wire protocol as plain data: no sockets, no clocks, no cryptography.
//!
//! Files in flow order:
//! - [`ids`]: validated names (cell, channel, identity) and roles;
//! - [`bytes`]: fixed-size byte values (digests, keys, signatures, nonces) and their text forms;
//! - [`act`]: an [`Act`] is what an identity signs; a [`SignedAct`] travels with its body;
//! - [`act_body`]: the typed parameters of every act kind but `post`;
//! - [`body`]: a [`Body`] is an act's exact text and its parameters ([`ActBody`]), decoded once;
//! - [`canonical`]: the exact bytes that are signed and hashed (PROTOCOL.md is their spec);
//! - [`record`]: a journal [`Record`], which is also what subscribers receive;
//! - [`checkpoint`]: relay-signed tree heads;
//! - [`clock`]: the exercise clock, journaled state that every client computes alike;
//! - [`client_msg`] / [`server_msg`]: the frames in each direction;
//! - [`close`]: every close code and error code, in one table;
//! - `malformed`: which field of a refused frame or body is at fault, for the error's reason.
//!
//! Everything that parses untrusted JSON here is strict: unknown fields, duplicate keys and
//! values of the wrong type are errors (SECURITY.md, P15).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod act;
pub mod act_body;
pub mod body;
pub mod bytes;
pub mod canonical;
pub mod checkpoint;
pub mod client_msg;
pub mod clock;
pub mod close;
pub mod ids;
mod malformed;
mod optional;
pub mod record;
pub mod relay_body;
pub mod server_msg;

pub use act::{Act, ActKind, SignedAct};
pub use body::{ActBody, Body, BodyError, Params};
pub use bytes::{Digest, Nonce, PublicKeyBytes, SignatureBytes};
pub use checkpoint::Checkpoint;
pub use client_msg::{ClientMsg, PresenceMode};
pub use clock::{Clock, Phase};
pub use close::{CloseCode, ErrorCode};
pub use ids::{CellId, ChannelId, IdError, IdentityId, Role};
pub use record::Record;
pub use relay_body::{OpenBody, OpenChannel, OpenIdentity, RecoveredBody, SecurityBody};
pub use server_msg::{ChannelAccess, IdentityInfo, ServerMsg};

/// The protocol version string sent in the challenge and used in every domain tag.
pub const PROTOCOL: &str = "fusioncell/v1";
