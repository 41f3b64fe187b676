#!/usr/bin/env bash
# kiln-app registry lookups (load from wrk on loopback):
#   a version with 3 regional images + 1 docker image is recorded through
#   POST /api/v1/manifests (token from `kiln-app token create`), then
#   phase 1: GET /api/v1/buckets/ubuntu/channels/production, as fast as it goes;
#   phase 2: GET /api/v1/buckets/ubuntu/versions/{fingerprint}, as fast as it goes;
#   phase 3: channel lookups at >= 5,000 req/s offered (each connection
#            waits 2 ms between requests): the latency a client sees.
# Target: >= 5,000 req/s with p99 <= 10 ms. SQLite by default.
# CPU placement: by default server and wrk (-t2) float over every core;
# KILN_BENCH_PIN=1 pins the server to CPU 0 and wrk to the others (taskset).
# Each phase also prints the server's own service-time histogram
# (kiln_app_lookup_seconds from /metrics) beside wrk's figures.
# Usage: scripts/bench-registry.sh [DATABASE_URL] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { echo "bench-registry: needs wrk (apt-get install wrk)" >&2; exit 1; }
# KILN_APP_BIN: an already built release binary (skips the build).
BIN=${KILN_APP_BIN:-}
if [ -z "$BIN" ]; then cargo build --release -q -p kiln-app; BIN=target/release/kiln-app; fi
W=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
DB=${1:-"sqlite://$W/kiln.db?mode=rwc"}
SECS=${2:-15}
CONNS=${3:-16}
NCPU=$(nproc)
PIN=${KILN_BENCH_PIN:-0}
SERVER_CPUS=() WRK_CPUS=() WRK_THREADS=2
if [ "$PIN" = 1 ]; then
  command -v taskset >/dev/null 2>&1 || { echo "bench-registry: KILN_BENCH_PIN=1 needs taskset (util-linux)" >&2; exit 1; }
  SERVER_CPUS=(taskset -c 0) WRK_CPUS=(taskset -c "1-$((NCPU - 1))") WRK_THREADS=$((NCPU - 1))
fi
openssl genrsa -out "$W/key.pem" 2048 2>/dev/null
TOKEN=$(KILN_DATABASE_URL="$DB" "$BIN" token create --repo bench/images 2>/dev/null)
KILN_APP_ID=1 KILN_PRIVATE_KEY_PATH="$W/key.pem" KILN_WEBHOOK_SECRET=bench \
KILN_LISTEN=127.0.0.1:0 KILN_DATABASE_URL="$DB" KILN_WORKERS=0 KILN_LOG=warn,kiln_app=info \
    "${SERVER_CPUS[@]}" "$BIN" > "$W/app.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q 'addr=' "$W/app.log" && break; sleep 0.1; done
ADDR=$(grep -o 'addr=[0-9.:]*' "$W/app.log" | head -1 | cut -d= -f2)
[ -n "$ADDR" ] || { cat "$W/app.log"; exit 1; }
FP=3484a3fb816e0859fd6e1cea078d76385ff50625
cat > "$W/manifest.json" <<JSON
{"repo": "bench/images", "sha": "$FP", "channel": "production", "labels": {"os": "ubuntu"},
 "manifest": {"builds": [
   {"name": "ubuntu", "builder_type": "amazon-ebs", "artifact_id": "us-east-1:ami-0a1,eu-west-1:ami-0b2,ap-south-1:ami-0c3", "packer_run_uuid": "bench", "custom_data": {"source_image": "ami-base"}},
   {"name": "ubuntu", "builder_type": "docker", "artifact_id": "sha256:4a5c1d2e", "packer_run_uuid": "bench"}],
  "last_run_uuid": "bench"}}
JSON
code=$(curl -s -o "$W/post.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$W/manifest.json" "http://$ADDR/api/v1/manifests")
[ "$code" = 201 ] || { echo "POST /api/v1/manifests: $code $(cat "$W/post.json")" >&2; exit 1; }
CH="http://$ADDR/api/v1/buckets/ubuntu/channels/production"
curl -sf "$CH" | grep -q '"ap-south-1":"ami-0c3"' || { echo "channel lookup does not serve the version" >&2; exit 1; }
echo "kiln-app $("$BIN" --version | cut -d' ' -f2) on $ADDR, db=${DB%%\?*}, $NCPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $CONNS connections, ${SECS}s per phase"
if [ "$PIN" = 1 ]; then
  echo "pinned: server on CPU 0, wrk -t$WRK_THREADS on CPU 1-$((NCPU - 1))"
else
  echo "not pinned: server and wrk -t$WRK_THREADS share every core"
fi
scrape() { curl -s "http://$ADDR/metrics" > "$1"; }
phase() {  # $1 phase number, then wrk arguments
  local n=$1; shift
  scrape "$W/m$n.0"
  "${WRK_CPUS[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" | tee "$W/p$n.txt"
  scrape "$W/m$n.1"
  python3 scripts/bench-quantiles.py "$W/m$n.0" "$W/m$n.1" kiln_app_lookup_seconds > "$W/s$n.txt"
  echo "server, phase $n: service time $(cat "$W/s$n.txt")"
}
echo "== phase 1: channel lookup, $CONNS connections as fast as they go"
phase 1 "$CH"
echo "== phase 2: version lookup, $CONNS connections as fast as they go"
phase 2 "http://$ADDR/api/v1/buckets/ubuntu/versions/$FP"
echo "== phase 3: channel lookup, $CONNS connections each waiting 2 ms after every answer (offered <= $((CONNS * 500)) req/s)"
echo 'function delay() return 2 end' > "$W/delay.lua"
phase 3 -s "$W/delay.lua" "$CH"
for p in 1 2 3; do
  if grep -q 'Non-2xx' "$W/p$p.txt"; then echo "phase $p: non-2xx answers" >&2; exit 1; fi
done
echo "SUMMARY pinned=$PIN channel_rps=$(grep Requests/sec "$W/p1.txt" | awk '{print $2}') channel_p99=$(grep ' 99%' "$W/p1.txt" | awk '{print $2}') version_rps=$(grep Requests/sec "$W/p2.txt" | awk '{print $2}') version_p99=$(grep ' 99%' "$W/p2.txt" | awk '{print $2}') paced_rps=$(grep Requests/sec "$W/p3.txt" | awk '{print $2}') paced_p99=$(grep ' 99%' "$W/p3.txt" | awk '{print $2}') server_paced: $(cat "$W/s3.txt")"
