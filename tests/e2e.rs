//! End-to-end tests: one binary, one module per subject (as ripgrep's `tests/tests.rs`).
//! Every test starts real relays on `127.0.0.1:0` with real TLS and real clients, over a cell
//! folder written by the same code as `fusioncell init`.

// Test helpers are `pub` for the sibling modules; nothing is exported from a test binary.
#![allow(unreachable_pub)]

mod harness;

mod admission;
mod attacks;
mod durability;
mod limits;
mod pipeline;
mod replay;
mod supervision;
mod tamper;
mod witness;
