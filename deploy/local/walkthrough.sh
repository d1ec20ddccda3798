# Sourced after a stack is up (deploy/local/stack.sh, deploy/compose/stack.sh, deploy/local/scale.sh):
# the seed's walkthrough driven by the `chainkms` CLI, every step checked:
#   1. chainkms deploy: a new CVM boots and gets its keys (the contract allows it);
#   2. a single-owner update: the hash is registered on chain, the CVM reboots with it;
#   3. a Safe 2-of-3 owner: --prepare-only → two owners approve addComposeHash on chain →
#      commit through the API commit URL (HTTP POST) → the CVM reboots with the new hash;
#   4. removeComposeHash on chain → the next boot is refused with the contract's reason;
#   5. device management (allow-devices list/add/remove/allow-any/disallow-any);
#   6. the other commands, errors with hints, one request id through three services' logs.
# Needs from the stack: cli_bin, cast_bin, ANVIL_URL, KEY0-3, ADDR1-3, device, device2, work,
# fail, CHAINKMS_API_URL/KEY, and two hooks:
#   cvm_env ID     prints the env file the CVM decrypted (node-1)
#   stack_logs     brings $work/{gateway,provisioning,registry}.log up to date
# WALKTHROUGH_HOOK, when set, is called with the step number before each step (the scale-out
# run kills replicas from it).
step() {
  printf '\n== %s\n' "$*"
  [ -z "${WALKTHROUGH_HOOK:-}" ] || "$WALKTHROUGH_HOOK" "${1%%.*}"
}

ck() { "$cli_bin" "$@"; }
# The CVM's JSON as the API shows it.
cvm_json() { ck cvms get "$1" --json; }
# Waits until the CVM's status is $2 (boot_failed / running …) with compose hash $3 (optional).
wait_status() {
  local id=$1 want=$2 hash=${3:-} j
  for _ in $(seq 1 300); do
    j=$(cvm_json "$id")
    if [ "$(jq -r .status <<<"$j")" = "$want" ] && { [ -z "$hash" ] || [ "$(jq -r .compose_hash <<<"$j")" = "$hash" ]; }; then
      echo "$j"
      return 0
    fi
    sleep 0.1
  done
  echo "CVM $id never became $want ${hash:+with $hash}: $(jq -c '{status,status_reason,compose_hash}' <<<"$j")" >&2
  return 1
}

mkdir -p "$work/app"
cat >"$work/app/docker-compose.yml" <<'EOF'
services:
  web:
    image: nginx:1.27
    environment:
      - GREETING=${GREETING}
EOF
printf 'GREETING="hello from the walkthrough"\n' >"$work/app/.env"

step "1. chainkms deploy: provision, deploy the DstackApp (hash + device), encrypt the env, commit"
ck deploy -c "$work/app/docker-compose.yml" -e "$work/app/.env" --kms anvil --name demo-app \
  --node node-1 --private-key "$KEY0" --wait --json >"$work/deploy1.json" 2>"$work/deploy1.log" \
  || { cat "$work/deploy1.log" >&2; fail "chainkms deploy (new) failed"; }
cat "$work/deploy1.log"
cvm=$(jq -r .cvm_id "$work/deploy1.json")
app=$(jq -r .app_id "$work/deploy1.json")
hash1=$(jq -r .compose_hash "$work/deploy1.json")
[ "$(jq -r .status "$work/deploy1.json")" = running ] || fail "the new CVM is not running"
grep -q 'GREETING="hello from the walkthrough"' <<<"$(cvm_env "$cvm")" \
  || fail "the CVM did not decrypt its env"
[ "$("$cast_bin" call --rpc-url "$ANVIL_URL" "$app" 'allowedComposeHashes(bytes32)(bool)' "$hash1")" = true ] \
  || fail "the compose hash is not allowed on chain"
echo "CVM $cvm (app $app) runs $hash1 and decrypted GREETING"

step "2. single-owner update: register the new hash on chain, the CVM reboots with it"
cat >>"$work/app/docker-compose.yml" <<'EOF'
  worker:
    image: busybox:1.36
EOF
# The device leaves the allowlist meanwhile: the update adds it back before the hash.
"$cast_bin" send --rpc-url "$ANVIL_URL" --private-key "$KEY0" "$app" 'removeDevice(bytes32)' \
  "$device" >/dev/null || fail "removeDevice failed"
ck deploy --cvm-id "$cvm" -c "$work/app/docker-compose.yml" -e GREETING=greeting-after-update-7c1 \
  --private-key "$KEY0" --wait >"$work/update.txt" 2>"$work/update.log" \
  || { cat "$work/update.log" >&2; fail "the single-owner update failed"; }
cat "$work/update.txt"
hash2=$(sed -n 's/^Compose Hash: *//p' "$work/update.txt")
tx2=$(sed -n 's/^Transaction: *//p' "$work/update.txt")
[[ "$hash2" =~ ^0x[0-9a-f]{64}$ && "$hash2" != "$hash1" ]] || fail "no new compose hash"
[[ "$tx2" =~ ^0x[0-9a-f]{64}$ ]] || fail "no transaction hash for addComposeHash"
grep -q '^Device added: *0x[0-9a-f]\{64\}$' "$work/update.txt" || fail "the missing device was not added"
wait_status "$cvm" running "$hash2" >/dev/null || fail "the CVM did not reboot with $hash2"
grep -q 'GREETING="greeting-after-update-7c1"' <<<"$(cvm_env "$cvm")" || fail "the rebooted CVM has the old env"
echo "the CVM rebooted with $hash2 (addComposeHash in $tx2)"

step "3. a Safe 2-of-3 owns app B: prepare-only → two owners approve on chain → commit URL (POST)"
safe=$(node deploy/local/safe.mjs deploy --rpc "$ANVIL_URL" --key "$KEY0" \
  --owners "$ADDR1,$ADDR2,$ADDR3" --threshold 2) || fail "Safe deploy failed"
echo "Safe $safe (owners 1, 2, 3; threshold 2)"
ck deploy -c "$work/app/docker-compose.yml" -e GREETING=greeting-of-the-safe-app-3f2 --kms anvil --name safe-app \
  --node node-1 --owner "$safe" --private-key "$KEY0" --wait --json >"$work/deploy2.json" \
  2>"$work/deploy2.log" || { cat "$work/deploy2.log" >&2; fail "deploy of the Safe-owned app failed"; }
cvm_b=$(jq -r .cvm_id "$work/deploy2.json")
app_b=$(jq -r .app_id "$work/deploy2.json")
[ "$("$cast_bin" call --rpc-url "$ANVIL_URL" "$app_b" 'owner()(address)')" = "$safe" ] \
  || fail "app B is not owned by the Safe"
sed -i 's/busybox:1.36/busybox:1.37/' "$work/app/docker-compose.yml"
ck deploy --cvm-id "$cvm_b" -c "$work/app/docker-compose.yml" -e GREETING=greeting-of-the-safe-app-3f2 --prepare-only \
  | tee "$work/prepare.txt"
grep -q 'Compose Hash:  NOT registered' "$work/prepare.txt" || fail "prepare-only: no NOT registered"
grep -q 'addComposeHash(bytes32)' "$work/prepare.txt" || fail "prepare-only: no multisig hint"
hash_b=$(sed -n 's/^Compose Hash: *//p' "$work/prepare.txt")
api_commit_url=$(sed -n 's/^API Commit URL: *\(.*\) (POST)$/\1/p' "$work/prepare.txt")
[[ "$api_commit_url" == http*commit-update* ]] || fail "prepare-only: no API commit URL"
# Committing before the owners approve is refused with a clear reason.
code=$(curl -sS -o "$work/early.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"transaction_hash":"already-registered"}' "$api_commit_url")
[ "$code" = 468 ] || [ "$code" = 465 ] || fail "an early commit answered $code: $(cat "$work/early.json")"
calldata=$("$cast_bin" calldata 'addComposeHash(bytes32)' "$hash_b")
approved=$(node deploy/local/safe.mjs exec --rpc "$ANVIL_URL" --safe "$safe" --to "$app_b" \
  --data "$calldata" --approvers "$KEY1,$KEY2") || fail "the Safe owners could not approve"
exec_tx=$(jq -r .exec <<<"$approved")
echo "owners 1 and 2 approved on chain ($(jq -r '.approvals | join(", ")' <<<"$approved")); execTransaction $exec_tx"
code=$(curl -sS -o "$work/commit.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "{\"transaction_hash\":\"$exec_tx\",\"compose_hash\":\"$hash_b\"}" "$api_commit_url")
[ "$code" = 200 ] || fail "POST the API commit URL answered $code: $(cat "$work/commit.json")"
wait_status "$cvm_b" running "$hash_b" >/dev/null || fail "app B did not reboot with $hash_b"
echo "committed through $api_commit_url; CVM $cvm_b rebooted with $hash_b"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "{\"transaction_hash\":\"$exec_tx\"}" "$api_commit_url")
[ "$code" = 466 ] || fail "a reused commit token answered $code (want 466)"
# The same two phases with the CLI's own --commit (and --json shapes).
sed -i 's/busybox:1.37/busybox:1.38/' "$work/app/docker-compose.yml"
ck deploy --cvm-id "$cvm_b" -c "$work/app/docker-compose.yml" -e GREETING=greeting-of-the-safe-app-3f2 --prepare-only \
  --json >"$work/prepare2.json" || fail "prepare-only --json"
jq -e '.success and .prepare_only and .onchain_status.compose_hash_allowed == false and
  .onchain_action.method == "addComposeHash(bytes32)" and (.commit_token | length > 20)' \
  "$work/prepare2.json" >/dev/null || fail "prepare-only --json shape: $(cat "$work/prepare2.json")"
hash_c=$(jq -r .compose_hash "$work/prepare2.json")
approved=$(node deploy/local/safe.mjs exec --rpc "$ANVIL_URL" --safe "$safe" --to "$app_b" \
  --data "$(jq -r .onchain_action.calldata "$work/prepare2.json")" --approvers "$KEY2,$KEY3") \
  || fail "the Safe owners could not approve the second update"
ck deploy --cvm-id "$cvm_b" --commit --token "$(jq -r .commit_token "$work/prepare2.json")" \
  --transaction-hash "$(jq -r .exec <<<"$approved")" --wait --json >"$work/commit2.json" \
  || fail "chainkms deploy --commit failed"
jq -e --arg h "$hash_c" '.success and .status == "running" and .compose_hash == $h and
  (.correlation_id | length > 0)' "$work/commit2.json" >/dev/null \
  || fail "--commit --json shape: $(cat "$work/commit2.json")"
hash_b=$hash_c
echo "and again with chainkms deploy --commit: CVM $cvm_b runs $hash_b"

step "4. the owner removes the running hash on chain: the next boot is refused"
"$cast_bin" send --rpc-url "$ANVIL_URL" --private-key "$KEY0" "$app" 'removeComposeHash(bytes32)' \
  "$hash2" >/dev/null || fail "removeComposeHash failed"
# Same compose (hash unchanged), new env: applied at once, the CVM reboots and asks the KMS again.
sed -E 's/busybox:1\.[0-9]+/busybox:1.36/' "$work/app/docker-compose.yml" >"$work/app/compose-a.yml"
ck deploy --cvm-id "$cvm" -c "$work/app/compose-a.yml" -e GREETING=greeting-on-reboot-9d4 --private-key "$KEY0" \
  >"$work/reboot.txt" 2>&1 || { cat "$work/reboot.txt" >&2; fail "the env-only update failed"; }
j=$(wait_status "$cvm" boot_failed "$hash2") || fail "the reboot was not refused"
reason=$(jq -r .status_reason <<<"$j")
[[ "$reason" == *"Compose hash not allowed"* ]] || fail "refused for another reason: $reason"
echo "status boot_failed: $reason"

step "5. devices: list, add, allow any, disallow any, remove"
ck allow-devices list --cvm-id "$cvm_b"
ck allow-devices list --cvm-id "$cvm_b" --json | jq -e --arg safe "$safe" --arg d "$device" \
  '(.owner | ascii_downcase) == ($safe | ascii_downcase) and (.devices | map(.deviceId) | index($d) != null)' \
  >/dev/null || fail "allow-devices list --json: no owner or device"
ck allow-devices add "$device2" --app-id "$app" --private-key "$KEY0" >/dev/null \
  || fail "allow-devices add failed"
[ "$("$cast_bin" call --rpc-url "$ANVIL_URL" "$app" 'allowedDeviceIds(bytes32)(bool)' "$device2")" = true ] \
  || fail "the device was not added on chain"
ck allow-devices allow-any --app-id "$app" --private-key "$KEY0" >/dev/null || fail "allow-any failed"
[ "$("$cast_bin" call --rpc-url "$ANVIL_URL" "$app" 'allowAnyDevice()(bool)')" = true ] \
  || fail "allowAnyDevice is not set"
ck allow-devices disallow-any --app-id "$app" --private-key "$KEY0" >/dev/null || fail "disallow-any failed"
ck allow-devices remove "$device2" --app-id "$app" --private-key "$KEY0" >/dev/null \
  || fail "allow-devices remove failed"
[ "$("$cast_bin" call --rpc-url "$ANVIL_URL" "$app" 'allowedDeviceIds(bytes32)(bool)' "$device2")" = false ] \
  || fail "the device is still allowed"
# Not the owner: one line, with a hint.
if ck allow-devices add "$device2" --app-id "$app_b" --private-key "$KEY3" 2>"$work/notowner.log"; then
  fail "a non-owner changed the device list"
fi
grep -q 'is not the owner of contract' "$work/notowner.log" || fail "no not-the-owner error: $(cat "$work/notowner.log")"
echo "device $device2 added and removed; allow-any on and off; a non-owner is refused"
ck check-prerequisites --cvm-id "$cvm_b"
ck cvms list
ck cvms list --json | jq -e '.total == 2 and (.items | length) == 2 and .items[0].vmUuid != null' \
  >/dev/null || fail "cvms list --json"

step "6. the other commands, and errors as one line with a hint"
token_b=$(sed -n 's/^Commit Token: *//p' "$work/prepare.txt")
if ck deploy --cvm-id "$cvm_b" --commit --token "$token_b" --transaction-hash "$exec_tx" --json \
  2>"$work/used.json"; then
  fail "a used commit token was accepted"
fi
jq -e '.success == false and (.hint | test("prepare-only again"))' "$work/used.json" >/dev/null \
  || fail "a used token: no JSON error with the hint: $(cat "$work/used.json")"
if ck cvms get cvm_000000000000000000000000 2>"$work/404.log"; then fail "an unknown CVM was found"; fi
grep -q '^hint: check the CVM id' "$work/404.log" || fail "no hint for an unknown CVM: $(cat "$work/404.log")"
sealed=$(ck envs encrypt -e SECRET=envs-encrypt-secret-51a --app-id "$app_b" --kms anvil) || fail "envs encrypt failed"
[[ "$sealed" =~ ^[0-9a-f]{200,}$ ]] || fail "envs encrypt printed no hex: $sealed"
ck kms pubkey --app-id "$app_b" --kms anvil | tee "$work/pubkey.txt"
grep -q '^Verified: *yes' "$work/pubkey.txt" || fail "the env key was not verified on chain"
hook=$(ck webhooks create --url http://127.0.0.1:9/hook --events cvm.updated --json) \
  || fail "webhooks create failed"
hook_id=$(jq -r .id <<<"$hook")
jq -e '.secret | startswith("whsec_")' <<<"$hook" >/dev/null || fail "webhooks create: no secret"
ck webhooks list | grep -q "$hook_id" || fail "webhooks list does not show $hook_id"
ck webhooks rotate "$hook_id" --json | jq -e '.secret | startswith("whsec_")' >/dev/null \
  || fail "webhooks rotate"
ck cvms get "$cvm_b" --json | jq -e --arg h "$hash_b" '.compose_hash == $h and .status == "running"' \
  >/dev/null || fail "cvms get --json"
ck deploy --cvm-id "$cvm_b" -c "$work/app/docker-compose.yml" -e GREETING=greeting-of-the-safe-app-3f2 --prepare-only --debug \
  >/dev/null 2>"$work/debug.log" || fail "prepare-only with --debug"
grep -q '^\[debug\] compose hash' "$work/debug.log" || fail "--debug traced no compose hash"
# One request id, followed through the gateway → provisioning → registry logs.
trace=trace-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
curl -sS -o /dev/null -X POST -H "X-API-Key: $CHAINKMS_API_KEY" -H "X-Request-Id: $trace" \
  -H 'Content-Type: application/json' -d '{}' "$CHAINKMS_API_URL/cvms/$cvm_b/is-allowed"
stack_logs
for svc in gateway provisioning registry; do
  grep -q "\"request_id\":\"$trace\"" "$work/$svc.log" || fail "request id $trace not in the $svc log"
done
echo "a used token, an unknown CVM: one line and a hint; envs encrypt, kms pubkey (verified on chain),"
echo "webhooks create/list/rotate, cvms get --json, --debug hash tracing; request id $trace in the"
echo "gateway, provisioning and registry logs"

echo
echo "OK: the walkthrough passed (new deploy, single-owner update, Safe 2-of-3 commit, a refused"
echo "    boot after removeComposeHash, device management)"
