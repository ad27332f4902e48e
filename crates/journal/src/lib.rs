//! The audit journal of a fusioncell cell: every act, in order, in a form anyone holding a
//! relay-signed checkpoint can check was neither rewritten nor cut short (SECURITY.md, §3.3;
//! the Merkle tree and checkpoints are PROTOCOL.md §5.4–5.5).
//!
//! A journal is a folder with two JSON Lines files: `records.jsonl` (line `i` is the
//! [`Record`](fusioncell_wire::Record) with seq `i`; record 0 opens the cell and names every
//! key) and `checkpoints.jsonl` (relay-signed tree heads). Synchronous std file I/O only.
//!
//! Files in flow order:
//! - [`merkle`]: the RFC 9162 tree over the records, with inclusion and consistency proofs;
//! - `lines`: splitting a file into lines, telling a torn final line from the rest;
//! - `check`: the rules every record and checkpoint keeps, written once for all users;
//! - `scan`: one pass over both files through those rules, signatures checked on every core
//!   and every other rule in file order;
//! - [`writer`]: [`Journal`]: recovery on open, then durable appends (returning [`Durable`])
//!   and checkpoints;
//! - [`reader`]: [`Reader`] for other threads, [`read_records`] for tools;
//! - [`verify`](mod@verify): the offline audit, naming the first bad record, signatures
//!   checked on every core;
//! - [`proof`]: inclusion and consistency proofs in their JSON form, and the check that a
//!   journal extends a saved checkpoint;
//! - [`error`]: [`Defect`] (one broken rule, located), [`JournalError`], [`VerifyError`].
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
// Tests unwrap freely: a panic there is a failed test, not a crashed relay.

mod check;
mod defaults;
pub mod error;
#[cfg(test)]
mod fixture;
mod lines;
pub use fusioncell_merkle as merkle;
pub mod proof;
pub mod reader;
mod scan;
pub mod verify;
pub mod writer;

pub use error::{Defect, DefectKind, JournalError, JournalFile, VerifyError};
pub use merkle::{Tree, leaf_hash, verify_consistency, verify_inclusion};
pub use proof::{ConsistencyProof, InclusionProof, Mismatch, ProveError, consistency, prove};
pub use reader::{Reader, read_records};
pub use verify::{Authorize, Progress, Report, Verified, VerifyOptions, verify, verify_with};
pub use writer::{Durable, Journal, Options, Recovery};
