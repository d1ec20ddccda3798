#!/usr/bin/env bash
# Deploys the chainkms contracts (committed artifacts) onto a development chain and writes their
# addresses as JSON. With no --rpc it starts its own anvil, deploys, prints the file and stops it.
#   deploy/local/bootstrap.sh --rpc http://127.0.0.1:8545 --out deploy/local/devnet.json
#   deploy/local/bootstrap.sh                     # throwaway anvil, JSON on stdout
# Needs build/dev/cli/chainkms-devnet (scripts/run or `cmake --build --preset dev`).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVNET=${CHAINKMS_DEVNET_BIN:-build/dev/cli/chainkms-devnet}
[ -x "$DEVNET" ] || { echo "missing $DEVNET: build first (cmake --build --preset dev)" >&2; exit 1; }
rpc=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rpc) rpc=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$rpc" ]; then
  source deploy/local/anvil.sh
  anvil_start
  rpc=$ANVIL_URL
fi
"$DEVNET" bootstrap --rpc "$rpc" "${args[@]}"
