#!/usr/bin/env bash
# The kms demo and end-to-end test (ctest chainkms_kms_node_e2e): root keys made with
# `chainkms-kms keys init`, registered as DstackKms's kmsInfo at bootstrap; an app deployed with
# DESIGN's compose hash and device 0x…01; chainkms-kms on loopback (free ports,
# --insecure-dev-attestation) waits until kmsInfo matches, then a Node.js client that loads only
# proto/ fetches the app's env key, runs a dev GetAppKey and unseals the keys; a boot with another
# compose hash is denied with the contract's reason; chainkms-cvm (the local CVM) boots with the
# allowed compose, decrypts an env made by @phala/dstack-sdk and keeps only its allowed_envs, and
# is refused once the hash is removed on chain; the audit log verifies; SIGTERM stops it.
# Exits non-zero on any wrong answer; the kms and anvil are stopped on exit, failure included.
#   deploy/local/demo-kms.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
kms_bin="$build/services/kms/chainkms-kms"
devnet_bin="$build/cli/chainkms-devnet"
cvm_bin="$build/cli/chainkms-cvm"
client=tests/kms/node_kms_client.mjs
for b in "$kms_bin" "$devnet_bin" "$cvm_bin"; do
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
  keep_logs "$work"/*.log
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

# chainkms-cvm: a compose with allowed_envs, registered on chain by the app owner (anvil key 0).
owner_key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
cast=node_modules/.bin/cast
printf '%s' '{"allowed_envs":["GREETING","MULTI"],"docker_compose_file":"services: {}","kms_enabled":true,"name":"cvm-demo","runner":"docker-compose"}' \
  >"$work/app-compose.json"
cvm_hash=$(sha256sum "$work/app-compose.json" | cut -d' ' -f1)
"$cast" send --rpc-url "$ANVIL_URL" --private-key "$owner_key" "$app" \
  'addComposeHash(bytes32)' "0x$cvm_hash" >/dev/null || fail "addComposeHash failed"
env_pub=$(jq -r .env_public_key <<<"$out")
node --input-type=module -e '
  import { encryptEnvVars } from "@phala/dstack-sdk/encrypt-env-vars";
  const envs = [{ key: "GREETING", value: "héllo wörld" }, { key: "MULTI", value: "a\nb" },
                { key: "NOT_ALLOWED", value: "secret" }];
  process.stdout.write(await encryptEnvVars(envs, process.argv[1]));' "$env_pub" >"$work/env.hex"
boot_cvm() {  # chainkms-cvm --exit-after-boot; its exit code is returned
  "$cvm_bin" --app-compose "$work/app-compose.json" --env "$work/env.hex" --app-id "$app" \
    --kms "http://127.0.0.1:$port" --chain-id 31337 --device-id "0x$device" \
    --os-image-hash "0x$os_image" --cvm-id cvm_demo --status-file "$work/status.json" \
    --env-out "$work/app.env" --timeout 20s --exit-after-boot 2>>"$work/cvm.log"
}
boot_cvm || fail "chainkms-cvm did not boot: $(cat "$work/cvm.log")"
jq -e --arg h "0x$cvm_hash" '.status == "running" and .compose_hash == $h and
    .env_keys == ["GREETING","MULTI"] and .dropped_env_keys == ["NOT_ALLOWED"] and
    .dev_attestation == true' "$work/status.json" >/dev/null \
  || fail "unexpected CVM status: $(cat "$work/status.json")"
[ "$(stat -c %a "$work/app.env")" = 600 ] || fail "app.env is not 0600"
# app.env is a dotenv file (docker compose env_file): double quotes, \n for a newline.
[ "$(cat "$work/app.env")" = "$(printf 'GREETING="héllo wörld"\nMULTI="a\\nb"')" ] \
  || fail "decrypted env: $(cat "$work/app.env")"
! grep -q 'NOT_ALLOWED\|secret' "$work/app.env" || fail "an env outside allowed_envs was kept"
! grep -q 'héllo' "$work/status.json" "$work/cvm.log" || fail "an env value was written out"
echo "chainkms-cvm: booted 0x${cvm_hash:0:12}…, env GREETING and MULTI decrypted, NOT_ALLOWED dropped"
"$cast" send --rpc-url "$ANVIL_URL" --private-key "$owner_key" "$app" \
  'removeComposeHash(bytes32)' "0x$cvm_hash" >/dev/null || fail "removeComposeHash failed"
rc=0
boot_cvm || rc=$?
[ "$rc" = 3 ] || fail "chainkms-cvm exit code $rc after the hash was removed (want 3)"
jq -e '.status == "boot_failed" and .reason == "Boot denied: Compose hash not allowed"' \
  "$work/status.json" >/dev/null || fail "unexpected CVM status: $(cat "$work/status.json")"
echo "chainkms-cvm: after removeComposeHash — Boot denied: Compose hash not allowed"

"$kms_bin" audit verify "$work/audit.log" || fail "the audit chain does not verify"
[ "$(jq -s 'map(.decision) | join(",")' "$work/audit.log")" = '"issued,denied,issued,denied"' ] \
  || fail "audit decisions: $(jq -s 'map(.decision)' "$work/audit.log")"
metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics")
grep -q '^chainkms_kms_decisions_total{chain_id="31337",outcome="denied",reason="BOOT_DENIED"} 2' \
  <<<"$metrics" || fail "/metrics has no denied decision"

start=$(date +%s%N)
kill -TERM "$KMS_PID"
wait "$KMS_PID" || fail "chainkms-kms exited non-zero on SIGTERM"
KMS_PID=
echo "chainkms-kms stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms after SIGTERM"
grep -q '"stopped"' "$work/kms.log" || fail "chainkms-kms did not log a graceful stop"
echo "OK: keys released only for the compose hash the contract allows"
