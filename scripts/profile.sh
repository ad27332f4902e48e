#!/usr/bin/env bash
# Where the relay's CPU goes under one `fusioncell bench` scenario (BENCHMARKS.md, "What
# dominates"):
#
#   bash scripts/profile.sh fanout      # or many, publishers; SECONDS of load: PROFILE_DURATION
#
# Starts `fusioncell relay` on a temporary cell under `perf record` (cpu-clock sampling, so
# it works in a VM without hardware counters; kernel time included), drives it with
# `fusioncell bench --relay`, then prints the relay's CPU per record split by thread and by
# what the time was spent on. Needs perf (Debian's linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-fanout}
duration=${PROFILE_DURATION:-8}
bin=target/release/fusioncell
cargo build --release --locked -q -p fusioncell
command -v perf >/dev/null || { echo "error: perf is needed (apt-get install linux-perf)" >&2; exit 1; }

dir=$(mktemp -d)
trap 'pkill -INT -f "relay --config $dir/cell/cell.toml" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" bench --keep "$dir/cell" --publishers 1 --subscribers 1 --rate 1 --duration 0.2 >/dev/null
rm -rf "$dir/cell/journal"
port=$(( 40000 + RANDOM % 20000 ))
perf record -q -F 2000 -e cpu-clock -o "$dir/perf.data" \
  "$bin" relay --config "$dir/cell/cell.toml" --listen "127.0.0.1:$port" --admin off >"$dir/relay.log" 2>&1 &
sleep 2
"$bin" bench --relay "wss://127.0.0.1:$port" --config "$dir/cell/cell.toml" \
  --scenario "$scenario" --duration "$duration" | grep -E "acked|deliveries|latency"
pkill -INT -f "relay --config $dir/cell/cell.toml"
while pgrep -f "relay --config $dir/cell/cell.toml" >/dev/null; do sleep 0.2; done
records=$(grep -c "" "$dir/cell/journal/records.jsonl")

perf report -i "$dir/perf.data" --no-children --sort comm,dso,sym -g none --percent-limit 0 \
  -F sample,comm,dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' | python3 -c '
import re, sys
from collections import Counter
records, hz = int(sys.argv[1]), 2000
rules = [
    (r"curve25519_dalek|ed25519_dalek|sha512", "signature verification"),
    (r"aes_gcm|gcm_|ghash|rustls", "TLS (rustls, AES-GCM)"),
    (r"tungstenite", "WebSocket framing (tungstenite)"),
    (r"serde|fusioncell_wire", "JSON and wire encoding"),
    (r"fusioncell_journal|fusioncell_merkle|sha256", "journal, Merkle tree, SHA-256"),
    (r"fusioncell_", "relay logic (sequencer, fan-out, sessions, state)"),
    (r"tokio|futures|mio", "async runtime (tokio)"),
]
threads, what = Counter(), Counter()
for line in sys.stdin:
    n, comm, dso, sym = line.split(None, 3)
    n = int(n)
    threads[comm] += n
    kind = next((name for rx, name in rules if re.search(rx, sym)), None)
    if kind is None:
        if "kernel" in dso:
            kind = "kernel: commit thread (write, fdatasync)" if "comm" in comm else "kernel: sessions (socket I/O, scheduling)"
        elif "libc" in dso:
            kind = "libc (memcpy, malloc)"
        else:
            kind = "other"
    what[kind] += n
total = sum(threads.values())
us = lambda n: 1e6 * n / hz / records
print(f"\nrelay CPU: {total / hz:.2f} s for {records} records = {us(total):.1f} us per record")
for title, counts in (("by thread", threads), ("by what", what)):
    print(f"\n{title}:")
    for name, n in counts.most_common():
        print(f"  {name:<52} {100 * n / total:5.1f} %  {us(n):7.1f} us/record")
' "$records"
