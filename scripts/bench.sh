#!/usr/bin/env bash
# Regenerates every figure of BENCHMARKS.md with one command:
#
#   bash scripts/bench.sh            # about 15 minutes on 2 cores
#
# 1. the machine (cores, CPU model, kernel, disk);
# 2. criterion: the physical limits and the per-act path (sign, verify, SHA-256, canonical
#    encoding, sequencer step, fan-out encode, journal append with and without fsync
#    batching, Merkle append, bare fdatasync);
# 3. `audit verify` and restart recovery of a 1,000,000-record journal against the raw verify
#    rate (BENCH_RECORDS=N for another size); then `audit verify --config` and a relay restart
#    on a journal of about a million records the relay itself wrote;
# 4. `fusioncell bench --floor --pin 0` for each scenario (fanout, many, publishers, idle): the
#    relay with everything on (TLS, signature verify, fsync'd journal, per-session queues) and
#    the floor over TLS driven by the same load in the same run, each on CPU 0 with the load
#    generator on the other CPUs; a run limited by its load generator or by other work on the
#    machine says "NOT QUOTABLE" (and `"quotable": false` in its JSON); then `--scenario
#    big-cell` (10,000 participants with their own identities log in, one post to all), and
#    20 publishers unpinned with their acts signed before the run (`--presign`); fan-out with
#    the floor at the relay's frame size (`--floor-size`) and both paced (`--rate`);
# 5. several cells in one relay: one cell's latency while another is flooded, and one
#    flooded cell's acts/s against two's (the ignored test `cells::measure`, release build).
#
# Everything goes to stdout and to target/bench/ (one .txt and one .json per scenario,
# criterion.txt, verify.txt, restart.txt, cells.txt). What dominates each figure: scripts/profile.sh.
# Run it on an otherwise idle machine: figures are ratios within one run, but the absolute
# numbers move with whatever else the machine does.
# BENCH_DURATION=SECS shortens or lengthens each scenario (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
duration=${BENCH_DURATION:-10}

echo "== machine"
{
  echo "nproc: $(nproc)"
  grep -m1 "model name" /proc/cpuinfo || true
  echo "kernel: $(uname -r)"
  echo "disk of the temporary folder: $(df -h "${TMPDIR:-/tmp}" | tail -1)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  rustc --version
} | tee "$out/machine.txt"

echo "== build"
cargo build --release --locked -p fusioncell
bin=target/release/fusioncell

echo "== criterion (per-act path and physical limits)"
: > "$out/criterion.txt"
for b in "fusioncell-keys ed25519" "fusioncell-wire canonical" "fusioncell-relay pipeline" "fusioncell-journal append"; do
  set -- $b
  cargo bench --locked -p "$1" --bench "$2" -- --warm-up-time 1 --measurement-time 3 --noplot 2>&1 \
    | grep -E "time:|thrpt:|^[a-z_0-9]+/[a-zA-Z_0-9]+" | tee -a "$out/criterion.txt"
done

echo "== audit verify and restart recovery of a ${BENCH_RECORDS:-1000000}-record journal"
FUSIONCELL_BENCH_RECORDS=${BENCH_RECORDS:-1000000} cargo bench --locked -p fusioncell-journal --bench verify 2>&1 \
  | sed -n '/^summary/,$p' | tee "$out/verify.txt"

echo "== audit verify --config and relay restart on a journal the relay wrote"
# About a million records at this machine's rate (BENCH_JOURNAL_SECS of publishing).
cell="$out/journal-cell"
rm -rf "$cell" "$out/journal-copy"
"$bin" bench --scenario publishers --duration "${BENCH_JOURNAL_SECS:-50}" --keep "$cell" | grep -E "acked|accounting"
cp -r "$cell/journal" "$out/journal-copy"
now() { date +%s.%N; }
start=$(now)
"$bin" audit verify --config "$cell/cell.toml" "$out/journal-copy" | head -1
verify=$(awk "BEGIN { print $(now) - $start }")
port=47990
start=$(now)
"$bin" relay --config "$cell/cell.toml" --listen "127.0.0.1:$port" --admin off >"$cell/restart.log" 2>&1 &
relay=$!
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.05; done
restart=$(awk "BEGIN { print $(now) - $start }")
kill -INT "$relay"; wait "$relay" || true
awk -v v="$verify" -v r="$restart" 'BEGIN { printf "audit verify --config: %.2f s; relay restart to listening: %.2f s = %.2f x the verify time\n", v, r, r / v }' \
  | tee "$out/restart.txt"
# About 0.6 GB each: not kept.
rm -rf "$out/journal-copy" "$cell"

echo "== fusioncell bench (relay vs floor, same load, same run)"
# The server (relay, then floor) on CPU 0 and the load generator on the others, so that they
# do not take CPU from each other; each run says whether it is quotable (BENCHMARKS.md).
pin=()
if [ "$(nproc)" -ge 2 ]; then pin=(--pin 0); fi
for s in fanout many publishers idle; do
  extra=(--duration "$duration")
  # Idle: the floor with a 4 KiB read buffer (tokio-tungstenite's default 128 KiB would make
  # any server look small next to it).
  if [ "$s" = idle ]; then extra=(--floor-read-buffer 4096); fi
  extra+=("${pin[@]}")
  echo "-- $bin bench --scenario $s --floor ${extra[*]}   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --scenario "$s" --floor "${extra[@]}" --json-file "$out/$s.json" | tee "$out/$s.txt" || echo "!! $s: accounting NOT CLEAN"
done
# Fan-out again, two ways that separate what the relay adds from what its load makes it do:
# the floor relaying bodies as long as the relay's `deliver` frames (the signed record of a
# 256 B body: about 606 B), so both move the same bytes per delivery; and both servers paced
# at the same rates (RATES acts/s), so both handle the same load rather than each its own
# full speed.
echo "-- $bin bench --scenario fanout --floor --floor-size 606 ${pin[*]}   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" bench --scenario fanout --floor --floor-size 606 --duration "$duration" "${pin[@]}" \
  --json-file "$out/fanout-equal-bytes.json" | tee "$out/fanout-equal-bytes.txt" || echo "!! fanout --floor-size: accounting NOT CLEAN"
for rate in ${RATES:-500 2000}; do
  echo "-- $bin bench --scenario fanout --floor --rate $rate ${pin[*]}   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --scenario fanout --floor --rate "$rate" --duration "$duration" "${pin[@]}" \
    --json-file "$out/fanout-rate-$rate.json" | tee "$out/fanout-rate-$rate.txt" || echo "!! fanout --rate $rate: accounting NOT CLEAN"
done
# 20 publishers with their acts signed before the run, relay not pinned: the relay verifies on
# every core it gets and the load generator only sends (it no longer signs 23 µs per act on a
# core the relay could use). PRESIGN acts per publisher; the run ends when they are sent.
presign=${PRESIGN:-5000}
echo "-- $bin bench --scenario publishers --presign $presign   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" bench --scenario publishers --presign "$presign" --duration 60 --json-file "$out/publishers-presigned.json" \
  | tee "$out/publishers-presigned.txt" || echo "!! publishers --presign: accounting NOT CLEAN"
# One big cell: 10,000 participants, each its own identity, log in; one post reaches all. The
# floor has no identities, so it has no figure to add here.
echo "-- $bin bench --scenario big-cell ${pin[*]}   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" bench --scenario big-cell "${pin[@]}" --json-file "$out/big-cell.json" | tee "$out/big-cell.txt" || echo "!! big-cell: NOT CLEAN (or did not finish)"
echo "== several cells in one relay (BENCHMARKS.md, \"Several cells in one relay\")"
# Cell B's acknowledgement latency alone and while cell A is flooded; one flooded cell's
# acts/s against two's, with the relay's CPU. The test starts the release relay binary.
cargo test --release --locked -p fusioncell-e2e --test e2e cells::measure -- --ignored --nocapture 2>&1 \
  | grep -E "^(cell B|one cell|two cells)" | tee "$out/cells.txt" || echo "!! cells: the measurement failed"
echo "== done: $out"
