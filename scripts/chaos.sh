#!/usr/bin/env bash
# The crash loop of RELIABILITY.md: the release relay binary SIGKILLed CHAOS_KILLS times
# (default 200) under load from several clients, at random moments, halfway through a
# checkpoint line, around a redaction scrub and during recovery; after every kill the journal
# is recovered, audited with `fusioncell audit verify` and checked act by act
# (tests/chaos.rs). Prints the figures: kills, acknowledged acts, lost, duplicated, time.
#   CHAOS_KILLS=500 CHAOS_SEED=7 scripts/chaos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p fusioncell
target="${CARGO_TARGET_DIR:-target}"
FUSIONCELL_BIN="$(realpath "$target/release/fusioncell")" \
CHAOS_KILLS="${CHAOS_KILLS:-200}" CHAOS_SEED="${CHAOS_SEED:-24301}" \
  cargo test --locked -q -p fusioncell-e2e --test e2e chaos::chaos_long -- --ignored --nocapture
