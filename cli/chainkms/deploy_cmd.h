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

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace chainkms::cli {

int DeployCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The --prepare-only answer, as printed.
struct PreparedUpdate {
  std::string cvm_id;
  std::string compose_hash;  // 0x…
  std::string app_id;        // 0x…
  std::string device_id;     // 0x…
  uint64_t chain_id = 0;
  std::string commit_token;
  std::string commit_url;
  std::string api_commit_url;
  std::string expires_at;
  std::string calldata;  // addComposeHash(bytes32) calldata, 0x…
  bool compose_hash_allowed = false;
  bool device_id_allowed = false;
  bool is_allowed = false;
};

// The text block of --prepare-only (golden-tested).
std::string RenderPrepared(const PreparedUpdate& p);
// Its --json shape (the phala CLI's, plus calldata and expires_at).
nlohmann::json PreparedJson(const PreparedUpdate& p, const nlohmann::json& kms_info);
// A PreparedUpdate from the gateway's 465 details (field → value).
PreparedUpdate PreparedFromDetails(const std::string& cvm_id,
                                   const std::map<std::string, nlohmann::json>& details);

}  // namespace chainkms::cli
