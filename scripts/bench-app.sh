#!/usr/bin/env bash
# kiln-app intake benchmark (load from a second process on loopback, wrk).
#   phase 1: deliveries/s — 200 connections as fast as they go; every
#            request is a real pull_request payload (@octokit/webhooks-examples),
#            HMAC-verified, parsed and committed to the durable queue.
#   phase 2: acknowledgement latency at 200 connections offered ~2,000/s
#            (each connection waits 100 ms between requests): p50/p99.
# The server runs with --workers 0 (intake only), SQLite by default.
# Usage: scripts/bench-app.sh [DATABASE_URL] [SECONDS]
# Then: cargo bench -p kiln-app --bench e2e   (webhook → completed check run, per seed)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { echo "bench-app: needs wrk (apt-get install wrk)" >&2; exit 1; }
examples=target/peers/node/node_modules/@octokit/webhooks-examples/api.github.com/index.json
[ -f "$examples" ] || { echo "bench-app: run scripts/test.sh once (npm peers)" >&2; exit 1; }
# KILN_APP_BIN: an already built release binary (skips the build).
BIN=${KILN_APP_BIN:-}
if [ -z "$BIN" ]; then cargo build --release -q -p kiln-app; BIN=target/release/kiln-app; fi
W=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
DB=${1:-"sqlite://$W/kiln.db?mode=rwc"}
SECS=${2:-15}
openssl genrsa -out "$W/key.pem" 2048 2>/dev/null
python3 - "$examples" > "$W/body.json" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))
ex = next(p for e in events if e["name"] == "pull_request" for p in e["examples"]
          if p.get("action") == "opened" and isinstance(p.get("installation"), dict))
sys.stdout.write(json.dumps(ex))
PY
SECRET=bench-secret
SIG="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r < "$W/body.json" | cut -d' ' -f1)"
KILN_APP_ID=1 KILN_PRIVATE_KEY_PATH="$W/key.pem" KILN_WEBHOOK_SECRET="$SECRET" \
KILN_LISTEN=127.0.0.1:0 KILN_DATABASE_URL="$DB" KILN_WORKERS=0 KILN_LOG=warn,kiln_app=info \
    "$BIN" > "$W/app.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q 'addr=' "$W/app.log" && break; sleep 0.1; done
ADDR=$(grep -o 'addr=[0-9.:]*' "$W/app.log" | head -1 | cut -d= -f2)
[ -n "$ADDR" ] || { cat "$W/app.log"; exit 1; }
lua() {  # $1 = run tag, $2 = delay between requests per connection (ms)
cat <<LUA
wrk.method = "POST"
wrk.body = io.open("$W/body.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "pull_request"
wrk.headers["X-Hub-Signature-256"] = "$SIG"
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
function request()
  n = n + 1
  wrk.headers["X-GitHub-Delivery"] = "$1-" .. tid .. "-" .. n
  return wrk.format()
end
function delay() return $2 end
LUA
}
echo "kiln-app $("$BIN" --version | cut -d' ' -f2) on $ADDR, db=${DB%%\?*}, payload $(wc -c < "$W/body.json") bytes, $(nproc) cores"
lua tput 0 > "$W/tput.lua"
lua lat 100 > "$W/lat.lua"
echo "== phase 1: throughput, 200 connections, ${SECS}s"
wrk -t2 -c200 -d"${SECS}s" --latency -s "$W/tput.lua" "http://$ADDR/webhook" | tee "$W/p1.txt"
echo "== phase 2: latency, 200 connections at ~2000 req/s offered, ${SECS}s"
wrk -t2 -c200 -d"${SECS}s" --latency -s "$W/lat.lua" "http://$ADDR/webhook" | tee "$W/p2.txt"
M=$(curl -s "http://$ADDR/metrics")
accepted=$(echo "$M" | grep 'kiln_app_webhooks_total{outcome="accepted"}' | awk '{print $2}')
rejected=$(echo "$M" | grep -E 'outcome="(bad_signature|rejected)"' | awk '{s+=$2} END {print s+0}')
jobs=$(echo "$M" | grep -E 'kiln_app_queue_jobs\{state="(queued|superseded)"\}' | awk '{s+=$2} END {print s+0}')
echo "== verified and enqueued: $accepted deliveries (jobs in the queue table: $jobs), rejected: $rejected"
echo "SUMMARY deliveries/s=$(grep Requests/sec "$W/p1.txt" | awk '{print $2}') p99_ack_at_2000rps=$(grep ' 99%' "$W/p2.txt" | awk '{print $2}') p50_ack_at_2000rps=$(grep ' 50%' "$W/p2.txt" | awk '{print $2}')"
