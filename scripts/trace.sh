#!/usr/bin/env bash
# Where each act's time goes inside the relay under one `fusioncell bench` scenario
# (BENCHMARKS.md, "The many-to-many tail, traced"):
#
#   bash scripts/trace.sh many        # or fanout, publishers; SECONDS of load: TRACE_DURATION
#   TRACE=off bash scripts/trace.sh many   # the same run without timing events (their cost)
#   TRACE_LOG=FILE                         # keeps the relay's JSON log there
#   TRACE_BIN=PATH                         # another build of fusioncell (before/after)
#
# Starts the release relay on a temporary cell with RUST_LOG=fusioncell::timing=trace and
# --log-format json, drives it with `fusioncell bench --relay`, and runs `trace-report` on its
# log: each stage's duration over all acts and over the slowest 1 %, what the commit thread was
# doing while acts waited for it, the group commits, and the delay of each delivery.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-many}
duration=${TRACE_DURATION:-10}
bin=${TRACE_BIN:-target/release/fusioncell}
cargo build --release --locked -q -p fusioncell-bench --bin trace-report
[ -n "${TRACE_BIN:-}" ] || cargo build --release --locked -q -p fusioncell

dir=$(mktemp -d)
relay=""
trap '[ -n "$relay" ] && kill -INT "$relay" 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" bench --keep "$dir/cell" --publishers 1 --subscribers 1 --rate 1 --duration 0.2 >/dev/null
rm -rf "$dir/cell/journal"
port=$(( 40000 + RANDOM % 20000 ))
filter=fusioncell::timing=trace
[ "${TRACE:-on}" = off ] && filter=warn
echo "$(date -u +%FT%TZ) load average $(cut -d' ' -f1-3 /proc/loadavg); RUST_LOG=$filter"
RUST_LOG=$filter "$bin" --log-format json relay --config "$dir/cell/cell.toml" \
  --listen "127.0.0.1:$port" --admin off >/dev/null 2>"$dir/relay.log" &
relay=$!
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
"$bin" bench --relay "wss://127.0.0.1:$port" --config "$dir/cell/cell.toml" \
  --relay-pid "$relay" --scenario "$scenario" --duration "$duration" |
  grep -E "deliveries|acked|latency|server|others|fdatasync|QUOTABLE|quotable"
kill -INT "$relay"
wait "$relay" || true
relay=""
echo "$(date -u +%FT%TZ) load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${TRACE_LOG:-}" ] && cp "$dir/relay.log" "$TRACE_LOG"
if [ "${TRACE:-on}" != off ]; then
  echo
  target/release/trace-report "$dir/relay.log"
fi
