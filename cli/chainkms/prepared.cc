#include "cli/chainkms/prepared.h"

#include <sstream>

#include "cli/chainkms/common.h"
#include "cli/chainkms/onchain.h"

namespace chainkms::cli {
namespace {

std::string Str(const std::map<std::string, nlohmann::json>& d, const std::string& k) {
  auto it = d.find(k);
  return it != d.end() && it->second.is_string() ? it->second.get<std::string>() : "";
}

}  // namespace

PreparedUpdate PreparedFromDetails(const std::string& cvm_id,
                                   const std::map<std::string, nlohmann::json>& d) {
  PreparedUpdate p;
  p.cvm_id = cvm_id;
  p.compose_hash = With0x(Str(d, "compose_hash"));
  p.app_id = With0x(Str(d, "app_id"));
  p.device_id = With0x(Str(d, "device_id"));
  p.commit_token = Str(d, "commit_token");
  p.commit_url = Str(d, "commit_url");
  p.api_commit_url = Str(d, "api_commit_url");
  p.expires_at = Str(d, "expires_at");
  if (auto it = d.find("kms_info"); it != d.end() && it->second.is_object()) {
    p.chain_id = V(it->second, "chain_id", uint64_t{0});
  }
  if (auto it = d.find("onchain_status"); it != d.end() && it->second.is_object()) {
    p.compose_hash_allowed = V(it->second, "compose_hash_allowed", false);
    p.device_id_allowed = V(it->second, "device_id_allowed", false);
    p.is_allowed = V(it->second, "is_allowed", false);
  }
  if (auto it = d.find("onchain_action"); it != d.end() && it->second.is_object()) {
    p.calldata = V(it->second, "calldata", "");
  }
  return p;
}

std::string RenderPrepared(const PreparedUpdate& p) {
  auto or_na = [](const std::string& s) { return s.empty() ? std::string("N/A") : s; };
  auto reg = [](bool b) { return b ? "registered" : "NOT registered"; };
  std::ostringstream o;
  const std::string explorer = ExplorerUrl(p.chain_id);
  o << "CVM update prepared successfully (pending on-chain approval).\n\n"
    << "Compose Hash:    " << p.compose_hash << "\n"
    << "App ID:          " << p.app_id << "\n"
    << "Device ID:       " << p.device_id << "\n"
    << "Chain:           " << ChainLabel(p.chain_id) << "\n"
    << "Contract:        "
    << (explorer.empty() ? p.app_id + " (no block explorer for this chain)"
                         : explorer + "/address/" + p.app_id)
    << "\n"
    << "Commit Token:    " << or_na(p.commit_token) << "\n"
    << "Commit URL:      " << or_na(p.commit_url) << "\n"
    << "API Commit URL:  " << or_na(p.api_commit_url) << " (POST)\n";
  if (!p.expires_at.empty()) o << "Expires:         " << p.expires_at << "\n";
  o << "\nOn-chain Status:\n"
    << "  Compose Hash:  " << reg(p.compose_hash_allowed) << "\n"
    << "  Device ID:     " << reg(p.device_id_allowed) << "\n";
  if (p.is_allowed) {
    o << "  All prerequisites met. You can commit with --transaction-hash already-registered.\n";
  }
  o << "\nTo approve, the app owner (Safe multisig, timelock or DAO) calls\n"
    << "  addComposeHash(bytes32) on " << p.app_id << " with " << p.compose_hash << "\n";
  if (!p.calldata.empty())
    o << "  (to " << p.app_id << ", value 0, calldata " << p.calldata << ")\n";
  if (!p.device_id_allowed) {
    o << "  and addDevice(bytes32) with " << p.device_id << " (or setAllowAnyDevice(true))\n";
  }
  o << "\nThen commit the update:\n"
    << "  chainkms deploy --cvm-id " << p.cvm_id << " \\\n"
    << "    --commit \\\n"
    << "    --token " << or_na(p.commit_token) << " \\\n"
    << "    --compose-hash " << p.compose_hash << " \\\n"
    << "    --transaction-hash <tx-hash>\n"
    << "or POST the API Commit URL with {\"transaction_hash\": \"<tx-hash>\"}.\n";
  return o.str();
}

nlohmann::json PreparedJson(const PreparedUpdate& p, const nlohmann::json& kms_info) {
  const std::string explorer = ExplorerUrl(p.chain_id);
  return {{"success", true},
          {"prepare_only", true},
          {"vm_uuid", p.cvm_id},
          {"compose_hash", p.compose_hash},
          {"app_id", p.app_id},
          {"device_id", p.device_id},
          {"kms_info", kms_info},
          {"chain_id", p.chain_id},
          {"contract_explorer_url", explorer.empty()
                                        ? nlohmann::json(nullptr)
                                        : nlohmann::json(explorer + "/address/" + p.app_id)},
          {"onchain_status",
           {{"compose_hash_allowed", p.compose_hash_allowed},
            {"device_id_allowed", p.device_id_allowed},
            {"is_allowed", p.is_allowed}}},
          {"onchain_action",
           {{"to", p.app_id}, {"method", "addComposeHash(bytes32)"}, {"calldata", p.calldata}}},
          {"commit_token", p.commit_token},
          {"commit_url", p.commit_url},
          {"api_commit_url", p.api_commit_url},
          {"expires_at", p.expires_at}};
}

}  // namespace chainkms::cli
