//! The fusioncell after-action report. Pure: records and a scenario in, text out; no file or
//! network I/O (the CLI reads and verifies the journal and passes what it found).
//!
//! Files in flow order:
//! - [`model`]: [`AfterAction::build`] folds the journal once through the cell's own state
//!   machine and places every record on the exercise clock ([`Entry`]);
//! - [`timeline`]: each channel's records over scenario time, and a one-line description of
//!   any record;
//! - [`metrics`]: injects and their responses, expected actions and observations, moderation,
//!   pauses and halts, hotline, participation, security events, redactions, witnesses;
//! - [`sections`]: the report's content as one model of sections, tables and typed text,
//!   computed once;
//! - [`render`]: that model as one self-contained HTML file ([`html`]: inline CSS and SVG,
//!   no script, no request) and as an HSEEP AAR/IP skeleton in Markdown ([`markdown`]);
//! - [`export`]: JSON Lines and CSV, one row per record;
//! - [`mod@format`]: times, durations and medians as the report writes them.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod export;
pub mod format;
pub mod metrics;
pub mod model;
pub mod render;
pub mod sections;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use model::{AfterAction, Entry, Inputs, Integrity, ReportError, entries, open_body};
pub use render::{html, markdown};
