#!/usr/bin/env bash
# The registry demo and end-to-end test (ctest chainkms_registry_node_e2e): starts anvil, deploys
# DstackKms / DstackApp / Multicall3, starts chainkms-registry on loopback (free ports, anvil's
# first dev key), then a Node.js client that loads only proto/ deploys an app with a compose hash
# and a device and checks its prerequisites; /metrics is scraped. Exits non-zero on any wrong
# answer; the registry (SIGTERM) and anvil are stopped on exit, failure included.
#   deploy/local/demo-registry.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
registry_bin="$build/services/registry/chainkms-registry"
devnet_bin="$build/cli/chainkms-devnet"
client=deploy/local/registry-client.mjs
for b in "$registry_bin" "$devnet_bin"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done

# anvil's first dev account (public, well-known; local use only).
export CHAINKMS_DEMO_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
owner=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
compose_hash=0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11
device=0x0000000000000000000000000000000000000000000000000000000000000001
unknown_hash=0x00000000000000000000000000000000000000000000000000000000000000ff

source deploy/local/anvil.sh
REGISTRY_PID=
cleanup() {
  local rc=$?
  if [ -n "$REGISTRY_PID" ]; then
    kill -TERM "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=
  fi
  if [ "$rc" -ne 0 ] && [ -s "$registry_log" ]; then
    echo "chainkms-registry log:" >&2
    cat "$registry_log" >&2
  fi
  keep_logs "$registry_log"
  rm -f "$devnet_json" "$registry_log"
  anvil_stop
  exit "$rc"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

anvil_start
devnet_json=$(mktemp)
registry_log=$(mktemp)
trap cleanup EXIT  # replaces anvil_start's EXIT trap; cleanup calls anvil_stop
echo "anvil: $ANVIL_URL"
"$devnet_bin" bootstrap --rpc "$ANVIL_URL" --out "$devnet_json" >/dev/null
kms=$(jq -r '.dstackKms' "$devnet_json")
[[ "$kms" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no dstackKms in the bootstrap output: $(cat "$devnet_json")"
echo "DstackKms: $kms"

# Port 0: the server picks free ports and logs them in its "serving" line.
"$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --dev-private-key-env CHAINKMS_DEMO_KEY >"$registry_log" 2>&1 &
REGISTRY_PID=$!
port=
for _ in $(seq 1 300); do
  line=$(grep -m1 '"serving"' "$registry_log" || true)
  if [ -n "$line" ]; then
    port=$(echo "$line" | jq -r '.port')
    metrics_port=$(echo "$line" | jq -r '.metrics_port')
    break
  fi
  kill -0 "$REGISTRY_PID" 2>/dev/null || fail "chainkms-registry exited before serving"
  sleep 0.1
done
[[ "$port" =~ ^[0-9]+$ && "$port" != 0 ]] || fail "chainkms-registry did not report its port"
[[ "$metrics_port" =~ ^[0-9]+$ && "$metrics_port" != 0 ]] || fail "no metrics port reported"
addr="127.0.0.1:$port"
echo "chainkms-registry: grpc $addr, metrics http://127.0.0.1:$metrics_port/metrics"

app=$(node "$client" deploy-app --addr "$addr" --chain-id 31337 --from "$owner" \
  --compose-hash "$compose_hash" --device-id "$device")
[[ "$app" =~ ^0x[0-9a-f]{40}$ ]] || fail "deploy-app printed \"$app\", not an app id"
echo "deployed app: $app"

app_json=$(node "$client" get-app --addr "$addr" --chain-id 31337 --app "$app")
echo "get-app: $app_json"
jq -e --arg o "${owner,,}" '(.owner | ascii_downcase) == $o and .registered == true' \
  <<<"$app_json" >/dev/null || fail "get-app: wrong owner or not registered"

check=$(node "$client" check-prerequisites --addr "$addr" --chain-id 31337 --app "$app" \
  --hash "$compose_hash" --hash "$unknown_hash" --device "$device")
echo "check-prerequisites: $check"
jq -e '.composeHashAllowed == [true, false] and .deviceIdAllowed == [true]
       and .allAllowed == false' <<<"$check" >/dev/null \
  || fail "check-prerequisites: expected hash allowed, unknown hash refused, device allowed"
check=$(node "$client" check-prerequisites --addr "$addr" --chain-id 31337 --app "$app" \
  --hash "$compose_hash" --device "$device")
jq -e '.allAllowed == true' <<<"$check" >/dev/null || fail "check-prerequisites: not all allowed"

metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics")
for method in DeployApp CheckPrerequisites GetApp; do
  line=$(grep -E "^chainkms_rpc_requests_total\{.*method=\"[^\"]*${method}\"" <<<"$metrics" \
    | grep 'code="OK"' || true)
  [ -n "$line" ] || fail "/metrics has no OK chainkms_rpc_requests_total for $method"
  echo "metrics: $line"
done
grep -q '^chainkms_transactions_total' <<<"$metrics" || fail "/metrics has no chainkms_transactions_total"

kill -TERM "$REGISTRY_PID"
wait "$REGISTRY_PID" || fail "chainkms-registry exited non-zero on SIGTERM"
REGISTRY_PID=
grep -q '"stopped"' "$registry_log" || fail "chainkms-registry did not log a graceful stop"
echo "OK: a Node.js client using only proto/ deployed an app and checked its prerequisites"
