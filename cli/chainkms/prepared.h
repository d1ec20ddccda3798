// The --prepare-only answer of `chainkms deploy` (a multisig / timelock update waiting for the
// owner's addComposeHash): built from the gateway's 465 details, printed as the seed's block or as
// the phala CLI's JSON shape.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "nlohmann/json.hpp"

namespace chainkms::cli {

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
