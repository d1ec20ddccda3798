#!/usr/bin/env bash
# chainkms-registry stops promptly on SIGTERM (ctest chainkms_registry_sigterm_e2e): started on
# anvil with gRPC and /metrics on free loopback ports, scraped once, then sent SIGTERM while
# idle; it must exit with status 0 within 1 s and log a graceful stop.
#   tests/e2e/registry_sigterm.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
registry_bin="$build/services/registry/chainkms-registry"
[ -x "$registry_bin" ] || { echo "missing $registry_bin (build it first)" >&2; exit 1; }
# Starting and stopping reads no contract, so the DstackKms address need not hold code.
kms=0x5FbDB2315678afecb367f032d93F642f64180aa3
limit_ms=1000

source deploy/local/anvil.sh
REGISTRY_PID=
registry_log=
cleanup() {
  local rc=$?
  if [ -n "$REGISTRY_PID" ]; then
    kill -KILL "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$registry_log" ]; then
    echo "chainkms-registry log:" >&2
    cat "$registry_log" >&2
  fi
  [ -n "$registry_log" ] && rm -f "$registry_log"
  anvil_stop
  exit "$rc"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

anvil_start
registry_log=$(mktemp)
trap cleanup EXIT  # replaces anvil_start's EXIT trap; cleanup calls anvil_stop
"$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --shutdown-grace 10s >"$registry_log" 2>&1 &
REGISTRY_PID=$!
metrics_port=
for _ in $(seq 1 300); do
  line=$(grep -m1 '"serving"' "$registry_log" || true)
  if [ -n "$line" ]; then
    metrics_port=$(jq -r '.metrics_port' <<<"$line")
    break
  fi
  kill -0 "$REGISTRY_PID" 2>/dev/null || fail "chainkms-registry exited before serving"
  sleep 0.1
done
[[ "$metrics_port" =~ ^[0-9]+$ && "$metrics_port" != 0 ]] || fail "no metrics port reported"
curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" | grep -q '^chainkms_rpc_in_flight' \
  || fail "/metrics did not answer"

start_ns=$(date +%s%N)
kill -TERM "$REGISTRY_PID"
rc=0
wait "$REGISTRY_PID" || rc=$?
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
REGISTRY_PID=
echo "chainkms-registry exited $rc, ${elapsed_ms} ms after SIGTERM (limit ${limit_ms} ms)"
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, not 0"
[ "$elapsed_ms" -lt "$limit_ms" ] || fail "took ${elapsed_ms} ms to exit after SIGTERM"
grep -q '"stopped"' "$registry_log" || fail "no graceful stop in the log"
echo "OK: idle chainkms-registry exited cleanly in ${elapsed_ms} ms"
