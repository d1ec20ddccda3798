# Sourced by deploy/local/stack.sh and bench/cli_deploy.sh: the whole chainkms stack on loopback.
#   build=build/dev; source deploy/local/stack-up.sh; stack_up
# starts anvil (contracts deployed, kmsInfo = fresh `chainkms-kms keys init` roots), registry,
# kms (--insecure-dev-attestation, announced), provisioning (SQLite, a `local` node running
# chainkms-cvm) and the gateway on free loopback ports, mints an API key and exports
# CHAINKMS_API_URL, CHAINKMS_API_KEY, ETH_RPC_URL and XDG_CONFIG_HOME (so no user profile is
# read). Everything it started is stopped on exit (cleanup, an EXIT trap), by PID.
bin() { echo "$build/$1"; }
registry_bin=$(bin services/registry/chainkms-registry)
kms_bin=$(bin services/kms/chainkms-kms)
provisioning_bin=$(bin services/provisioning/chainkms-provisioning)
gateway_bin=$(bin services/gateway/chainkms-gateway)
devnet_bin=$(bin cli/chainkms-devnet)
cvm_bin=$(bin cli/chainkms-cvm)
cli_bin=$(bin cli/chainkms)
cast_bin=node_modules/.bin/cast
for b in "$registry_bin" "$kms_bin" "$provisioning_bin" "$gateway_bin" "$devnet_bin" "$cvm_bin" \
         "$cli_bin"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done


# anvil's well-known dev accounts (public; local use only): 0 deploys and owns app A, 1-3 own the Safe.
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
KEY2=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
KEY3=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
ADDR1=$("$cast_bin" wallet address --private-key "$KEY1")
ADDR2=$("$cast_bin" wallet address --private-key "$KEY2")
ADDR3=$("$cast_bin" wallet address --private-key "$KEY3")
device=0x00000000000000000000000000000000000000000000000000000000000000d1
device2=0x00000000000000000000000000000000000000000000000000000000000000d2
os_image=0x$(printf 'chainkms-devnet-os-image' | sha256sum | cut -d' ' -f1)

source deploy/local/anvil.sh
source deploy/local/procs.sh

# make_root_keys: fresh kms root keys for chain 31337 in $work/keys/31337 (`chainkms-kms keys
# init`), their public halves in $work/keys.json (`keys show --json`).
make_root_keys() {
  "$kms_bin" keys init --dir "$work/keys/31337" >/dev/null
  "$kms_bin" keys show --dir "$work/keys/31337" --chain-id 31337 --json >"$work/keys.json"
}
# bootstrap_contracts RPC_URL [OUT]: deploys the contracts with chainkms-devnet (DstackKms's
# kmsInfo = the root keys in $work/keys.json); writes OUT (default $work/devnet.json) and sets kms
# (the DstackKms address).
bootstrap_contracts() {
  local out=${2:-$work/devnet.json}
  "$devnet_bin" bootstrap --rpc "$1" --out "$out" \
    --k256-pubkey "$(jq -r .k256_public_key "$work/keys.json")" \
    --ca-pubkey "$(jq -r .ca_public_key_spki_der "$work/keys.json")" >/dev/null 2>&1 \
    || fail "chainkms-devnet bootstrap on $1 failed"
  kms=$(jq -r '.dstackKms' "$out")
  [[ "$kms" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no dstackKms in the bootstrap output"
  echo "DstackKms: $kms"
}

stack_up() {
  anvil_start
trap cleanup EXIT
echo "anvil: $ANVIL_URL"
make_root_keys
bootstrap_contracts "$ANVIL_URL"

export CHAINKMS_DEMO_KEY=$KEY0
"$registry_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --dev-private-key-env CHAINKMS_DEMO_KEY >"$work/registry.log" 2>&1 &
PIDS+=($!)
registry_port=$(log_field "$work/registry.log" "${PIDS[-1]}" serving port) \
  || fail "chainkms-registry did not start"

"$kms_bin" --chain "31337=${ANVIL_URL};kms=${kms}" --key-dir "$work/keys/31337" \
  --insecure-dev-attestation --audit-log "$work/audit.log" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 >"$work/kms.log" 2>&1 &
PIDS+=($!)
kms_port=$(log_field "$work/kms.log" "${PIDS[-1]}" serving port) || fail "chainkms-kms did not start"
log_field "$work/kms.log" "${PIDS[-1]}" "all chains serving" msg >/dev/null \
  || fail "chainkms-kms did not serve its chain"
grep -q 'INSECURE: --insecure-dev-attestation' "$work/kms.log" || fail "no dev-attestation warning"
echo "WARNING: chainkms-kms runs with --insecure-dev-attestation (local stack only: any process"
echo "         that claims a boot is believed; real CVMs prove theirs with Intel TDX quotes)"

prov_args=(--node "node-1;device_id=${device};os_image_hash=${os_image};driver=local"
  --cvm-binary "$cvm_bin" --node-dir "$work/nodes")
gw_args=()
start_provisioning_and_gateway prov_args gw_args
gw_port=$(log_field "$work/gateway.log" "$gw_pid" serving port)

api_key=$("$gateway_bin" apikeys create --workspace demo --name walkthrough \
  --provisioning "127.0.0.1:$prov_port")
[[ "$api_key" =~ ^ck_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "apikeys create printed no key"
export CHAINKMS_API_URL="http://127.0.0.1:$http_port/api/v1" CHAINKMS_API_KEY=$api_key
export ETH_RPC_URL=$ANVIL_URL
export XDG_CONFIG_HOME=$work/config  # no profile of the user's is read
echo "gateway: $CHAINKMS_API_URL (gRPC 127.0.0.1:$gw_port); provisioning :$prov_port, registry :$registry_port, kms :$kms_port"
}
