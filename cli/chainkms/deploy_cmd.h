// chainkms deploy: one command for an app on an on-chain KMS (docs/cli.md).
//
//   new:     chainkms deploy -c docker-compose.yml [-e .env|KEY=VALUE …] --kms ethereum|base|<slug>
//              [--name N] [--node NODE] [--owner 0x…] [--allow-any-device] [--wait]
//              --private-key K|PRIVATE_KEY --rpc-url URL|ETH_RPC_URL
//            provision → DstackKms.deployAndRegisterApp (hash and device in the same transaction,
//            signed here) → env public key verified against kmsInfo().k256Pubkey on chain → env
//            encrypted here → commit → (--wait) until the CVM runs.
//   update:  chainkms deploy --cvm-id ID -c … [-e …] [--wait] --private-key … --rpc-url …
//            patch; a changed hash is registered on chain (addDevice first when the device is
//            missing) and confirmed with the transaction hash.
//   prepare: chainkms deploy --cvm-id ID -c … --prepare-only    (multisig / timelock owners)
//   commit:  chainkms deploy --cvm-id ID --commit --token T [--transaction-hash
//   H|already-registered]
//
// Exit 0 ok, 1 error (one line and a hint), 2 usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace chainkms::cli {

int DeployCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace chainkms::cli
