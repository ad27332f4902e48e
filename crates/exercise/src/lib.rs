//! Running an exercise over the network, on the client library.
//!
//! - [`control`]: exercise control (the white cell): starts the clock, fires each inject of a
//!   scenario when the relay's clock reaches it — never early, never twice, nothing while
//!   paused — and takes fire-now, skip, hold and release commands;
//! - [`status`]: what control's `status` command says of play and of every inject;
//! - [`classify`]: what a received record means to a bot (an inject, a post, a held post,
//!   a hotline message);
//! - [`bot`]: a scripted persona playing an identity, acting on scenario time.
//!
//! The decisions are the scenario crate's pure functions ([`fusioncell_scenario::Schedule`],
//! [`fusioncell_scenario::Persona`]); this crate only connects them to a relay.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bot;
pub mod classify;
pub mod control;
pub mod defaults;
pub mod status;

pub use bot::run_bot;
pub use control::{ControlCommand, ControlEvent, ControlOptions, run_control};
pub use status::StatusReport;
