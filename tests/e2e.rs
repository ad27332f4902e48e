//! End-to-end tests: one binary, one module per subject (as ripgrep's `tests/tests.rs`).
//! Every test but `docs` starts real relays on `127.0.0.1:0` with real TLS and real clients,
//! over a cell folder written by the same code as `fusioncell init`; `docs` checks the
//! repository's comments and documents.

// Test helpers are `pub` for the sibling modules; nothing is exported from a test binary.
#![allow(unreachable_pub)]

mod harness;

mod admission;
mod answers;
mod attacks;
mod audience;
mod big_cell;
mod cells;
mod chaos;
mod control;
mod dead_links;
mod docs;
mod durability;
mod faults;
mod hot_wash;
mod limits;
mod metrics;
mod msel;
mod operating;
mod pipeline;
mod records;
mod replay;
mod replies;
mod sessions;
mod supervision;
mod tamper;
mod timing;
mod witness;
