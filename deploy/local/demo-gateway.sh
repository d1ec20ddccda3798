#!/usr/bin/env bash
# The gateway demo and end-to-end test (ctest chainkms_gateway_sdk_e2e): starts anvil, deploys the
# contracts (kmsInfo = fresh `chainkms-kms keys init` roots), then chainkms-registry (anvil's first
# dev key), chainkms-kms, chainkms-provisioning (SQLite, one fake node) and chainkms-gateway on
# loopback; mints API keys for two workspaces with `chainkms-gateway apikeys create`, then drives
# the real @phala/cloud SDK (deploy/local/gateway-sdk.mjs) against the gateway's HTTP API through
# the on-chain KMS flows, opens the Confirm Update page in headless Chromium (WebDriver) before and
# after the hash is registered and clicks Confirm, runs the custodial DeployCvm / UpdateCvm flows
# over gRPC, and checks /metrics counts HTTP by route. Everything started is
# stopped on exit.
#   deploy/local/demo-gateway.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
registry_bin="$build/services/registry/chainkms-registry"
kms_bin="$build/services/kms/chainkms-kms"
provisioning_bin="$build/services/provisioning/chainkms-provisioning"
gateway_bin="$build/services/gateway/chainkms-gateway"
devnet_bin="$build/cli/chainkms-devnet"
for b in "$registry_bin" "$kms_bin" "$provisioning_bin" "$gateway_bin" "$devnet_bin"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done

# anvil's first dev account (public, well-known; local use only).
export CHAINKMS_DEMO_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
owner=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
device=0x00000000000000000000000000000000000000000000000000000000000000d1
os_image=0x$(printf 'chainkms-devnet-os-image' | sha256sum | cut -d' ' -f1)

source deploy/local/anvil.sh
source deploy/local/procs.sh

anvil_start
trap cleanup EXIT
"$kms_bin" keys init --dir "$work/keys/31337" >/dev/null
"$kms_bin" keys show --dir "$work/keys/31337" --chain-id 31337 --json >"$work/keys.json"
k256=$(jq -r .k256_public_key "$work/keys.json")
"$devnet_bin" bootstrap --rpc "$ANVIL_URL" --out "$work/devnet.json" --k256-pubkey "$k256" \
  --ca-pubkey "$(jq -r .ca_public_key_spki_der "$work/keys.json")" >/dev/null 2>&1
kms=$(jq -r '.dstackKms' "$work/devnet.json")
[[ "$kms" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no dstackKms in the bootstrap output"

"$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --dev-private-key-env CHAINKMS_DEMO_KEY >"$work/registry.log" 2>&1 &
PIDS+=($!)
registry_port=$(log_field "$work/registry.log" "${PIDS[-1]}" serving port) \
  || fail "chainkms-registry did not start"
registry_metrics=$(log_field "$work/registry.log" "${PIDS[-1]}" serving metrics_port)

"$kms_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --key-dir "$work/keys/31337" \
  --audit-log "$work/audit.log" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  >"$work/kms.log" 2>&1 &
PIDS+=($!)
kms_port=$(log_field "$work/kms.log" "${PIDS[-1]}" serving port) || fail "chainkms-kms did not start"
log_field "$work/kms.log" "${PIDS[-1]}" "all chains serving" msg >/dev/null \
  || fail "chainkms-kms did not serve its chain"

prov_args=(--node "node-1;device_id=${device};os_image_hash=${os_image};driver=fake")
gw_args=(--api-key-cache-ttl 1s --custodial-signers "ws-a=$owner")
start_provisioning_and_gateway prov_args gw_args
gw_metrics=$(log_field "$work/gateway.log" "$gw_pid" serving metrics_port)
echo "gateway http://127.0.0.1:$http_port (provisioning :$prov_port, registry :$registry_port, kms :$kms_port)"

key_a=$("$gateway_bin" apikeys create --workspace ws-a --name e2e --provisioning "127.0.0.1:$prov_port")
key_b=$("$gateway_bin" apikeys create --workspace ws-b --name e2e --provisioning "127.0.0.1:$prov_port")
[[ "$key_a" =~ ^ck_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "apikeys create printed no key"
"$gateway_bin" apikeys list --workspace ws-a --provisioning "127.0.0.1:$prov_port" | grep -q e2e \
  || fail "apikeys list does not show the key"

node deploy/local/gateway-sdk.mjs --api "http://127.0.0.1:$http_port/api/v1" --key-a "$key_a" \
  --key-b "$key_b" --rpc "$ANVIL_URL" --private-key "$CHAINKMS_DEMO_KEY" --k256 "$k256" \
  || fail "the @phala/cloud SDK flows failed"

node deploy/local/confirm-page-browser.mjs --api "http://127.0.0.1:$http_port/api/v1" \
  --key "$key_a" --rpc "$ANVIL_URL" --private-key "$CHAINKMS_DEMO_KEY" \
  || fail "the confirm page did not work in Chromium"

gw_port=$(log_field "$work/gateway.log" "$gw_pid" serving port)
node deploy/local/gateway-custodial.mjs --gateway "127.0.0.1:$gw_port" --key-a "$key_a" \
  --key-b "$key_b" --owner "$owner" --registry-metrics "http://127.0.0.1:$registry_metrics/metrics" --rpc "$ANVIL_URL" --private-key "$CHAINKMS_DEMO_KEY" \
  || fail "the custodial DeployCvm / UpdateCvm flows failed"

# Workspace webhooks over REST: create (secret once), list, rotate, deliveries, delete.
api="http://127.0.0.1:$http_port/api/v1"
hook=$(curl -sS -H "X-API-Key: $key_a" -H 'Content-Type: application/json' \
  -d '{"url":"http://127.0.0.1:9/hook","events":["cvm.updated"]}' "$api/workspace/webhooks")
hook_id=$(jq -r .id <<<"$hook")
[[ "$hook_id" =~ ^wh_ ]] && jq -e '.secret | startswith("whsec_")' <<<"$hook" >/dev/null \
  || fail "webhook create: $hook"
curl -sS -H "X-API-Key: $key_a" "$api/workspace/webhooks" | jq -e --arg id "$hook_id" \
  '.items | map(.id) | index($id) != null' >/dev/null || fail "webhook list"
curl -sS -H "X-API-Key: $key_b" "$api/workspace/webhooks" | jq -e '.items == []' >/dev/null \
  || fail "workspace B sees A's webhooks"
curl -sS -X POST -H "X-API-Key: $key_a" "$api/workspace/webhooks/$hook_id/rotate-secret" \
  | jq -e '.secret | startswith("whsec_")' >/dev/null || fail "webhook rotate"
curl -sS -H "X-API-Key: $key_a" "$api/workspace/webhooks/$hook_id/deliveries" \
  | jq -e '.items | type == "array"' >/dev/null || fail "webhook deliveries"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "X-API-Key: $key_b" \
  "$api/workspace/webhooks/$hook_id")" = 404 ] || fail "workspace B deleted A's webhook"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "X-API-Key: $key_a" \
  "$api/workspace/webhooks/$hook_id")" = 204 ] || fail "webhook delete"

# Revoked: the key stops working (the gateway caches lookups for --api-key-cache-ttl, 10 s).
key_id=${key_b:0:19}
"$gateway_bin" apikeys revoke --workspace ws-b --key-id "$key_id" \
  --provisioning "127.0.0.1:$prov_port" >/dev/null || fail "apikeys revoke failed"
"$gateway_bin" apikeys list --workspace ws-b --provisioning "127.0.0.1:$prov_port" --json \
  | jq -e '.[0].revoked_at != null' >/dev/null || fail "the revoked key is not listed as revoked"
refused=
for _ in $(seq 1 100); do  # the cache TTL is 1 s here; poll, never sleep a fixed time
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $key_b" \
    "http://127.0.0.1:$http_port/api/v1/kms")
  [ "$code" = 401 ] && { refused=1; break; }
  sleep 0.1
done
[ -n "$refused" ] || fail "a revoked key still works after the cache TTL"

metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$gw_metrics/metrics")
for route in '/api/v1/cvms/provision' '/api/v1/cvms/{cvm}' '/api/v1/kms/{kms}/pubkey/{app_id}'; do
  grep -F "chainkms_http_requests_total{" <<<"$metrics" | grep -F "route=\"$route\"" -q \
    || fail "/metrics has no chainkms_http_requests_total for $route"
done
grep -q 'code="465"' <<<"$metrics" || fail "/metrics did not count the 465"
echo "OK: the @phala/cloud SDK ran provision → deploy → commit, patch → confirm, prepare-only →"
echo "    commit-update and the device flows against chainkms-gateway; workspaces stayed apart"
