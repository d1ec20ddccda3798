#!/usr/bin/env bash
# The fault matrix (ctest chainkms_fault_matrix; tests/faults/README.md says what each row does):
# the whole stack on loopback (tests/faults/lib.sh) with a fault proxy in front of anvil, then one
# fault per row — a dead RPC endpoint, HTTP 429, garbage, `result: null`, another chain, a lagging
# node, reorgs, PostgreSQL down and back, kill -9 of each service mid-flow, a node that loses its
# mempool — each checked against what it must do: no commit lost or applied twice, no nonce gap,
# no key released on a failed read, a clear error for the client. Prints fault → expected →
# observed; exits non-zero when an observed outcome differs from the expected one.
#   tests/faults/fault_matrix.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
source tests/faults/lib.sh
started=$SECONDS
faults_up

rows=()
failed=0
# row FAULT EXPECTED OBSERVED VERDICT(ok|FAIL)
row() {
  rows+=("$1"$'\x1f'"$2"$'\x1f'"$3"$'\x1f'"$4")
  case $4 in
    ok) ;;
    *) failed=$((failed + 1)) ;;
  esac
  printf '%-5s [%3ds] %s — %s\n' "$4" "$((SECONDS - started))" "$1" "$3" >&2
}
verdict() { if "$@"; then echo ok; else echo FAIL; fi; }
# is ANSWER CODE REASON MESSAGE-REGEX: a refusal with that code, reason and wording, and no key.
is() {
  jq -e --arg c "$2" --arg r "$3" --arg m "$4" \
    '.ok == false and .code == $c and .reason == $r and (.message | test($m; "i")) and
     (.released // false) == false' <<<"$1" >/dev/null
}
revision() { cvm_state | cut -d' ' -f2; }
compose_hash() { cvm_state | cut -d' ' -f1; }
# The CVM moved to `hash` with exactly one more revision than `before`.
applied_once() { [ "$(cvm_state)" = "$1 $(($2 + 1))" ]; }
used() { is "$1" FAILED_PRECONDITION HASH_INVALID_OR_EXPIRED 'already applied'; }
# A prepared update whose hash is registered on chain 2 deep (tx in $tx), ready to commit.
ready_update() {
  prepare_update
  local a
  a=$(add_hash "$new_hash")
  tx=$(jq -r '.resp.transaction.tx_hash // empty' <<<"$a")
  [ -n "$tx" ] || fail "AddComposeHash: $a"
  mine 1
}

# ---- 1-6: the kms's only endpoint, and both of the registry's, answer badly -------------------
endpoint_fault() {  # mode label message-regex
  local mode=$1 label=$2 msg=$3 key w c before ok after
  proxy_mode kms "$mode"
  key=$(get_key "$first_hash")
  proxy_mode kms pass
  row "$label: kms endpoint" "UNAVAILABLE CHAIN_UNAVAILABLE, no key" "$(brief "$key")" \
    "$(verdict is "$key" UNAVAILABLE CHAIN_UNAVAILABLE "$msg")"

  prepare_update
  before=$(revision)
  local n0
  n0=$(nonce_of pending)
  proxy_mode reg-a reg-b "$mode"
  w=$(add_hash "$new_hash")
  c=$(commit "$token" already)
  proxy_mode reg-a reg-b pass
  ok=1
  is "$w" UNAVAILABLE CHAIN_UNAVAILABLE "$msg" && is "$c" UNAVAILABLE CHAIN_UNAVAILABLE "$msg" \
    && [ "$(nonce_of pending)" = "$n0" ] && [ "$(revision)" = "$before" ] || ok=0
  row "$label: both registry endpoints" \
    "write and commit UNAVAILABLE CHAIN_UNAVAILABLE; nothing sent or applied" \
    "write: $(brief "$w") | commit: $(brief "$c") | nonce $(nonce_of pending) (was $n0), rev $(revision)" \
    "$( ((ok)) && echo ok || echo FAIL)"
  w=$(add_hash "$new_hash")
  mine 1
  c=$(commit "$token" "$(jq -r .resp.transaction.tx_hash <<<"$w")")
  after=$(nonce_check) || true
  ok=1
  jq -e .ok <<<"$c" >/dev/null && applied_once "$new_hash" "$before" && [[ "$after" != NONCE* ]] \
    || ok=0
  row "$label: endpoints back" "the same write and commit succeed; applied once; no nonce gap" \
    "write: $(brief "$w") nonce $(jq -r .resp.transaction.nonce <<<"$w") | commit: $(brief "$c") | $after" \
    "$( ((ok)) && echo ok || echo FAIL)"
}
endpoint_fault down "RPC endpoint down" 'empty reply|connect|refused|reset'
endpoint_fault 429 "HTTP 429" '429|rate'
endpoint_fault garbage "garbage JSON" 'not JSON'
endpoint_fault null "result: null" 'null'

# Failover: the registry's first endpoint is down, its second serves.
prepare_update
before=$(revision)
proxy_mode reg-a down
w=$(add_hash "$new_hash")
mine 1
c=$(commit "$token" "$(jq -r '.resp.transaction.tx_hash // "0x00"' <<<"$w")")
proxy_mode reg-a pass
row "primary RPC endpoint down, backup up" "registry fails over: write and commit succeed once" \
  "write: $(brief "$w") | commit: $(brief "$c") | rev $before → $(revision)" \
  "$(verdict applied_once "$new_hash" "$before")"

# ---- wrong chain id ------------------------------------------------------------------------------
proxy_mode kms wrong-chain
key=$(get_key "$first_hash")
proxy_mode kms pass
row "wrong chain id: kms endpoint on chain 8453" "UNAVAILABLE, no key, names the other chain" \
  "$(brief "$key")" "$(verdict is "$key" UNAVAILABLE CHAIN_UNAVAILABLE 'another chain.*8453')"
ready_update
before=$(revision)
proxy_mode reg-a reg-b wrong-chain
c=$(commit "$token" "$tx")
proxy_mode reg-a reg-b pass
ok=1
is "$c" UNAVAILABLE CHAIN_UNAVAILABLE 'another chain.*8453' && [ "$(revision)" = "$before" ] || ok=0
row "wrong chain id: registry endpoints on chain 8453" \
  "commit UNAVAILABLE naming the other chain; not applied" "commit: $(brief "$c") | rev $(revision)" \
  "$( ((ok)) && echo ok || echo FAIL)"
c=$(commit "$token" "$tx")
row "wrong chain id: endpoints fixed" "the commit is applied once" "commit: $(brief "$c")" \
  "$(verdict applied_once "$new_hash" "$before")"
prepare_update
n0=$(nonce_of pending)
proxy_mode reg-a reg-b wrong-chain
w=$(add_hash "$new_hash")
proxy_mode reg-a reg-b pass
ok=0
is "$w" UNAVAILABLE CHAIN_UNAVAILABLE 'another chain' && ok=1
[ "$(nonce_of pending)" = "$n0" ] || ok=-1
row "wrong chain id: a registry write" "nothing sent; UNAVAILABLE naming the other chain" \
  "$(brief "$w") | nonce $(nonce_of pending) (was $n0)" \
  "$( ((ok == 1)) && echo ok || echo FAIL)"

# ---- a lagging node ------------------------------------------------------------------------------
prepare_update
before=$(revision)
a=$(add_hash "$new_hash")
tx=$(jq -r .resp.transaction.tx_hash <<<"$a")
blk=$(jq -r .resp.transaction.block_number <<<"$a")
mine 1
proxy_mode reg-a reg-b kms lag head=$((blk - 1))
c=$(commit "$token" "$tx")
key=$(get_key "$new_hash")
proxy_mode reg-a reg-b kms pass
ok=1
is "$c" FAILED_PRECONDITION HASH_NOT_ALLOWED 'not allowed' && [ "$(revision)" = "$before" ] || ok=0
jq -e --arg b "$((blk - 1))" '.reason == "BOOT_DENIED" and .metadata.block_number == $b' \
  <<<"$key" >/dev/null || ok=0
row "lagging node (head pinned before the registration)" \
  "commit refused (hash not on chain at its head), kms denies at the old block; no key" \
  "commit: $(brief "$c") | key: $(brief "$key") at block $(jq -r .metadata.block_number <<<"$key")" \
  "$( ((ok)) && echo ok || echo FAIL)"
c=$(commit "$token" "$tx")
key=$(get_key "$new_hash")
ok=1
applied_once "$new_hash" "$before" && jq -e .released <<<"$key" >/dev/null || ok=0
row "lagging node caught up" "commit applied once; key released" \
  "commit: $(brief "$c") | key: $(brief "$key")" "$( ((ok)) && echo ok || echo FAIL)"

# ---- reorgs ---------------------------------------------------------------------------------------
prepare_update
before=$(revision)
a=$(add_hash "$new_hash")
tx=$(jq -r .resp.transaction.tx_hash <<<"$a")
old_block=$(jq -r .resp.transaction.block_hash <<<"$a")
c1=$(commit "$token" "$tx")
raw=$(rpc eth_getRawTransactionByHash "[\"$tx\"]")
rpc anvil_reorg "[1, [[\"$raw\", 0]]]" >/dev/null
new_block=$(rpc eth_getTransactionReceipt "[\"$tx\"]" | jq -r .blockHash)
mine 1
c2=$(commit "$token" "$tx")
c3=$(commit "$token" "$tx")
ok=1
jq -e '.ok == false and .reason == "TRANSACTION_VERIFICATION_FAILED"' <<<"$c1" >/dev/null \
  || is "$c1" FAILED_PRECONDITION TRANSACTION_VERIFICATION_FAILED '1 deep' || ok=0
[ "$new_block" != "$old_block" ] && applied_once "$new_hash" "$before" && used "$c3" || ok=0
row "reorg (depth 1) under a registered hash, depth 2 required" \
  "commit refused until 2 deep; after the reorg applied once on the new block; again: already applied" \
  "1 deep: $(brief "$c1") | reorg moved the tx to ${new_block:0:10}… | 2 deep: $(brief "$c2") | again: $(brief "$c3")" \
  "$( ((ok)) && echo ok || echo FAIL)"

prepare_update
before=$(revision)
snap=$(rpc evm_snapshot '[]')
tx=$(add_hash "$new_hash" | jq -r .resp.transaction.tx_hash)
mine 1
old_tx=$tx
c1=$(commit "$token" "$tx")
k1=$(get_key "$new_hash")
# The chain goes back past the registration (a reorg deeper than the confirmation depth).
rpc evm_revert "[\"$snap\"]" >/dev/null
mine 3
k2=$(get_key "$new_hash")
c2=$(commit "$token" "$tx")
gone_nonce=$(nonce_of latest)
prepare_update
w=$(add_hash "$new_hash")
after=$(nonce_check) || true
ok=1
jq -e '.ok and .released' <<<"$k1" >/dev/null && is "$k2" PERMISSION_DENIED BOOT_DENIED 'not allowed' \
  && used "$c2" && [ "$(jq -r .resp.transaction.nonce <<<"$w")" = "$gone_nonce" ] \
  && [[ "$after" != NONCE* ]] || ok=0
row "reorg deeper than the depth, after the commit" \
  "kms denies the vanished hash (no key); commit not re-applied; the next write reuses the nonce" \
  "before: $(brief "$k1") | after: $(brief "$k2") | commit again: $(brief "$c2") | next write nonce $(jq -r .resp.transaction.nonce <<<"$w") | $after" \
  "$( ((ok)) && echo ok || echo FAIL)"
t=$(reg GetTransaction "{\"chain_id\":31337,\"tx_hash\":\"$old_tx\"}")
st=$(jq -r '.resp.transaction.state // .reason' <<<"$t")
row "reorg deeper than the depth: GetTransaction of the vanished tx" \
  "not CONFIRMED (its block is gone)" "$st, final=$(jq -r .resp.transaction.final <<<"$t")" \
  "$([ "$st" != TRANSACTION_STATE_CONFIRMED ] && echo ok || echo FAIL)"

# ---- PostgreSQL down and back --------------------------------------------------------------------
ready_update
before=$(revision)
pg_stop
c1=$(commit "$token" "$tx")
pg_start
c2=$(commit "$token" "$tx")
c3=$(commit "$token" "$tx")
ok=1
is "$c1" UNAVAILABLE STORE_UNAVAILABLE '.' && applied_once "$new_hash" "$before" && used "$c3" || ok=0
row "PostgreSQL down, then back" \
  "commit UNAVAILABLE STORE_UNAVAILABLE; after restart applied once; again: already applied" \
  "down: $(brief "$c1") | back: $(brief "$c2") | again: $(brief "$c3")" \
  "$( ((ok)) && echo ok || echo FAIL)"

# ---- kill -9 mid-flow ----------------------------------------------------------------------------
held_on_registry() { held_on reg-a || held_on reg-b; }
pending_above_latest() { [ "$(nonce_of pending)" -gt "$(nonce_of latest)" ]; }
# registry: killed with its write broadcast and unmined.
prepare_update
before=$(revision)
rpc evm_setAutomine '[false]' >/dev/null
add_hash "$new_hash" >"$work/write.json" &
bg=$!
wait_for 20 pending_above_latest || fail "the registry's write never reached the pool"
kill9 "$registry_pid"
wait "$bg" || true
rpc evm_setAutomine '[true]' >/dev/null
mine 2
start_registry
# UNAVAILABLE means "retry later": provisioning's channel to the registry reconnects on its own
# backoff, so the commit is retried (bounded) until it answers something else.
c=$(commit "$token" already)
retry_deadline=$((SECONDS + 20))
while jq -e '.code == "UNAVAILABLE"' <<<"$c" >/dev/null && [ "$SECONDS" -lt "$retry_deadline" ]; do
  sleep 0.2
  c=$(commit "$token" already)
done
after=$(nonce_check) || true
w=$(cat "$work/write.json")
ok=1
jq -e '.ok == false and .code == "UNAVAILABLE"' <<<"$w" >/dev/null \
  && applied_once "$new_hash" "$before" && [[ "$after" != NONCE* ]] || ok=0
row "kill -9 registry mid-write (tx in the pool)" \
  "client UNAVAILABLE; the tx is mined once; after restart commit applied once; no nonce gap" \
  "client: $(brief "$w") | commit: $(brief "$c") | $after" "$( ((ok)) && echo ok || echo FAIL)"

# kms: killed while its chain read is in flight.
proxy_mode kms hold
get_key "$first_hash" >"$work/key.json" &
bg=$!
wait_for 20 held_on kms || fail "the kms never read the chain"
kill9 "$kms_pid"
wait "$bg" || true
proxy_mode kms pass
start_kms
key=$(get_key "$first_hash")
k=$(cat "$work/key.json")
audit=ok
"$kms_bin" audit verify "$work/audit.jsonl" >/dev/null 2>&1 || audit=broken
ok=1
jq -e '.ok == false and .code == "UNAVAILABLE" and .released == false' <<<"$k" >/dev/null \
  && jq -e .released <<<"$key" >/dev/null && [ "$audit" = ok ] || ok=0
row "kill -9 kms mid-GetAppKey (chain read in flight)" \
  "client UNAVAILABLE, no key; after restart the key is released; the audit log verifies" \
  "client: $(brief "$k") | after restart: $(brief "$key") | audit $audit" \
  "$( ((ok)) && echo ok || echo FAIL)"

# provisioning: killed while the commit's registry read is in flight.
ready_update
before=$(revision)
proxy_mode reg-a reg-b hold
commit "$token" "$tx" >"$work/commit.json" &
bg=$!
wait_for 20 held_on_registry || fail "the commit never reached the chain"
kill9 "$prov_pid"
wait "$bg" || true
proxy_mode reg-a reg-b pass
start_provisioning
c1=$(cat "$work/commit.json")
c2=$(commit "$token" "$tx")
c3=$(commit "$token" "$tx")
ok=1
jq -e '.ok == false and .code == "UNAVAILABLE"' <<<"$c1" >/dev/null \
  && applied_once "$new_hash" "$before" && used "$c3" || ok=0
row "kill -9 provisioning mid-commit" \
  "client UNAVAILABLE; retry after restart applied once; again: already applied" \
  "client: $(brief "$c1") | retry: $(brief "$c2") | again: $(brief "$c3")" \
  "$( ((ok)) && echo ok || echo FAIL)"

# gateway: killed during an HTTP commit (the commit URL's POST).
ready_update
before=$(revision)
http_commit() {
  curl -sS --max-time 30 -o "$1" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"token\":\"$token\",\"transaction_hash\":\"$tx\"}" \
    "http://127.0.0.1:$http_port/api/v1/cvms/$cvm/commit-update" 2>"$1.err" || true
}
proxy_mode reg-a reg-b hold
http_commit "$work/http1.json" >"$work/http1.code" &
bg=$!
wait_for 20 held_on_registry || fail "the HTTP commit never reached the chain"
kill9 "$gw_pid"
wait "$bg" || true
proxy_mode reg-a reg-b pass
start_gateway
code1=$(cat "$work/http1.code")
err1=$(head -c 120 "$work/http1.json.err")
code2=$(http_commit "$work/http2.json")
body2=$(head -c 160 "$work/http2.json")
ok=1
# The interrupted commit may still finish inside provisioning; either way it lands once.
[ "$code1" = 000 ] && applied_once "$new_hash" "$before" || ok=0
[ "$code2" = 200 ] || grep -q 'already applied' <<<"$body2" || ok=0
row "kill -9 gateway mid-HTTP-commit" \
  "client sees the connection drop; the retry succeeds or says already applied; applied once" \
  "client: HTTP $code1 ${err1} | retry: HTTP $code2 ${body2:0:80} | rev $before → $(revision)" \
  "$( ((ok)) && echo ok || echo FAIL)"

# ---- a node that loses its mempool --------------------------------------------------------------
prepare_update
rpc evm_setAutomine '[false]' >/dev/null
add_hash "$new_hash" '{"wait":true,"confirmations":1,"wait_timeout_seconds":2}' >"$work/write.json" &
bg=$!
wait_for 20 pending_above_latest || fail "the registry's write never reached the pool"
lost_nonce=$(nonce_of latest)
rpc anvil_dropAllTransactions '[]' >/dev/null
rpc evm_setAutomine '[true]' >/dev/null
mine 1
wait "$bg" || true
w1=$(cat "$work/write.json")
lost_tx=$(jq -r '.resp.transaction.tx_hash // empty' <<<"$w1")
w2=$(add_hash "$new_hash")
mine 1
t=$(reg GetTransaction "{\"chain_id\":31337,\"tx_hash\":\"$lost_tx\"}")
receipt=$(rpc eth_getTransactionReceipt "[\"$lost_tx\"]")
after=$(nonce_check) || true
ok=1
[ "$(jq -r .resp.transaction.state <<<"$w1")" != TRANSACTION_STATE_CONFIRMED ] \
  && [ "$(jq -r .resp.transaction.nonce <<<"$w2")" = "$lost_nonce" ] && [ "$receipt" = null ] \
  && [ "$(jq -r .resp.transaction.state <<<"$t")" = TRANSACTION_STATE_DROPPED ] \
  && [[ "$after" != NONCE* ]] || ok=0
row "node loses its mempool (anvil_dropAllTransactions)" \
  "the write is not reported confirmed; the next write reuses the nonce; the lost tx is DROPPED, never mined" \
  "first: $(jq -r '.resp.transaction.state // .code' <<<"$w1") | next write nonce $(jq -r .resp.transaction.nonce <<<"$w2") (lost $lost_nonce) | lost tx: $(jq -r '.resp.transaction.state // .reason' <<<"$t") | $after" \
  "$( ((ok)) && echo ok || echo FAIL)"

# ---- the table -----------------------------------------------------------------------------------
echo
echo "Fault matrix ($((SECONDS - started)) s):"
printf '| %s | %s | %s | %s |\n' fault expected observed verdict
printf '|---|---|---|---|\n'
for r in "${rows[@]}"; do
  IFS=$'\x1f' read -r f e o v <<<"$r"
  printf '| %s | %s | %s | %s |\n' "$f" "$e" "$o" "$v"
done
echo
echo "${#rows[@]} rows: $((${#rows[@]} - failed)) ok, $failed failed"
[ "$failed" = 0 ] || fail "$failed row(s) differ from what they expect"
