#!/usr/bin/env bash
# `chainkms deploy` end to end on anvil against the minimum the flow needs, side by side, and the
# CLI's start-up time against the phala CLI (npm `phala`), whole process, with hyperfine.
#
# deploy: the whole stack on loopback (deploy/local/stack-up.sh); N new deploys with an env
# (provision → deployAndRegisterApp → env key verified on chain → encrypt → commit → --wait until
# the chainkms-cvm process runs). Each reports its chain JSON-RPC round trips (--json). The
# baseline is the chain work the flow cannot avoid, done by `cast` in the same run: one `cast send`
# of the same deployAndRegisterApp (nonce, fees, gas, send, receipt) and one `cast call
# kmsInfo()` (the env key's verification). Reported: wall time per deploy (median), the ratio to
# the baseline's wall time, and round trips against the minimum: eth_chainId (the network check),
# eth_getTransactionCount, eth_feeHistory, eth_estimateGas, eth_sendRawTransaction, one
# eth_getTransactionReceipt, one kmsInfo eth_call = 7.
#   bench/cli_deploy.sh [N] [build dir]     default 5, build/dev (a release build measures less
#                                           of the CLI's own time; the chain dominates either way)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
build=${2:-build/dev}
source deploy/local/stack-up.sh
stack_up >/dev/null

mkdir -p "$work/bench"
printf 'services:\n  web:\n    image: nginx:1.27\n' >"$work/bench/docker-compose.yml"
ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

deploy_ms=() trips=()
for i in $(seq 1 "$runs"); do
  t0=$(ms)
  "$cli_bin" deploy -c "$work/bench/docker-compose.yml" -e "BENCH=run$i" --kms anvil \
    --name "bench-app-$i" --node node-1 --private-key "$KEY0" --wait --json \
    >"$work/bench/$i.json" 2>"$work/bench/$i.log" || { cat "$work/bench/$i.log" >&2; fail "deploy $i"; }
  deploy_ms+=($(($(ms) - t0)))
  trips+=("$(jq -r .chain_round_trips "$work/bench/$i.json")")
done

# The baseline: the same factory call with cast (a fresh compose hash each time), and the read.
kms=$(jq -r .dstackKms "$work/devnet.json")
owner=$("$cast_bin" wallet address --private-key "$KEY0")
base_ms=()
for i in $(seq 1 "$runs"); do
  h=0x$(printf 'baseline-%s' "$i" | sha256sum | cut -d' ' -f1)
  t0=$(ms)
  "$cast_bin" send --rpc-url "$ANVIL_URL" --private-key "$KEY0" "$kms" \
    'deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)' "$owner" false false false \
    "$device" "$h" >/dev/null
  "$cast_bin" call --rpc-url "$ANVIL_URL" "$kms" 'kmsInfo()' >/dev/null
  base_ms+=($(($(ms) - t0)))
done

d=$(printf '%s\n' "${deploy_ms[@]}" | median)
b=$(printf '%s\n' "${base_ms[@]}" | median)
rt=$(printf '%s\n' "${trips[@]}" | median)
echo "chainkms deploy (new, env, --wait), $runs runs: median ${d} ms; baseline (cast send + cast call): median ${b} ms; ratio $(awk -v a="$d" -v b="$b" 'BEGIN { printf "%.2f", a / b }')x"
echo "chain round trips per deploy: median $rt (minimum the flow needs: 7 = chainId, nonce, fees, gas, send, receipt, kmsInfo)"
echo "per-run wall ms: ${deploy_ms[*]}; round trips: ${trips[*]}"
# One more with --debug, for the list of calls (--debug adds one read: the hash as seen on chain).
"$cli_bin" deploy -c "$work/bench/docker-compose.yml" -e BENCH=debug --kms anvil --name bench-debug \
  --node node-1 --private-key "$KEY0" --wait --debug >/dev/null 2>"$work/bench/debug.log" \
  || { cat "$work/bench/debug.log" >&2; fail "deploy --debug"; }
echo "the calls (a --debug run): $(sed -n 's/^\[debug\] chain calls: //p' "$work/bench/debug.log")"

if command -v hyperfine >/dev/null && [ -x node_modules/.bin/phala ]; then
  echo
  echo "CLI start-up, an offline command, whole process (hyperfine):"
  hyperfine -N --warmup 3 --runs 30 \
    -n 'chainkms compose hash' "$cli_bin compose hash -c $work/bench/docker-compose.yml" \
    -n 'chainkms --help' "$cli_bin --help" \
    -n 'phala --version (npm phala 1.1.18)' "node_modules/.bin/phala --version" \
    -n 'phala --help' "node_modules/.bin/phala --help" 2>&1 | grep -Ev '^\s*$'
fi
