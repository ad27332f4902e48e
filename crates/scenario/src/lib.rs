//! The fusioncell exercise model: what control runs and what bots play. Pure: no file or
//! network I/O. The CLI reads files and passes their text here; the relay and clients keep
//! the clock with the same arithmetic.
//!
//! Files in flow order:
//! - [`ids`]: control numbers ([`InjectId`]), move ids ([`MoveId`]) and objective ids
//!   ([`ObjectiveId`]);
//! - [`time`]: scenario time as written, `HH:MM:SS` or seconds from STARTEX;
//! - [`msel`]: the scenario (MSEL) parsed strictly from TOML ([`Scenario::from_toml`]): moves
//!   and injects, each inject's wire body ([`Inject::body`]) without the controller material;
//! - [`objective`]: the exercise objectives (HSEEP EEG) that injects test and evaluators rate;
//! - [`import`](mod@import) / [`export`](mod@export): the spreadsheet MSEL as CSV, in
//!   ([`import_csv`]) and out ([`export_csv`]); `write`: the scenario back as TOML;
//! - the exercise clock is `fusioncell_wire::Clock` (re-exported), the one the relay applies;
//! - [`schedule`]: control's inject scheduler ([`Schedule`]): what is due at a scenario time,
//!   fire now, skip, hold, release, never twice;
//! - [`persona`]: scripted bot personas ([`Persona`]) and their pure reactions to events;
//! - [`bot`]: what a bot is shown and does ([`BotEvent`], [`BotAction`]); [`Bot`] adds the
//!   memory that keeps a redelivered event from being answered twice;
//! - [`variation`]: how a bot varies its wording and delays, seeded, and never repeats itself;
//! - [`defaults`]: the limits on what a scenario or persona may ask for, and why;
//! - `error`: every error names its line and field (TOML, located by the cell crate's
//!   `toml_location`) or line and column header (CSV).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bot;
pub mod defaults;
mod error;
pub mod export;
pub mod ids;
pub mod import;
pub mod msel;
pub mod objective;
pub mod persona;
mod persona_file;
#[cfg(test)]
mod round_trip;
pub mod schedule;
pub mod time;
pub mod variation;
mod write;

pub use bot::{Bot, BotAction, BotEvent};
pub use error::{ImportError, PersonaError, ScenarioError, ScheduleError};
pub use export::export_csv;
pub use fusioncell_wire::clock::{Clock, Phase};
pub use ids::{InjectId, MoveId, ObjectiveId};
pub use import::{Import, import_csv, import_csv_report};
pub use msel::{Inject, Move, Scenario};
pub use objective::Objective;
pub use persona::Persona;
pub use schedule::{Entry, Schedule, Status};
