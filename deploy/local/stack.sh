#!/usr/bin/env bash
# The whole chainkms stack on loopback, and the seed's walkthrough driven by the `chainkms` CLI:
#   anvil → contracts (kmsInfo = fresh `chainkms-kms keys init` roots) → chainkms-registry →
#   chainkms-kms (dev attestation: INSECURE, local only) → chainkms-provisioning (SQLite, one
#   `local` node running chainkms-cvm processes) → chainkms-gateway → an API key, then:
#   1. chainkms deploy: a new CVM boots and gets its keys (the contract allows it);
#   2. a single-owner update: the hash is registered on chain, the CVM reboots with it;
#   3. a Safe 2-of-3 owner: --prepare-only → two owners approve addComposeHash on chain →
#      commit through the API commit URL (HTTP POST) → the CVM reboots with the new hash;
#   4. removeComposeHash on chain → the next boot is refused with the contract's reason;
#   5. device management (allow-devices list/add/remove/allow-any/disallow-any).
# Every step is checked. Then the stack stays up (endpoints and a command to try are printed)
# until Ctrl-C, unless --demo (the ctest chainkms_walkthrough_e2e) exits after the walkthrough.
#   deploy/local/stack.sh [--demo] [build dir]        default build/dev
set -euo pipefail
cd "$(dirname "$0")/../.."
demo=0
if [ "${1:-}" = --demo ]; then demo=1; shift; fi
build=${1:-build/dev}
source deploy/local/stack-up.sh
stack_up
# The env a CVM decrypted (the local node keeps it beside the CVM, mode 0600).
cvm_env() { cat "$work/nodes/node-1/$1/app.env"; }
# The services write their logs straight into $work.
stack_logs() { :; }
source deploy/local/walkthrough.sh
if [ "$demo" = 1 ]; then exit 0; fi
cat <<EOF

The stack is up (Ctrl-C stops it and removes $work):
  gateway HTTP  $CHAINKMS_API_URL    API key: $CHAINKMS_API_KEY
  gateway gRPC  127.0.0.1:$gw_port   provisioning :$prov_port  registry :$registry_port  kms :$kms_port
  anvil         $ANVIL_URL           (dev key 0 owns app $app)
Try:
  CHAINKMS_API_URL=$CHAINKMS_API_URL CHAINKMS_API_KEY=$CHAINKMS_API_KEY $cli_bin cvms list
EOF
# Ctrl-C (SIGINT) or SIGTERM ends the wait; the EXIT trap stops everything and removes $work.
trap 'exit 130' INT
trap 'exit 143' TERM
while true; do
  sleep 86400 &
  PIDS+=($!)
  wait "${PIDS[-1]}" || true
done
