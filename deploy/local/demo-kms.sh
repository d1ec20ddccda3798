#!/usr/bin/env bash
# The kms demo and end-to-end test (ctest chainkms_kms_node_e2e): root keys made with
# `chainkms-kms keys init`, registered as DstackKms's kmsInfo at bootstrap; an app deployed with
# DESIGN's compose hash and device 0x…01; chainkms-kms on loopback (free ports,
# --insecure-dev-attestation) waits until kmsInfo matches, then a Node.js client that loads only
# proto/ fetches the app's env key, runs a dev GetAppKey and unseals the keys; a boot with another
# compose hash is denied with the contract's reason; the audit log verifies; SIGTERM stops it.
# Exits non-zero on any wrong answer; the kms and anvil are stopped on exit, failure included.
#   deploy/local/demo-kms.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
kms_bin="$build/services/kms/chainkms-kms"
devnet_bin="$build/cli/chainkms-devnet"
client=tests/kms/node_kms_client.mjs
for b in "$kms_bin" "$devnet_bin"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done
compose_hash=6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11
device=0000000000000000000000000000000000000000000000000000000000000001
# DevnetOptions' default OS image hash: sha256("chainkms-devnet-os-image").
os_image=$(printf 'chainkms-devnet-os-image' | sha256sum | cut -d' ' -f1)

source deploy/local/anvil.sh
KMS_PID=
work=$(mktemp -d)
cleanup() {
  local rc=$?
  if [ -n "$KMS_PID" ]; then
    kill -TERM "$KMS_PID" 2>/dev/null || true
    wait "$KMS_PID" 2>/dev/null || true
    KMS_PID=
  fi
  if [ "$rc" -ne 0 ] && [ -s "$work/kms.log" ]; then
    echo "chainkms-kms log:" >&2
    cat "$work/kms.log" >&2
  fi
  rm -rf "$work"
  anvil_stop
  exit "$rc"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

anvil_start
trap cleanup EXIT  # replaces anvil_start's EXIT trap; cleanup calls anvil_stop
echo "anvil: $ANVIL_URL"
"$kms_bin" keys init --dir "$work/keys/31337" >/dev/null
"$kms_bin" keys show --dir "$work/keys/31337" --chain-id 31337 --json >"$work/keys.json"
k256=$(jq -r .k256_public_key "$work/keys.json")
ca=$(jq -r .ca_public_key_spki_der "$work/keys.json")
echo "root k256 key: $k256"
"$devnet_bin" bootstrap --rpc "$ANVIL_URL" --out "$work/devnet.json" \
  --k256-pubkey "$k256" --ca-pubkey "$ca" 2>/dev/null
kms=$(jq -r '.dstackKms' "$work/devnet.json")
[ "$(jq -r .osImageHash "$work/devnet.json")" = "0x$os_image" ] || fail "unexpected OS image hash"
app=$("$devnet_bin" demo --rpc "$ANVIL_URL" --devnet "$work/devnet.json" \
  | sed -n 's/^app deployed through DstackKms: \(0x[0-9a-fA-F]\{40\}\).*/\1/p')
[[ "$app" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no app id from chainkms-devnet demo"
echo "DstackKms: $kms, app: $app"

"$kms_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --key-dir "$work/keys/31337" \
  --insecure-dev-attestation --audit-log "$work/audit.log" --replica demo-kms \
  --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$work/kms.log" 2>&1 &
KMS_PID=$!
port=
for _ in $(seq 1 300); do
  if grep -q '"all chains serving"' "$work/kms.log"; then
    port=$(grep -m1 '"serving"' "$work/kms.log" | jq -r '.port')
    metrics_port=$(grep -m1 '"serving"' "$work/kms.log" | jq -r '.metrics_port')
    break
  fi
  kill -0 "$KMS_PID" 2>/dev/null || fail "chainkms-kms exited before serving"
  sleep 0.1
done
[[ "$port" =~ ^[0-9]+$ && "$port" != 0 ]] || fail "chainkms-kms did not serve its chain"
grep -q 'INSECURE: --insecure-dev-attestation' "$work/kms.log" || fail "no dev-attestation warning"
echo "chainkms-kms: grpc 127.0.0.1:$port, metrics http://127.0.0.1:$metrics_port/metrics"

claims() {  # $1 = compose hash
  jq -cn --arg app "${app#0x}" --arg h "$1" --arg d "$device" --arg os "$os_image" \
    --arg kp "${ca#0x}" '{app_id:$app, compose_hash:$h, instance_id:("11"*20), device_id:$d,
      mr_aggregated:("a1"*32), mr_system:("a2"*32), os_image_hash:$os, tcb_status:"UpToDate",
      advisory_ids:[], key_provider_id:$kp}'
}
out=$(node "$client" "127.0.0.1:$port" 31337 "$(claims "$compose_hash")")
echo "GetAppKey (allowed): $out"
jq -e '.dev == true and (.env_public_key | length) == 64' <<<"$out" >/dev/null \
  || fail "unexpected GetAppKey answer"
if denied=$(node "$client" "127.0.0.1:$port" 31337 "$(claims "$(printf 'ee%.0s' $(seq 32))")" 2>&1); then
  fail "a boot with an unregistered compose hash got keys"
fi
grep -q 'BOOT_DENIED' <<<"$denied" || fail "denied without BOOT_DENIED: $denied"
grep -q 'Compose hash not allowed' <<<"$denied" || fail "the contract's reason is missing: $denied"
echo "GetAppKey (other compose hash): denied — Compose hash not allowed"

"$kms_bin" audit verify "$work/audit.log" || fail "the audit chain does not verify"
[ "$(jq -s 'map(.decision) | join(",")' "$work/audit.log")" = '"issued,denied"' ] \
  || fail "audit decisions: $(jq -s 'map(.decision)' "$work/audit.log")"
metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics")
grep -q '^chainkms_kms_decisions_total{chain_id="31337",outcome="denied",reason="BOOT_DENIED"} 1' \
  <<<"$metrics" || fail "/metrics has no denied decision"

start=$(date +%s%N)
kill -TERM "$KMS_PID"
wait "$KMS_PID" || fail "chainkms-kms exited non-zero on SIGTERM"
KMS_PID=
echo "chainkms-kms stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms after SIGTERM"
grep -q '"stopped"' "$work/kms.log" || fail "chainkms-kms did not log a graceful stop"
echo "OK: keys released only for the compose hash the contract allows"
