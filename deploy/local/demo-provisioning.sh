#!/usr/bin/env bash
# The provisioning demo and end-to-end test (ctest chainkms_provisioning_node_e2e): starts anvil,
# deploys the contracts, starts chainkms-registry (anvil's first dev key) and
# chainkms-provisioning (SQLite in a temp dir, one fake node) on loopback, then a Node.js client
# that loads only proto/ runs provision → deploy → commit, an EOA update (patch → addComposeHash →
# confirm) and a prepare-only update (patch → addComposeHash → commit-update with the token).
# /metrics of provisioning is scraped for Store latency. Everything started is stopped on exit.
#   deploy/local/demo-provisioning.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
registry_bin="$build/services/registry/chainkms-registry"
provisioning_bin="$build/services/provisioning/chainkms-provisioning"
devnet_bin="$build/cli/chainkms-devnet"
for b in "$registry_bin" "$provisioning_bin" "$devnet_bin"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done

# anvil's first dev account (public, well-known; local use only).
export CHAINKMS_DEMO_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
owner=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
device=0x00000000000000000000000000000000000000000000000000000000000000d1
os_image=0x0000000000000000000000000000000000000000000000000000000000000005

source deploy/local/anvil.sh
REGISTRY_PID=
PROVISIONING_PID=
work=$(mktemp -d)
stop() {  # pid-variable name
  local pid=${!1}
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$1" ''
  fi
}
cleanup() {
  local rc=$?
  stop PROVISIONING_PID
  stop REGISTRY_PID
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "== $f" >&2; tail -50 "$f" >&2; }; done
  fi
  keep_logs "$work"/*.log
  rm -rf "$work"
  anvil_stop
  exit "$rc"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Waits for a server's "serving" log line; prints "<port> <metrics port>".
serving_ports() {
  local log=$1 pid=$2
  for _ in $(seq 1 300); do
    line=$(grep -m1 '"serving"' "$log" || true)
    if [ -n "$line" ]; then
      echo "$(jq -r '.port' <<<"$line") $(jq -r '.metrics_port' <<<"$line")"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

anvil_start
trap cleanup EXIT
"$devnet_bin" bootstrap --rpc "$ANVIL_URL" --out "$work/devnet.json" >/dev/null
kms=$(jq -r '.dstackKms' "$work/devnet.json")
[[ "$kms" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no dstackKms in the bootstrap output"

"$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --dev-private-key-env CHAINKMS_DEMO_KEY >"$work/registry.log" 2>&1 &
REGISTRY_PID=$!
read -r registry_port _ < <(serving_ports "$work/registry.log" "$REGISTRY_PID") \
  || fail "chainkms-registry did not start"

"$provisioning_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --database-url "sqlite:$work/provisioning.db" --registry "127.0.0.1:$registry_port" \
  --kms "anvil=31337;url=http://127.0.0.1:1" \
  --node "node-1;device_id=${device};os_image_hash=${os_image};driver=fake" \
  --public-url https://chainkms.example >"$work/provisioning.log" 2>&1 &
PROVISIONING_PID=$!
read -r prov_port prov_metrics < <(serving_ports "$work/provisioning.log" "$PROVISIONING_PID") \
  || fail "chainkms-provisioning did not start"
echo "registry 127.0.0.1:$registry_port, provisioning 127.0.0.1:$prov_port"

node deploy/local/provisioning-client.mjs --provisioning "127.0.0.1:$prov_port" \
  --registry "127.0.0.1:$registry_port" --owner "$owner" || fail "the Node client's flow failed"

metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$prov_metrics/metrics")
grep -q '^chainkms_store_latency_seconds_count{op="apply_pending_update"' <<<"$metrics" \
  || fail "/metrics has no Store latency"
for method in ProvisionCvm CommitCvmProvision PatchCvm ConfirmCvmPatch CommitCvmUpdate; do
  grep -E "^chainkms_rpc_requests_total\{.*method=\"[^\"]*${method}\"" <<<"$metrics" \
    | grep -q 'code="OK"' || fail "/metrics has no OK chainkms_rpc_requests_total for $method"
done
kill -TERM "$PROVISIONING_PID"
wait "$PROVISIONING_PID" || fail "chainkms-provisioning exited non-zero on SIGTERM"
PROVISIONING_PID=
echo "OK: a Node.js client using only proto/ ran provision → commit, confirm and commit-update"
