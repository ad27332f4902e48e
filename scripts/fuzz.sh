#!/usr/bin/env bash
# Runs every cargo-fuzz target (or those named) for SECONDS each, one after another at low
# priority, on the stable toolchain without a sanitizer, and prints the results table of
# fuzz/README.md. New inputs go to fuzz/corpus/<target>/, crashes to fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (needs `cargo install cargo-fuzz`)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
mkdir -p fuzz/logs
nice -n 10 cargo fuzz build -s none >fuzz/logs/build.log 2>&1 || { cat fuzz/logs/build.log; exit 1; }
echo "| target | executions | seconds | exec/s | corpus files | crashes |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
status=0
for t in "${targets[@]}"; do
  log="fuzz/logs/$t.log"
  start=$(date +%s)
  set +e
  nice -n 10 cargo fuzz run -s none "$t" -- -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  files=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    crashes="none"
  else
    crashes="exit $rc: $(grep -o 'Test unit written to [^ ]*' "$log" | head -1 || echo "see $log")"
    status=1
  fi
  echo "| $t | $execs | $took | $rate | $files | $crashes |"
done
exit "$status"
