#!/usr/bin/env bash
# The scaled-out example of SCALE.md for real, without Docker: deploy/scale's haproxy.cfg and
# cells.map in front of two relays of this build, each serving its folder of deploy/scale
# (relay --cells), on loopback ports. Checks, through the router:
#   - a post in each cell is made durable by the relay that serves it, and a listener of one
#     cell receives its cell's post and not the other's;
#   - an unknown cell is refused at once with the router's 404, as any unknown path;
#   - each cell's console page is served under its path;
#   - every journal verifies after a clean stop.
# Installs HAProxy (Debian's) if it is missing, as tests/browser/run.sh does Chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v haproxy >/dev/null; then
  echo "-- installing haproxy (apt-get)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq haproxy >/dev/null
fi
command -v node >/dev/null || { echo "error: node is needed (free ports, HTTPS requests)" >&2; exit 1; }

(cd "$root" && cargo build -q -p fusioncell --locked)
bin="$root/target/debug/fusioncell"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

# A copy of deploy/scale beside a link to certs-example: the cells' relative key paths hold,
# and their journals stay out of the checkout.
mkdir -p "$work/deploy"
cp -r "$root/deploy/scale" "$work/deploy/"
rm -rf "$work"/deploy/scale/*/*/journal
ln -s "$root/certs-example" "$work/certs-example"
scale="$work/deploy/scale"
# HAProxy reads a certificate's key from the file of the same name plus `.key`.
cp "$root/certs-example/tls/relay.pem" "$work/router.pem"
cp "$root/certs-example/tls/relay-tls.key" "$work/router.pem.key"

read -r port_a port_b port_router < <(node -e '
  const net = require("net");
  const take = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  Promise.all([take(), take(), take()]).then((ps) => console.log(ps.join(" ")));')

# The cells' public_url names the router's address (what their consoles' origin is derived
# from): here the router's port on this machine.
sed -i "s|wss://127.0.0.1:8443/|wss://127.0.0.1:$port_router/|" "$scale"/*/*/cell.toml

wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "nothing listens on port $1"
}

"$bin" relay --cells "$scale/relay-a" --listen "127.0.0.1:$port_a" --admin off >"$work/relay-a.log" 2>&1 &
pids+=($!)
"$bin" relay --cells "$scale/relay-b" --listen "127.0.0.1:$port_b" --admin off >"$work/relay-b.log" 2>&1 &
pids+=($!)
wait_port "$port_a"
wait_port "$port_b"

export ROUTER_LISTEN="127.0.0.1:$port_router" ROUTER_CERT="$work/router.pem" \
  ROUTER_CELLS="$scale/haproxy/cells.map" ROUTER_CA="$root/certs-example/tls/ca.pem" \
  RELAY_A="127.0.0.1:$port_a" RELAY_B="127.0.0.1:$port_b"
haproxy -c -q -f "$scale/haproxy/haproxy.cfg" || fail "haproxy -c refuses deploy/scale/haproxy/haproxy.cfg"
haproxy -f "$scale/haproxy/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_port "$port_router"
router="wss://127.0.0.1:$port_router/cells"
echo "-- two relays (cells 1, 2 and 3) behind HAProxy at 127.0.0.1:$port_router"

cell() { echo "$scale/$1/$2/cell.toml"; }
key() { echo "$root/certs-example/keys/$1.key"; }

"$bin" listen --config "$(cell relay-a syndicate-1)" --relay "$router/syndicate-1" \
  --as syria --key "$(key syria)" --json >"$work/listen-1.jsonl" 2>"$work/listen-1.log" &
pids+=($!)
for _ in $(seq 1 100); do
  grep -q "^live" "$work/listen-1.log" && break
  sleep 0.1
done
grep -q "^live" "$work/listen-1.log" || fail "syndicate-1's listener did not log in through the router"
"$bin" post --config "$(cell relay-a syndicate-1)" --relay "$router/syndicate-1" --as israel \
  --key "$(key israel)" --channel diplomacy "to syndicate 1 through the router" >"$work/post-1.log" 2>&1 \
  || fail "a post in syndicate-1 through the router"
grep -q "durable: record" "$work/post-1.log" || fail "no durable acknowledgement in syndicate-1"
"$bin" post --config "$(cell relay-b syndicate-3)" --relay "$router/syndicate-3" --as israel \
  --key "$(key israel)" --channel diplomacy "to syndicate 3 through the router" >"$work/post-3.log" 2>&1 \
  || fail "a post in syndicate-3 (the other relay) through the router"
grep -q "durable: record" "$work/post-3.log" || fail "no durable acknowledgement in syndicate-3"
for _ in $(seq 1 100); do
  grep -q "to syndicate 1 through the router" "$work/listen-1.jsonl" && break
  sleep 0.1
done
grep -q "to syndicate 1 through the router" "$work/listen-1.jsonl" || fail "syndicate-1's listener did not receive its cell's post"
if grep -q "syndicate 3" "$work/listen-1.jsonl"; then fail "syndicate-1's listener received syndicate-3's post"; fi
echo "ok: a post in each cell, each on its relay; a listener of one cell sees its cell only"

start=$(date +%s)
if "$bin" post --config "$(cell relay-a syndicate-1)" --relay "$router/nope" --as israel \
  --key "$(key israel)" --channel diplomacy "x" >"$work/post-nope.log" 2>&1; then
  fail "a post to an unknown cell succeeded"
fi
grep -q "HTTP 404" "$work/post-nope.log" || fail "the refusal of an unknown cell does not name HTTP 404: $(cat "$work/post-nope.log")"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "the refusal of an unknown cell took more than 10 s (retried?)"
echo "ok: an unknown cell is refused at once: $(tail -1 "$work/post-nope.log")"

NODE_EXTRA_CA_CERTS="$root/certs-example/tls/ca.pem" node -e '
  const https = require("https");
  const get = (path) => new Promise((ok, ko) => https.get({ host: "127.0.0.1", port: process.argv[1], path }, (r) => {
    let body = ""; r.on("data", (d) => body += d); r.on("end", () => ok({ status: r.statusCode, body }));
  }).on("error", ko));
  (async () => {
    const page = await get("/cells/syndicate-2/");
    if (page.status !== 200 || !page.body.includes("<html")) throw new Error(`console of syndicate-2: ${page.status}`);
    const cell = JSON.parse((await get("/cells/syndicate-3/cell.json")).body);
    if (cell.cell !== "syndicate-3") throw new Error(`cell.json of syndicate-3 names ${cell.cell}`);
    const unknown = await get("/cells/nope/");
    const other = await get("/elsewhere");
    if (unknown.status !== 404 || other.status !== 404 || unknown.body !== other.body) throw new Error("an unknown cell is not answered as an unknown path");
  })().catch((e) => { console.error(e.message); process.exit(1); });' "$port_router" \
  || fail "the consoles through the router"
echo "ok: each cell's console under its path; an unknown cell is an unknown path"

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
for c in relay-a/syndicate-1 relay-a/syndicate-2 relay-b/syndicate-3; do
  "$bin" audit verify --config "$scale/$c/cell.toml" "$scale/$c/journal" >"$work/verify.log" 2>&1 \
    || fail "audit verify of $c: $(cat "$work/verify.log")"
done
echo "ok: the three journals verify"
echo "router tests passed"
