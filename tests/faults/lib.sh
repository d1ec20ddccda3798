# Sourced by tests/faults/fault_matrix.sh: the stack under test and the helpers its rows use.
#   build=build/dev; source tests/faults/lib.sh; faults_up
# Starts, on free loopback ports: anvil (31337) and a second anvil on chain 8453 with the same
# contracts at the same addresses, the fault proxy (tests/faults/rpc-proxy.mjs) in front of them,
# a throwaway PostgreSQL cluster (initdb in $work), chainkms-registry (endpoints /reg-a,/reg-b of
# the proxy, confirmation depth 2), chainkms-kms (endpoint /kms, dev attestation), chainkms-
# provisioning (PostgreSQL, a fake node) and chainkms-gateway. Each service keeps its ports across
# restarts, so a row can kill -9 one and start it again. Everything is stopped by PID on exit.
# The binaries, the dev keys, device and OS image, anvil.sh, procs.sh, make_root_keys and
# bootstrap_contracts (stack_up is not called).
source deploy/local/stack-up.sh
client=tests/faults/fault-client.mjs
# anvil's first dev account (public, well-known; local use only): the registry's signer.
export CHAINKMS_DEMO_KEY=$KEY0
owner=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266

# Polls `cmd…` every 50 ms until it succeeds; fails after $1 seconds. The only way rows wait.
wait_for() {
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
# Removes a PID from PIDS (a process a row killed itself).
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
kill9() {  # pid
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}
# Waits for the "serving" line of a fresh log (each start writes its own log file).
await_serving() {  # log pid what
  log_field "$1" "$2" serving port >/dev/null || fail "$3 did not start (log: $(tail -5 "$1"))"
}
starts=0
next_log() { starts=$((starts + 1)); echo "$work/$1-$starts.log"; }

# ---- the proxy ---------------------------------------------------------------------------------
proxy_mode() {  # route… mode [head=N]
  local head=0 args=("$@") r mode
  if [[ "${args[-1]}" == head=* ]]; then head=${args[-1]#head=}; unset 'args[-1]'; fi
  mode=${args[-1]}
  unset 'args[-1]'
  for r in "${args[@]}"; do
    curl -sS --max-time 5 -d "{\"mode\":\"$mode\",\"head\":$head}" \
      "http://127.0.0.1:$proxy_port/control/$r" >/dev/null || fail "proxy control $r $mode"
  done
}
proxy_held() {  # route → requests parked on it
  curl -sS --max-time 5 "http://127.0.0.1:$proxy_port/control" | jq -r --arg r "$1" '.[$r].held // 0'
}
held_on() { [ "$(proxy_held "$1")" -ge 1 ]; }
all_routes=(reg-a reg-b kms)

# ---- the chain ---------------------------------------------------------------------------------
block_number() { printf '%d' "$(rpc eth_blockNumber '[]')"; }
mine() { rpc anvil_mine "[\"0x$(printf '%x' "$1")\"]" >/dev/null; }
nonce_of() { printf '%d' "$(rpc eth_getTransactionCount "[\"$owner\",\"$1\"]")"; }
# The signer's mined transactions, counted block by block in one batch request; with no gap
# they are exactly its latest nonce, and nothing waits in the pool (pending = latest).
mined_by_owner() {
  local head i batch=""
  head=$(block_number)
  for ((i = 0; i <= head; i++)); do
    batch+="${batch:+,}{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"eth_getBlockByNumber\",\"params\":[\"$(printf '0x%x' "$i")\",true]}"
  done
  curl -sS --max-time 30 -H 'content-type: application/json' -d "[$batch]" "$ANVIL_URL" \
    | jq --arg o "$owner" '[.[].result.transactions[] | select((.from | ascii_downcase) == $o)] | length'
}
nonce_check() {  # → "nonce N = N mined, pending N" or what differs; status 1 on a gap
  local latest pending mined
  latest=$(nonce_of latest)
  pending=$(nonce_of pending)
  mined=$(mined_by_owner)
  if [ "$latest" = "$mined" ] && [ "$pending" = "$latest" ]; then
    echo "nonce $latest = $mined mined, none pending"
  else
    echo "NONCE GAP: latest $latest, pending $pending, mined $mined"
    return 1
  fi
}

# ---- calls -------------------------------------------------------------------------------------
grpc_call() {  # addr Service Method json [extra…] → one JSON line
  node "$client" "$@"
}
reg() { grpc_call "127.0.0.1:$registry_port" Registry "$@"; }
prov() { grpc_call "127.0.0.1:$prov_port" Provisioning "$1" "$2" --workspace ws-faults "${@:3}"; }
write_opts='{"wait":true,"confirmations":1,"wait_timeout_seconds":20}'
add_hash() {  # hash [options json] → AddComposeHash answer
  reg AddComposeHash "{\"chain_id\":31337,\"from\":\"$owner\",\"app_id\":\"$app\",
    \"compose_hash\":\"$1\",\"options\":${2:-$write_opts}}" "${@:3}"
}
claims() {  # compose hash → dev claims of a boot of the app on the node's device
  jq -cn --arg app "$app" --arg h "$1" --arg d "$device" --arg os "$os_image" --arg kp "$ca" \
    '{app_id:$app, compose_hash:$h, instance_id:("0x"+"11"*20), device_id:$d,
      mr_aggregated:("0x"+"a1"*32), mr_system:("0x"+"a2"*32), os_image_hash:$os,
      tcb_status:"UpToDate", advisory_ids:[], key_provider_id:$kp}'
}
get_key() { grpc_call "127.0.0.1:$kms_port" kms-key "$(claims "$1")" "${@:2}"; }
updates=0
# A prepare-only update of the CVM: sets token and new_hash.
prepare_update() {
  updates=$((updates + 1))
  local out
  out=$(prov PatchCvm "{\"cvm_id\":\"$cvm\",\"prepare_only\":true,\"compose\":{
    \"docker_compose_file\":\"services:\\n  web:\\n    image: nginx:1.27\\n    environment: [V=$updates]\\n\"}}")
  token=$(jq -r '.resp.requires_on_chain_hash.commit_token // empty' <<<"$out")
  new_hash=$(jq -r '.resp.requires_on_chain_hash.compose_hash // empty' <<<"$out")
  [ -n "$token" ] && [ -n "$new_hash" ] || fail "PatchCvm prepare_only: $out"
}
commit() {  # token tx_hash|already → CommitCvmUpdate answer (no workspace: the token is enough)
  local proof="\"tx_hash\":\"$2\""
  [ "$2" = already ] && proof='"already_registered":true'
  grpc_call "127.0.0.1:$prov_port" Provisioning CommitCvmUpdate \
    "{\"cvm_id\":\"$cvm\",\"token\":\"$1\",$proof}" "${@:3}"
}
cvm_state() {  # → "<compose hash> <revision>"
  prov GetCvm "{\"cvm_id\":\"$cvm\"}" | jq -r '"\(.resp.cvm.compose_hash) \(.resp.cvm.revision)"'
}
# A short, one-line rendering of an answer for the table.
brief() {
  jq -r 'if .ok then (if has("released") then (if .released then "key released" else "no key" end)
           else "OK" end)
         elif (.message // "") == "" then "\(.code) (no message) " + (tostring | .[0:160])
         else "\(.code) \(.reason)" + (if .released == false then ", no key" else "" end) +
              ": " + (.message | .[0:90]) end' <<<"$1"
}

# ---- services ----------------------------------------------------------------------------------
start_registry() {
  local log
  log=$(next_log registry)
  "$registry_bin" --chain "31337=$proxy/reg-a,$proxy/reg-b;kms=$kms" \
    --listen "127.0.0.1:$registry_port" --metrics-listen 127.0.0.1:0 \
    --dev-private-key-env CHAINKMS_DEMO_KEY --default-confirmations 2 --tx-poll-interval 100ms \
    "$@" >"$log" 2>&1 &
  registry_pid=$!
  PIDS+=("$registry_pid")
  await_serving "$log" "$registry_pid" chainkms-registry
}
start_kms() {
  local log
  log=$(next_log kms)
  "$kms_bin" --chain "31337=$proxy/kms;kms=$kms" --key-dir "$work/keys/31337" \
    --insecure-dev-attestation --audit-log "$work/audit.jsonl" --replica faults \
    --listen "127.0.0.1:$kms_port" --metrics-listen 127.0.0.1:0 >"$log" 2>&1 &
  kms_pid=$!
  PIDS+=("$kms_pid")
  await_serving "$log" "$kms_pid" chainkms-kms
  log_field "$log" "$kms_pid" "all chains serving" msg >/dev/null || fail "chainkms-kms: no chain"
}
start_provisioning() {
  local log
  log=$(next_log provisioning)
  "$provisioning_bin" --listen "127.0.0.1:$prov_port" --metrics-listen 127.0.0.1:0 \
    --database-url "$pg_url" \
    --registry "127.0.0.1:$registry_port" --registry-timeout 10s \
    --kms "anvil=31337;url=http://127.0.0.1:$kms_port" --public-url "http://127.0.0.1:$http_port" \
    --node "node-1;device_id=${device};os_image_hash=${os_image};driver=fake" >"$log" 2>&1 &
  prov_pid=$!
  PIDS+=("$prov_pid")
  await_serving "$log" "$prov_pid" chainkms-provisioning
}
start_gateway() {
  local log
  log=$(next_log gateway)
  "$gateway_bin" --listen "127.0.0.1:$gw_port" --metrics-listen 127.0.0.1:0 \
    --http-listen "127.0.0.1:$http_port" --provisioning "127.0.0.1:$prov_port" \
    --registry "127.0.0.1:$registry_port" --kms "127.0.0.1:$kms_port" --rate-limit 0 \
    --health-interval 200ms >"$log" 2>&1 &
  gw_pid=$!
  PIDS+=("$gw_pid")
  log_field "$log" "$gw_pid" "http listening" http_port >/dev/null || fail "the gateway did not start"
  log_field "$log" "$gw_pid" "backends serving; gateway SERVING" msg >/dev/null \
    || fail "the gateway never saw its backends serving"
}

# ---- PostgreSQL: pg_init, pg_start, pg_stop (a fast shutdown by PID), pg_remove ----------------
source deploy/local/postgres.sh
# procs.sh's cleanup, after PostgreSQL is stopped (fast shutdown: it does not wait for sessions).
faults_cleanup() {
  local rc=$?
  set +e
  pg_remove
  (exit "$rc")
  cleanup
}

faults_up() {
  anvil_start
  trap faults_cleanup EXIT
  make_root_keys
  ca=$(jq -r .ca_public_key_spki_der "$work/keys.json")
  bootstrap_contracts "$ANVIL_URL" >/dev/null

  # Another network: chain 8453 with the same contracts at the same addresses.
  local alt_port
  alt_port=$(free_port)
  # Not a *.log: anvil's banner lists its dev accounts' private keys, and the kept logs are
  # scanned for keys (scripts/scan-logs).
  "$ANVIL_BIN" --host 127.0.0.1 --port "$alt_port" --chain-id 8453 >"$work/anvil-8453.out" 2>&1 &
  PIDS+=($!)
  wait_for 20 curl -sf -o /dev/null -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "http://127.0.0.1:$alt_port" \
    || fail "anvil 8453 did not start"
  local kms_31337=$kms
  bootstrap_contracts "http://127.0.0.1:$alt_port" "$work/devnet-8453.json" >/dev/null
  [ "$kms" = "$kms_31337" ] || fail "8453's DstackKms differs"

  node tests/faults/rpc-proxy.mjs --upstream "$ANVIL_URL" \
    --alt-upstream "http://127.0.0.1:$alt_port" >"$work/rpc-proxy.log" 2>&1 &
  PIDS+=($!)
  proxy_port=$(log_field "$work/rpc-proxy.log" "${PIDS[-1]}" "rpc proxy listening" port) \
    || fail "the fault proxy did not start"
  proxy="http://127.0.0.1:$proxy_port"

  pg_init
  pg_start

  registry_port=$(free_port)
  kms_port=$(free_port)
  prov_port=$(free_port)
  gw_port=$(free_port)
  http_port=$(free_port)
  start_registry
  start_kms
  start_provisioning
  start_gateway

  # The CVM every row updates: provision → DeployApp (server-signed) → commit.
  local p d c
  p=$(prov ProvisionCvm '{"name":"faults","kms":"anvil","compose":{"docker_compose_file":"services:\n  web:\n    image: nginx:1.27\n"}}')
  jq -e .ok <<<"$p" >/dev/null || fail "ProvisionCvm: $p"
  first_hash=$(jq -r .resp.compose_hash <<<"$p")
  d=$(reg DeployApp "{\"chain_id\":31337,\"from\":\"$owner\",\"options\":$write_opts,
    \"initial_compose_hash\":\"$first_hash\",\"initial_device_id\":\"$device\"}")
  app=$(jq -r '.resp.app_id // empty' <<<"$d")
  [ -n "$app" ] || fail "DeployApp: $d"
  mine 1
  c=$(prov CommitCvmProvision "{\"app_id\":\"$app\",\"compose_hash\":\"$first_hash\",
    \"encrypted_env\":\"0x$(printf '00%.0s' $(seq 60))\"}")
  cvm=$(jq -r '.resp.cvm.id // empty' <<<"$c")
  [ -n "$cvm" ] || fail "CommitCvmProvision: $c"
}
