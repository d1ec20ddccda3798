#!/usr/bin/env bash
# The local on-chain KMS policy demo: starts anvil, deploys DstackKms / DstackApp / Multicall3,
# deploys an app through the factory with a compose hash and a device, and reads its policy
# (one Multicall3 eth_call, and DstackKms.isAppAllowed). Anvil is stopped at the end.
#   deploy/local/demo-chain.sh [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
source deploy/local/anvil.sh
anvil_start
echo "anvil: $ANVIL_URL"
out=$(mktemp)
trap 'rm -f "$out"; anvil_stop' EXIT
"$build/cli/chainkms-devnet" bootstrap --rpc "$ANVIL_URL" --out "$out"
cat "$out"
"$build/cli/chainkms-devnet" demo --rpc "$ANVIL_URL" --devnet "$out"
