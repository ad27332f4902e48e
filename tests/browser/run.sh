#!/usr/bin/env bash
# Runs the browser console tests: installs what they need if it is missing (Debian's chromium
# and chromium-driver, the npm lock's playwright-core), builds the CLI, runs run.mjs.
# Idempotent and quiet: each step prints only when it has to do something or fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "-- installing chromium and chromium-driver (apt-get)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: node and npm are needed for the browser tests" >&2
  exit 1
fi

cd "$here"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || ! cmp -s <(node -e 'const l=require("./package-lock.json");console.log(JSON.stringify(l.packages["node_modules/playwright-core"]?.version))') \
                                  <(node -e 'const l=require("./'"$stamp"'");console.log(JSON.stringify(l.packages["node_modules/playwright-core"]?.version))'); then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

(cd "$root" && cargo build -q -p fusioncell --locked)
exec node run.mjs
