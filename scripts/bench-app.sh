#!/usr/bin/env bash
# kiln-app intake benchmark (load from a second process on loopback, wrk).
#   phase 1: deliveries/s — 200 connections as fast as they go; every
#            request is a real pull_request payload (@octokit/webhooks-examples),
#            HMAC-verified, parsed and committed to the durable queue.
#   phase 2: acknowledgement latency at 200 connections, each waiting 100 ms
#            after every answer (offered <= 2,000 req/s): p50/p99.
# The server runs with --workers 0 (intake only), SQLite by default.
# CPU placement: by default server and wrk (-t2) float over every core.
# KILN_BENCH_PIN=1 pins the server to CPU 0 and wrk to the other CPUs
# (taskset) so the load generator never preempts the server; tokio then runs
# one worker thread (it sizes itself by the CPUs it may use). On the 2-core
# box that halves the server's CPU: fewer deliveries/s (~4,800 vs ~8,000)
# and a slightly worse p99 (~22 ms vs ~19 ms), hence not the default.
# Besides wrk's figures (the client's view) the script prints the server's
# own service-time histogram per phase (kiln_app_webhook_seconds from
# /metrics: request head parsed → answer ready, group commit included) and
# the duration of the group commits.
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
NCPU=$(nproc)
PIN=${KILN_BENCH_PIN:-0}
SERVER_CPUS=() WRK_CPUS=() WRK_THREADS=2
if [ "$PIN" = 1 ]; then
  command -v taskset >/dev/null 2>&1 || { echo "bench-app: KILN_BENCH_PIN=1 needs taskset (util-linux)" >&2; exit 1; }
  SERVER_CPUS=(taskset -c 0) WRK_CPUS=(taskset -c "1-$((NCPU - 1))") WRK_THREADS=$((NCPU - 1))
fi
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
    "${SERVER_CPUS[@]}" "$BIN" > "$W/app.log" 2>&1 &
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
# The server's histogram between two /metrics scrapes: count, p50, p99 as
# bucket upper bounds (what Prometheus' histogram_quantile reads).
scrape() { curl -s "http://$ADDR/metrics" > "$1"; }
server_quantiles() {  # $1 before, $2 after, $3 metric name
  python3 scripts/bench-quantiles.py "$@"
}
echo "kiln-app $("$BIN" --version | cut -d' ' -f2) on $ADDR, db=${DB%%\?*}, payload $(wc -c < "$W/body.json") bytes, $NCPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$PIN" = 1 ]; then
  echo "pinned: server on CPU 0, wrk -t$WRK_THREADS on CPU 1-$((NCPU - 1))"
else
  echo "not pinned: server and wrk -t$WRK_THREADS share every core"
fi
lua tput 0 > "$W/tput.lua"
lua lat 100 > "$W/lat.lua"
echo "== phase 1: throughput, 200 connections, ${SECS}s"
scrape "$W/m0"
"${WRK_CPUS[@]}" wrk -t"$WRK_THREADS" -c200 -d"${SECS}s" --latency -s "$W/tput.lua" "http://$ADDR/webhook" | tee "$W/p1.txt"
scrape "$W/m1"
echo "server, phase 1: service time $(server_quantiles "$W/m0" "$W/m1" kiln_app_webhook_seconds); group commits $(server_quantiles "$W/m0" "$W/m1" kiln_app_intake_commit_seconds)"
echo "== phase 2: latency, 200 connections each waiting 100 ms after every answer (offered <= 2,000 req/s), ${SECS}s"
"${WRK_CPUS[@]}" wrk -t"$WRK_THREADS" -c200 -d"${SECS}s" --latency -s "$W/lat.lua" "http://$ADDR/webhook" | tee "$W/p2.txt"
scrape "$W/m2"
srv2=$(server_quantiles "$W/m1" "$W/m2" kiln_app_webhook_seconds)
echo "server, phase 2: service time $srv2; group commits $(server_quantiles "$W/m1" "$W/m2" kiln_app_intake_commit_seconds)"
M=$(cat "$W/m2")
accepted=$(echo "$M" | grep 'kiln_app_webhooks_total{outcome="accepted"}' | awk '{print $2}')
rejected=$(echo "$M" | grep -E 'outcome="(bad_signature|rejected)"' | awk '{s+=$2} END {print s+0}')
jobs=$(echo "$M" | grep -E 'kiln_app_queue_jobs\{state="(queued|superseded)"\}' | awk '{s+=$2} END {print s+0}')
echo "== verified and enqueued: $accepted deliveries (jobs in the queue table: $jobs), rejected: $rejected"
for p in 1 2; do
  if grep -q 'Non-2xx' "$W/p$p.txt"; then echo "phase $p: non-2xx answers" >&2; exit 1; fi
done
echo "SUMMARY pinned=$PIN deliveries/s=$(grep Requests/sec "$W/p1.txt" | awk '{print $2}') phase2_req/s=$(grep Requests/sec "$W/p2.txt" | awk '{print $2}') p50_ack=$(grep ' 50%' "$W/p2.txt" | awk '{print $2}') p99_ack=$(grep ' 99%' "$W/p2.txt" | awk '{print $2}') server_phase2: $srv2"
