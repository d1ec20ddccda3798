#!/usr/bin/env bash
# The whole chainkms stack from the container image, with docker-compose (deploy/compose/
# docker-compose.yml): anvil, PostgreSQL, registry, kms (dev attestation: INSECURE, local only),
# provisioning (PostgreSQL, a `local` node running chainkms-cvm inside its container) and the
# gateway, each in its own container on a private network; then the walkthrough
# (deploy/local/walkthrough.sh) with the host's `chainkms` CLI against the published gateway.
#   deploy/compose/stack.sh [--demo] [build dir]     default build/dev (the CLI, chainkms-devnet)
# It installs docker.io, debootstrap and docker-compose when missing, starts dockerd when none
# answers (stopped by PID on exit), builds the image with scripts/container (size and build time
# printed) and the PostgreSQL image, and on exit stops the compose project and removes its
# containers, network and temp dir. --demo (the ctest chainkms_compose_e2e) exits after the
# walkthrough; without it the stack stays up until Ctrl-C.
# Environment: CHAINKMS_IMAGE (default chainkms:dev), CHAINKMS_CONTAINER_STATE (dockerd's log
# and pid file, default /tmp/chainkms-container), CHAINKMS_COMPOSE_NO_BUILD=1 (use the image as
# it is, when it exists, instead of rebuilding it from the tree).
set -euo pipefail
cd "$(dirname "$0")/../.."
demo=0
if [ "${1:-}" = --demo ]; then demo=1; shift; fi
build=${1:-build/dev}
export CHAINKMS_IMAGE=${CHAINKMS_IMAGE:-chainkms:dev}
STATE=${CHAINKMS_CONTAINER_STATE:-/tmp/chainkms-container}
log() { echo "compose: $*"; }
source deploy/compose/docker.sh
# The dev keys, device, OS image, free_port, work, fail and the host-side binaries.
source deploy/local/stack-up.sh

project=chainkms$$
dc() { docker-compose -p "$project" -f deploy/compose/docker-compose.yml "$@"; }
# Runs the image once as root (only to hand bind-mounted directories to uid 10001 and back).
as_root() { $DOCKER run --rm --user 0 --network none -v "$work:/w" "$CHAINKMS_IMAGE" "$@"; }

# Container ID of a compose service.
cid() { dc ps -q "$1"; }
# Waits (60 s, while the container runs) for a JSON log line of service $1 with message $2;
# prints its field $3.
wait_log() {
  local id line deadline=$((SECONDS + 60))
  id=$(cid "$1")
  while [ $SECONDS -lt $deadline ]; do
    line=$($DOCKER logs "$id" 2>&1 | grep -m1 "\"msg\":\"$2\"" || true)
    if [ -n "$line" ]; then jq -r ".$3" <<<"$line"; return 0; fi
    [ "$($DOCKER inspect -f '{{.State.Running}}' "$id")" = true ] || return 1
    sleep 0.2
  done
  return 1
}

# The walkthrough's hooks: the env file inside the provisioning container; the services' logs.
cvm_env() { dc exec -T provisioning cat "/nodes/node-1/$1/app.env"; }
# (Not anvil's: its banner lists the dev accounts' private keys, and kept logs are scanned for keys.)
stack_logs() {
  local svc
  for svc in gateway provisioning registry kms postgres; do
    $DOCKER logs "$(cid "$svc")" >"$work/$svc.log" 2>&1 || true
  done
}
compose_cleanup() {
  local rc=$?
  if $DOCKER info >/dev/null 2>&1; then
    stack_logs 2>/dev/null || true
    dc down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
    as_root chown -R "$(id -u):$(id -g)" /w >/dev/null 2>&1 || true
  fi
  docker_daemon_down
  (exit "$rc")
  cleanup  # procs.sh: keeps the logs, removes $work, exits with rc
}
trap compose_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ANVIL_BIN ANVIL_PORT HTTP_PORT GRPC_PORT KMS_ADDRESS KEYS_DIR NODES_DIR DEVICE_ID \
  OS_IMAGE_HASH POSTGRES_PASSWORD CHAINKMS_DEMO_KEY
ANVIL_BIN=$(readlink -f "$ANVIL_BIN")
ANVIL_PORT=$(free_port) HTTP_PORT=$(free_port) GRPC_PORT=$(free_port)
ANVIL_URL=http://127.0.0.1:$ANVIL_PORT
DEVICE_ID=$device OS_IMAGE_HASH=$os_image CHAINKMS_DEMO_KEY=$KEY0
POSTGRES_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
KEYS_DIR=$work/keys/31337 NODES_DIR=$work/nodes
KMS_ADDRESS=0x0000000000000000000000000000000000000000  # until the contracts are deployed

docker_packages docker.io debootstrap docker-compose
docker_daemon_up
if [ "${CHAINKMS_COMPOSE_NO_BUILD:-0}" = 1 ] && $DOCKER image inspect "$CHAINKMS_IMAGE" >/dev/null 2>&1; then
  log "using the existing $CHAINKMS_IMAGE (CHAINKMS_COMPOSE_NO_BUILD=1)"
else
  scripts/container | tee "$work/image.txt"
fi
start=$SECONDS
dc build -q postgres >"$work/postgres-build.txt" 2>&1 \
  || { cat "$work/postgres-build.txt" >&2; fail "the PostgreSQL image did not build"; }
log "chainkms-postgres:dev built in $((SECONDS - start))s"

# The kms root keys, made by the image's chainkms-kms as uid 10001 (0400 files in a 0700 dir).
mkdir -p "$work/keys" "$NODES_DIR"
as_root chown 10001:10001 /w/keys /w/nodes
$DOCKER run --rm --network none --user 10001 -v "$work/keys:/keys" "$CHAINKMS_IMAGE" \
  chainkms-kms keys init --dir /keys/31337 >/dev/null
$DOCKER run --rm --network none --user 10001 -v "$work/keys:/keys:ro" "$CHAINKMS_IMAGE" \
  chainkms-kms keys show --dir /keys/31337 --chain-id 31337 --json >"$work/keys.json"

dc up -d anvil postgres
for _ in $(seq 1 300); do rpc eth_chainId '[]' >/dev/null 2>&1 && break; sleep 0.1; done
rpc eth_chainId '[]' >/dev/null || fail "anvil (container) does not answer on $ANVIL_URL"
echo "anvil: $ANVIL_URL (container)"
bootstrap_contracts "$ANVIL_URL"
KMS_ADDRESS=$kms

dc up -d registry kms provisioning gateway
wait_log kms "all chains serving" msg >/dev/null || fail "chainkms-kms did not serve its chain"
$DOCKER logs "$(cid kms)" 2>&1 | grep -q 'INSECURE: --insecure-dev-attestation' \
  || fail "no dev-attestation warning"
wait_log gateway "backends serving; gateway SERVING" msg >/dev/null \
  || fail "the gateway never saw its backends serving"
db=$(wait_log provisioning "store open" database) || fail "provisioning opened no store"
[[ "$db" == postgres://*@postgres:5432/chainkms && "$db" != *"$POSTGRES_PASSWORD"* ]] \
  || fail "provisioning's store is not the PostgreSQL container (or its password was logged): $db"
echo "provisioning store: $db"
api_key=$(dc exec -T gateway chainkms-gateway apikeys create --workspace demo --name walkthrough \
  --provisioning provisioning:50053 | tr -d '\r')
[[ "$api_key" =~ ^ck_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "apikeys create printed no key"
export CHAINKMS_API_URL="http://127.0.0.1:$HTTP_PORT/api/v1" CHAINKMS_API_KEY=$api_key
export ETH_RPC_URL=$ANVIL_URL
export XDG_CONFIG_HOME=$work/config
echo "gateway: $CHAINKMS_API_URL (gRPC 127.0.0.1:$GRPC_PORT), every service in project $project:"
dc ps

source deploy/local/walkthrough.sh
if [ "$demo" = 1 ]; then exit 0; fi
cat <<EOF

The stack is up in containers (Ctrl-C stops it, removes its containers and $work):
  gateway HTTP  $CHAINKMS_API_URL    API key: $CHAINKMS_API_KEY
  gateway gRPC  127.0.0.1:$GRPC_PORT
  anvil         $ANVIL_URL           (dev key 0 owns app $app)
  docker-compose -p $project -f deploy/compose/docker-compose.yml ps|logs
EOF
while true; do
  sleep 86400 &
  PIDS+=($!)
  wait "${PIDS[-1]}" || true
done
