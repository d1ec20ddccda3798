#!/usr/bin/env bash
# Scale-out on one machine: two replicas of every service on loopback, and proof that it holds.
#   anvil → contracts → PostgreSQL (one cluster) → registry a+b → kms a+b (the same root keys) →
#   provisioning a+b (the same PostgreSQL and node directory) → gateway a+b, each gateway with
#   gRPC round robin over both replicas of every backend (ipv4:a,b targets, as dns:/// gives over a
#   headless Service); a TCP round-robin balancer (deploy/local/lb.mjs, kube-proxy's part) in
#   front of the two gateways (the API and commit URLs) and of the two kms (the CVMs' KMS URL).
# Then, every step checked:
#   1. two kms replicas release identical keys: the same app's env-encryption key and k256 key
#      from kms a and kms b (a dev-attested GetAppKey to each, unsealed by a Node.js client);
#   2. one commit token raced by 12 concurrent POSTs spread over both gateways and so over both
#      provisioning replicas (each replica's log shows some of them): exactly one 200, the
#      others refused as used (466), the CVM reboots once with the new hash;
#   3. a webhook subscribed to cvm.updated gets that update exactly once (two outbox workers
#      lease deliveries from the same table; the receiver is slow on purpose), and every delivery
#      id arrives once;
#   4. the walkthrough (deploy/local/walkthrough.sh), killing one replica of each service with
#      SIGKILL on the way: registry a and kms a before step 2, provisioning a before step 3 (its
#      CVMs keep running; the other replica takes them over), gateway a before step 5.
#   deploy/local/scale.sh [build dir]        default build/dev (the ctest chainkms_scale_e2e)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
# The dev keys, device, OS image, binaries; anvil.sh and procs.sh (stack_up is not called).
source deploy/local/stack-up.sh
source deploy/local/postgres.sh
step() { printf '\n== %s\n' "$*"; }

# Every CVM process any provisioning replica started (a SIGKILLed replica leaves its CVMs
# running): stopped by the pid files of the shared node directory, then the rest of the cleanup.
scale_cleanup() {
  local rc=$? f pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  PIDS=()
  for f in "$work"/nodes/*/*/cvm.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ "$pid" -gt 0 ] 2>/dev/null && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null \
      | grep -q -- "--cvm-id=$(basename "$(dirname "$f")") "; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  pg_remove
  stack_logs 2>/dev/null || true
  (exit "$rc")
  cleanup
}
# One log per service for the walkthrough's request-id check: both replicas' lines.
stack_logs() {
  local svc
  for svc in gateway provisioning registry kms; do
    cat "$work/$svc-a.log" "$work/$svc-b.log" >"$work/$svc.log" 2>/dev/null || true
  done
}
cvm_env() { cat "$work/nodes/node-1/$1/app.env"; }

declare -A PID_OF PORT_OF
# start NAME COMMAND... : starts a replica (log $work/NAME.log), waits for its
# "serving" line and records its pid and gRPC port.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
  PORT_OF[$name]=$(log_field "$work/$name.log" "$!" serving port) || fail "$name did not start"
}
lb() {  # lb NAME BACKEND...: a round-robin balancer; sets PORT_OF[NAME]
  local name=$1
  shift
  node deploy/local/lb.mjs "$@" >"$work/$name.log" 2>&1 &
  PIDS+=($!)
  PORT_OF[$name]=$(log_field "$work/$name.log" "$!" "lb listening" port) || fail "$name did not start"
}
kill9() {  # kill9 NAME...: SIGKILL, as a crashed pod
  local n
  for n in "$@"; do
    kill -KILL "${PID_OF[$n]}"
    wait "${PID_OF[$n]}" 2>/dev/null || true
    echo "killed $n (pid ${PID_OF[$n]}) with SIGKILL"
  done
}

anvil_start
trap scale_cleanup EXIT
make_root_keys
ca=$(jq -r .ca_public_key_spki_der "$work/keys.json")
bootstrap_contracts "$ANVIL_URL"
pg_init
pg_start
echo "anvil $ANVIL_URL, PostgreSQL 127.0.0.1:$pg_port"

export CHAINKMS_DEMO_KEY=$KEY0
for r in a b; do
  start "registry-$r" "$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" \
    --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --dev-private-key-env CHAINKMS_DEMO_KEY
  start "kms-$r" "$kms_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --key-dir "$work/keys/31337" \
    --insecure-dev-attestation --audit-log "$work/audit-$r.log" --replica "kms-$r" \
    --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0
  log_field "$work/kms-$r.log" "${PID_OF[kms-$r]}" "all chains serving" msg >/dev/null \
    || fail "kms-$r did not serve its chain"
done
both() { echo "ipv4:127.0.0.1:${PORT_OF[$1-a]},127.0.0.1:${PORT_OF[$1-b]}"; }
lb kms-lb "127.0.0.1:${PORT_OF[kms-a]}" "127.0.0.1:${PORT_OF[kms-b]}"
# The gateways' HTTP ports and the balancer's are chosen first: provisioning builds commit URLs
# on the public URL.
api_port=$(free_port)
for r in a b; do
  start "provisioning-$r" "$provisioning_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --database-url "$pg_url" --registry "$(both registry)" --replica "provisioning-$r" \
    --kms "anvil=31337;url=http://127.0.0.1:${PORT_OF[kms-lb]}" \
    --public-url "http://127.0.0.1:$api_port" --webhook-allow-private \
    --node "node-1;device_id=${device};os_image_hash=${os_image};driver=local" \
    --cvm-binary "$cvm_bin" --node-dir "$work/nodes"
done
for r in a b; do
  start "gateway-$r" "$gateway_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --provisioning "$(both provisioning)" --registry "$(both registry)" \
    --kms "$(both kms)" --health-interval 200ms
  PORT_OF[http-$r]=$(log_field "$work/gateway-$r.log" "${PID_OF[gateway-$r]}" "http listening" http_port) \
    || fail "gateway-$r has no HTTP port"
  log_field "$work/gateway-$r.log" "${PID_OF[gateway-$r]}" "backends serving; gateway SERVING" msg \
    >/dev/null || fail "gateway-$r never saw its backends serving"
done
LB_PORT=$api_port lb api-lb "127.0.0.1:${PORT_OF[http-a]}" "127.0.0.1:${PORT_OF[http-b]}"
[ "${PORT_OF[api-lb]}" = "$api_port" ] || fail "the API balancer is not on $api_port"

# Two workspaces: "race" for steps 1-3, "demo" for the walkthrough (which counts its CVMs).
for ws in race demo; do
  key=$("$gateway_bin" apikeys create --workspace "$ws" --name scale \
    --provisioning "127.0.0.1:${PORT_OF[provisioning-a]}")
  [[ "$key" =~ ^ck_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "apikeys create printed no key"
  printf -v "key_$ws" '%s' "$key"
done
export CHAINKMS_API_URL="http://127.0.0.1:$api_port/api/v1" CHAINKMS_API_KEY=$key_race
export ETH_RPC_URL=$ANVIL_URL XDG_CONFIG_HOME=$work/config
for n in registry kms provisioning gateway; do
  printf '%-13s a :%-6s b :%s\n' "$n" "${PORT_OF[$n-a]}" "${PORT_OF[$n-b]}"
done
echo "API $CHAINKMS_API_URL (gateways' HTTP :${PORT_OF[http-a]} :${PORT_OF[http-b]}), CVMs' KMS :${PORT_OF[kms-lb]}"
ck() { "$cli_bin" "$@"; }

step "1. two kms replicas release identical keys"
mkdir -p "$work/app"
printf 'services:\n  web:\n    image: nginx:1.27\n' >"$work/app/race.yml"
ck deploy -c "$work/app/race.yml" --kms anvil --name race-app --node node-1 --private-key "$KEY0" \
  --wait --json >"$work/race-deploy.json" 2>"$work/race-deploy.log" \
  || { cat "$work/race-deploy.log" >&2; fail "deploy of the race app failed"; }
race_cvm=$(jq -r .cvm_id "$work/race-deploy.json")
race_app=$(jq -r .app_id "$work/race-deploy.json")
race_hash=$(jq -r .compose_hash "$work/race-deploy.json")
claims=$(jq -cn --arg app "${race_app#0x}" --arg h "${race_hash#0x}" --arg d "${device#0x}" \
  --arg os "${os_image#0x}" --arg kp "${ca#0x}" '{app_id:$app, compose_hash:$h,
  instance_id:("11"*20), device_id:$d, mr_aggregated:("a1"*32), mr_system:("a2"*32),
  os_image_hash:$os, tcb_status:"UpToDate", advisory_ids:[], key_provider_id:$kp}')
for r in a b; do
  node tests/kms/node_kms_client.mjs "127.0.0.1:${PORT_OF[kms-$r]}" 31337 "$claims" \
    >"$work/keys-$r.json" || fail "GetAppKey from kms-$r failed"
done
for f in env_public_key k256_key_public; do
  ka=$(jq -r ".$f" "$work/keys-a.json")
  kb=$(jq -r ".$f" "$work/keys-b.json")
  [[ "$ka" =~ ^(0x)?[0-9a-f]{64,}$ ]] || fail "kms-a gave no $f: $ka"
  [ "$ka" = "$kb" ] || fail "kms-a and kms-b derived different ${f}s: $ka vs $kb"
  echo "$f: kms-a = kms-b = $ka"
done
grep -q '"issued"\|issued' "$work/audit-a.log" && grep -q 'issued' "$work/audit-b.log" \
  || fail "a kms replica did not audit its key release"

step "2. one commit token raced over both gateways and both provisioning replicas"
sink_log=$work/deliveries.jsonl
: >"$sink_log"
node deploy/local/webhook-sink.mjs "$sink_log" >"$work/sink.log" 2>&1 &
PIDS+=($!)
sink_port=$(log_field "$work/sink.log" "$!" "sink listening" port) || fail "the webhook sink did not start"
ck webhooks create --url "http://127.0.0.1:$sink_port/hook" --events cvm.updated --json \
  >"$work/hook.json" || fail "webhooks create failed"
printf 'services:\n  web:\n    image: nginx:1.28\n' >"$work/app/race.yml"
ck deploy --cvm-id "$race_cvm" -c "$work/app/race.yml" --prepare-only --json >"$work/race-prepare.json" \
  || fail "prepare-only for the race failed"
race_hash2=$(jq -r .compose_hash "$work/race-prepare.json")
token=$(jq -r .commit_token "$work/race-prepare.json")
"$cast_bin" send --rpc-url "$ANVIL_URL" --private-key "$KEY0" "$race_app" 'addComposeHash(bytes32)' \
  "$race_hash2" >/dev/null || fail "addComposeHash for the race failed"
race_id=race-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
curls=()
for i in $(seq 1 12); do
  port=${PORT_OF[http-a]}
  [ $((i % 2)) = 0 ] && port=${PORT_OF[http-b]}
  curl -sS -o "$work/race-$i.json" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
    -H "X-Request-Id: $race_id-$i" -d '{"transaction_hash":"already-registered"}' \
    "http://127.0.0.1:$port/api/v1/cvms/$race_cvm/commit-update?token=$token" >"$work/race-$i.code" &
  curls+=($!)
done
wait_codes=()
for i in $(seq 1 12); do
  wait "${curls[i - 1]}" || true
  wait_codes+=("$(cat "$work/race-$i.code" 2>/dev/null || echo none)")
done
wins=$(printf '%s\n' "${wait_codes[@]}" | grep -c '^200$' || true)
used=$(printf '%s\n' "${wait_codes[@]}" | grep -c '^466$' || true)
echo "12 concurrent commits of one token: codes ${wait_codes[*]}"
[ "$wins" = 1 ] || fail "$wins commits succeeded (want exactly 1)"
[ "$used" = 11 ] || fail "the losers were not all refused as a used token (466)"
for r in a b; do
  grep -q "\"request_id\":\"$race_id-" "$work/provisioning-$r.log" \
    || fail "provisioning-$r saw none of the racing commits: the race did not cross replicas"
done
echo "both provisioning replicas took part: a $(grep -c "\"request_id\":\"$race_id-" "$work/provisioning-a.log") lines, b $(grep -c "\"request_id\":\"$race_id-" "$work/provisioning-b.log") lines"
for _ in $(seq 1 300); do
  j=$(ck cvms get "$race_cvm" --json)
  [ "$(jq -r .status <<<"$j")" = running ] && [ "$(jq -r .compose_hash <<<"$j")" = "$race_hash2" ] && break
  sleep 0.1
done
[ "$(jq -r .compose_hash <<<"$j")" = "$race_hash2" ] || fail "the CVM did not reboot with the raced hash"
echo "the CVM runs $race_hash2"

step "3. the webhook of that update is delivered once"
for _ in $(seq 1 300); do
  [ "$(pg_sql "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")" = 0 ] \
    && grep -q "\"cvm_id\":\"$race_cvm\"" "$sink_log" && break
  sleep 0.1
done
[ "$(pg_sql "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")" = 0 ] \
  || fail "webhook deliveries still pending"
updated=$(jq -c --arg c "$race_cvm" 'select(.cvm_id == $c and .event == "cvm.updated")' "$sink_log" | wc -l)
[ "$updated" = 1 ] || fail "cvm.updated for $race_cvm arrived $updated times (want 1): $(cat "$sink_log")"
dups=$(jq -r .id "$sink_log" | sort | uniq -d)
[ -z "$dups" ] || fail "delivery ids received twice: $dups"
echo "cvm.updated for $race_cvm arrived once ($(wc -l <"$sink_log") deliveries in all, no id twice)"

step "4. the walkthrough, killing one replica of each service on the way"
kill_replicas() {
  case $1 in
    2) kill9 registry-a kms-a ;;
    3) kill9 provisioning-a ;;
    5) kill9 gateway-a ;;
  esac
}
WALKTHROUGH_HOOK=kill_replicas
CHAINKMS_API_KEY=$key_demo
source deploy/local/walkthrough.sh
for n in registry-a kms-a provisioning-a gateway-a; do
  ! kill -0 "${PID_OF[$n]}" 2>/dev/null || fail "$n is still alive"
done
echo
echo "OK: scale-out passed (identical keys from two kms, one winner of a raced commit token, a"
echo "    webhook delivered once, the walkthrough with one replica of each service killed)"
