//! The body of every fuzz target, one function per parser of untrusted input (fuzz/README.md).
//!
//! Each function takes the fuzzer's bytes, feeds them to the same public entry point the relay,
//! the CLI or `verify` uses, and asserts what must hold of whatever that entry point accepts
//! (a parsed value re-encodes and re-parses to itself, a decoded body has its act's kind, an
//! HTTP answer has a status the console can give...). A broken invariant is a panic, which
//! libFuzzer reports as a crash. The cargo-fuzz targets in `fuzz/fuzz_targets/` are one line
//! each over [`TARGETS`]; the replay test feeds every file of `fuzz/corpus/<target>/` to the
//! same function, so CI replays the corpora with the stable toolchain and no fuzzer.
// A panic is how a harness reports a broken invariant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cell;
mod console;
mod journal;
mod keys;
mod scenario;
mod wire;

pub use cell::cell_toml;
pub use console::console;
pub use journal::{journal, split_journal};
pub use keys::key_pem;
pub use scenario::{msel_csv, msel_toml};
pub use wire::{body, canonical, client_msg, decode_act_bytes, record};

/// A fuzz target's body: `true` if the parser accepted the input (and so every invariant on
/// what it accepts was checked), `false` if it refused it; a broken invariant panics.
pub type Target = fn(&[u8]) -> bool;

/// Every target by name: the name is that of `fuzz/fuzz_targets/<name>.rs` and of its corpus,
/// `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("client_msg", client_msg),
    ("body", body),
    ("canonical", canonical),
    ("record", record),
    ("journal", journal),
    ("console", console),
    ("cell_toml", cell_toml),
    ("msel_toml", msel_toml),
    ("msel_csv", msel_csv),
    ("key_pem", key_pem),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
