//! The fusioncell cell model and authorization. Pure: no file or network I/O. The CLI reads
//! the config file and passes its text here; the relay, `verify` and the report all decide
//! from the same validated [`Cell`].
//!
//! Files in flow order:
//! - [`file`](mod@file): the config file as written ([`CellFile`]): strict TOML, unknown keys
//!   refused, errors located by line, column and field path;
//! - [`defaults`]: every [`Limits`] key, its default and the reason for it;
//! - [`model`]: the validated [`Cell`] ([`Identity`], [`Channel`], [`Policy`],
//!   [`RelaySettings`]), built by [`Cell::from_toml`], and the journal's `open` record body;
//! - [`state`]: the run-time state folded from the journal
//!   (mutes, grants, held posts, hotline deadlines, redactions), one `apply` for relay and verifier;
//! - [`policy`]: who may read which channel, see which record, and post where;
//! - [`acts`]: one module per act kind — who may make it ([`authorize`] → [`Denied`]), what it
//!   does to the state, and how it reads in one line ([`describe`]);
//! - [`deadline`]: hotline deadlines on the exercise clock ([`Due`]);
//! - [`view`]: what one identity received, from the journal alone;
//! - [`example`]: the commented example cell of the Paris talks ([`render_example`]);
//! - `error`: [`CellError`], one line naming the field and why.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod acts;
mod channel;
pub mod deadline;
pub mod defaults;
mod error;
pub mod example;
mod field;
pub mod file;
mod identity;
pub mod marking;
pub mod model;
pub mod policy;
mod relay_settings;
pub mod state;
pub mod toml_location;
pub mod toml_string;
pub mod view;

pub use acts::{Denied, authorize, describe};
pub use deadline::Due;
pub use defaults::Limits;
pub use error::CellError;
pub use example::{EXAMPLE_IDENTITIES, ExampleParams, example_channel_ids, render_example};
pub use file::{AckClock, CellFile, ReadReceipts};
pub use fusioncell_wire::clock::{Clock, Phase};
pub use marking::EXERCISE_PREFIX;
pub use model::{Cell, Channel, Identity, Policy, RelaySettings};
pub use policy::{can_read, can_see, channel_access};
pub use state::{Audience, State};
pub use view::{Seen, seen_by};
