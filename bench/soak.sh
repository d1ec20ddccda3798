#!/usr/bin/env bash
# Soak: the whole stack on loopback (deploy/local/stack-up.sh: anvil, registry, kms with dev
# attestation, provisioning on SQLite with a local node of chainkms-cvm processes, the gateway)
# under the walkthrough's mix (bench/soak_load.cc: CVM reads, is-allowed, the env key, the dev key
# request to kms, prepare-only updates, commits, new deploys), first closed loop for
# --peak-seconds to measure the peak, then open loop at --load × peak for --duration seconds.
# Reports throughput, p50/p99, errors (goal 0) and the RSS of registry, kms, provisioning and the
# gateway (goal: ≤ 10 % growth from the end of the warm-up, 20 % of the run, to the end); exits
# non-zero when any operation failed or a service grew more than that.
#   bench/soak.sh [--duration S] [--peak-seconds S] [--load F] [build dir]
#       defaults: 600 s, 15 s, 0.7, build/dev (ctest chainkms_soak_smoke: --duration 60)
# The gateway runs without its per-key rate limit (CHAINKMS_RATE_LIMIT=0): the soak is one key.
set -euo pipefail
cd "$(dirname "$0")/.."
gen_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration | --peak-seconds | --load | --threads | --workers | --cvms | --deploy-weight | --max-deploys | \
      --json-out)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      gen_args+=("$1" "$2")
      shift 2
      ;;
    -*) echo "unknown flag $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
build=${1:-build/dev}
gen=$build/bench/chainkms_soak_load
[ -x "$gen" ] || { echo "missing $gen (cmake --build --preset dev --target chainkms_soak_load)" >&2; exit 1; }

export CHAINKMS_RATE_LIMIT=0
source deploy/local/stack-up.sh
stack_up

export SOAK_KMS=127.0.0.1:$kms_port
SOAK_CA_SPKI=$(jq -r .ca_public_key_spki_der "$work/keys.json")
export SOAK_CA_SPKI SOAK_OS_IMAGE=$os_image
# anvil's dev account 4 (public, local only): deploys the soak's apps; no service signs with it.
export SOAK_DEPLOYER_KEY=0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a
# stack_up started registry and kms first (PIDS[0], PIDS[1]), then provisioning and the gateway.
"$gen" "${gen_args[@]}" --pid "registry=${PIDS[0]}" --pid "kms=${PIDS[1]}" \
  --pid "provisioning=$prov_pid" --pid "gateway=$gw_pid"
