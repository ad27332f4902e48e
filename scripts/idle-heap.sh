#!/usr/bin/env bash
# What each idle connection holds on the relay's heap, by allocation site (BENCHMARKS.md,
# "Idle memory (heaptrack)"):
#
#   bash scripts/idle-heap.sh [SESSIONS]     # default 2000; needs heaptrack and a release build
#
# Keeps a bench cell, starts `fusioncell relay` on it under heaptrack, connects SESSIONS
# logged-in, subscribed, idle sessions with `fusioncell bench --scenario idle`, stops the
# relay, and prints the heap at its peak (all sessions open) grouped by the innermost frames
# of the allocation's stack, in bytes per session. Output in target/idle-heap/.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-2000}
bin=target/release/fusioncell
out=target/idle-heap
[[ -x $bin ]] || { echo "build first: cargo build --release -p fusioncell" >&2; exit 1; }
command -v heaptrack >/dev/null || { echo "heaptrack is not installed" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
"$bin" bench --scenario idle --subscribers 10 --keep "$out/cell" >"$out/keep.txt" 2>&1
heaptrack -o "$out/heap" "$bin" relay --config "$out/cell/cell.toml" \
  --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$out/relay.log" 2>&1 &
tracker=$!
url=
for _ in $(seq 100); do
  url=$(grep -o "listening on wss://[0-9.:]*" "$out/relay.log" 2>/dev/null | cut -d' ' -f3) || true
  [[ -n $url ]] && break
  sleep 0.2
done
[[ -n $url ]] || { cat "$out/relay.log" >&2; exit 1; }
relay=$(pgrep -f "relay --config $out/cell/cell.toml" | grep -vx "$tracker" | tail -1)
"$bin" bench --relay "$url" --config "$out/cell/cell.toml" --scenario idle \
  --subscribers "$sessions" --relay-pid "$relay" | tee "$out/bench.txt"
kill -INT "$relay"
wait "$tracker" || true
heaptrack_print -f "$out/heap.zst" --print-peaks 0 --print-allocators 0 --print-temporary 0 \
  --print-leaks 0 --print-flamegraph "$out/peak.stacks" --flamegraph-cost-type peak >/dev/null
# Each line of peak.stacks is `frame;frame;...;frame BYTES`, outermost first. Frames of the
# allocator itself say nothing about who allocated; the innermost six others name the site.
awk -v n="$sessions" '
  {
    bytes = $NF; sub(/ [0-9]+$/, "")
    k = split($0, f, ";"); site = ""; kept = 0
    for (i = k; i >= 1 && kept < 6; i--) {
      if (f[i] ~ /\((alloc|raw_vec|boxed|unix|spec_from_elem|spec_extend|spec_from_iter|spec_from_iter_nested)\.rs\)/ || f[i] ~ /alloc_impl|^_RNv/) continue
      site = site " < " f[i]; kept++
    }
    total += bytes; by[site] += bytes
  }
  END {
    printf "peak heap %.1f MB = %.0f bytes per session (%d sessions)\n", total / 1e6, total / n, n
    fflush()
    for (s in by) if (by[s] / n >= 16) printf "%8.0f %s\n", by[s] / n, substr(s, 4, 300) | "sort -rn"
    close("sort -rn")
  }' "$out/peak.stacks" | tee "$out/per-session.txt"
