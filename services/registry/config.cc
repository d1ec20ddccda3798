#include "services/registry/config.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"

namespace chainkms::registry {

absl::StatusOr<ChainConfig> ParseChainSpec(std::string_view spec) {
  ChainConfig out;
  std::vector<std::string> parts = absl::StrSplit(std::string(spec), ';');
  std::string head = parts[0];
  size_t eq = head.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        "chain spec must look like <chain id>=<rpc url>[,<rpc url>...];kms=<address>");
  }
  std::string id = head.substr(0, eq);
  if (!absl::SimpleAtoi(id, &out.chain_id) || out.chain_id == 0) {
    return absl::InvalidArgumentError(absl::StrCat("chain id \"", id, "\" is not a positive integer"));
  }
  for (const std::string& url : std::vector<std::string>(absl::StrSplit(head.substr(eq + 1), ','))) {
    if (url.empty()) continue;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chain ", out.chain_id, ": each rpc url must start with http:// or https://"));
    }
    out.rpc_urls.emplace_back(url);
  }
  if (out.rpc_urls.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": no rpc url"));
  }
  bool have_kms = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& kv = parts[i];
    if (kv.empty()) continue;
    if (kv.rfind("kms=", 0) == 0) {
      absl::StatusOr<Address> kms = ParseAddress(std::string_view(kv).substr(4), "kms");
      if (!kms.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("chain ", out.chain_id, ": ", std::string(kms.status().message())));
      }
      if (kms->IsZero()) {
        return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": kms is zero"));
      }
      out.kms = *kms;
      have_kms = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": unknown key \"",
                                                     std::string(kv.substr(0, kv.find('='))),
                                                     "\" (known: kms)"));
    }
  }
  if (!have_kms) {
    return absl::InvalidArgumentError(
        absl::StrCat("chain ", out.chain_id, ": missing ;kms=<DstackKms address>"));
  }
  return out;
}

absl::StatusOr<std::vector<ChainConfig>> ParseChainSpecs(std::string_view specs) {
  std::vector<ChainConfig> out;
  std::set<uint64_t> seen;
  for (const std::string& spec : std::vector<std::string>(
           absl::StrSplit(std::string(specs), absl::ByAnyChar(" \t\n"), absl::SkipEmpty()))) {
    ASSIGN_OR_RETURN(ChainConfig c, ParseChainSpec(spec));
    if (!seen.insert(c.chain_id).second) {
      return absl::InvalidArgumentError(absl::StrCat("chain ", c.chain_id, " is listed twice"));
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) return absl::InvalidArgumentError("at least one chain is required");
  return out;
}

void RegisterFlags(server::FlagSet& flags, Config* config) {
  server::RegisterServerFlags(flags, &config->server);
  // Validated by FinishConfig, which never echoes the value (RPC URLs may carry API keys).
  flags.AddString("chain", &config->chain_specs, "",
                  "chains served, whitespace-separated specs "
                  "<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>");
  flags.AddString("keystore-dir", &config->keystore_dir, "",
                  "directory of Ethereum V3 keystores used to sign writes");
  flags.AddString("keystore-password-file", &config->keystore_password_file, "",
                  "file whose first line is the password of the keystores");
  flags.AddString("keystore-password-env", &config->keystore_password_env, "",
                  "name of an environment variable holding the password of the keystores");
  flags.AddString("dev-private-key-env", &config->dev_private_key_env, "",
                  "LOCAL USE ONLY: name of an environment variable holding a raw hex private key");
}

absl::Status FinishConfig(Config* config) {
  absl::StatusOr<std::vector<ChainConfig>> chains = ParseChainSpecs(config->chain_specs);
  if (!chains.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chain: ", std::string(chains.status().message()), " (CHAINKMS_CHAIN)"));
  }
  config->chains = std::move(*chains);
  return absl::OkStatus();
}

}  // namespace chainkms::registry
