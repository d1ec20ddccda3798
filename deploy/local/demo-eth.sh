#!/usr/bin/env bash
# Demonstrates chainkms-eth against a local anvil: derive the sender, sign an EIP-1559 transaction
# offline, broadcast it, and decode it back. Anvil is started and stopped by this script.
#   deploy/local/demo-eth.sh <path to chainkms-eth>
set -euo pipefail
ETH=${1:?usage: demo-eth.sh <chainkms-eth>}
cd "$(dirname "$0")/../.."
source deploy/local/anvil.sh
anvil_start
echo "anvil: $ANVIL_URL (chain id $(rpc eth_chainId '[]'))"

# anvil's first well-known development account; never use it anywhere real.
key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
from=$("$ETH" wallet address --private-key "$key")
to=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
nonce=$(( $(rpc eth_getTransactionCount "[\"$from\",\"pending\"]") ))
echo "sender: $from (nonce $nonce)"

calldata=$("$ETH" calldata 'addComposeHash(bytes32)' 0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11)
echo "calldata addComposeHash: $calldata"
raw=$("$ETH" mktx --private-key "$key" --chain 31337 --nonce "$nonce" --gas-limit 100000 \
  --gas-price 2000000000 --priority-gas-price 1000000000 "$to" 'addComposeHash(bytes32)' \
  0x6148eabae40413a5c15aeab33343e7a219edc0cda2c2556add9a96ec76d61b11)
echo "signed offline: ${raw:0:42}…"
hash=$(rpc eth_sendRawTransaction "[\"$raw\"]")
echo "sent: $hash"
for _ in $(seq 1 50); do
  receipt=$(rpc eth_getTransactionReceipt "[\"$hash\"]")
  [ "$receipt" != null ] && break
  sleep 0.1
done
echo "mined in block $(( $(echo "$receipt" | jq -r .blockNumber) )), status $(echo "$receipt" | jq -r .status)"
# decode-transaction prints a JSON string literal, as cast does; jq unwraps it.
decoded=$("$ETH" decode-transaction "$raw" | jq -r .)
echo "decoded by chainkms-eth:"
echo "$decoded"
[ "$(echo "$decoded" | jq -r .hash)" = "$hash" ] || { echo "hash mismatch with the node" >&2; exit 1; }
[ "$(echo "$decoded" | jq -r .signer)" = "$(echo "$from" | tr A-F a-f)" ] || { echo "signer mismatch" >&2; exit 1; }
echo "the node's transaction hash and sender match ours"
echo "decoded calldata:"
"$ETH" decode-calldata 'addComposeHash(bytes32)' "$calldata"
