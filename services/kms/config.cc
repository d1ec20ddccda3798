#include "services/kms/config.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace chainkms::kms {

void RegisterFlags(server::FlagSet& flags, Config* config) {
  server::RegisterServerFlags(flags, &config->server);
  flags.AddString("chain", &config->chain_specs, "",
                  "chains served, whitespace-separated specs "
                  "<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>");
  flags.AddString("key-dir", &config->key_dir_specs, "",
                  "root key directory per chain, whitespace-separated <chain id>=<dir> (a bare "
                  "<dir> when one chain is served); each holds root-ca.key, root-k256.key, "
                  "root-ca.crt (chainkms-kms keys init)");
  flags.AddBool("insecure-dev-attestation", &config->insecure_dev_attestation, false,
                "LOCAL USE ONLY: accept dev attestations (claims taken as given, nothing proven)");
  flags.AddInt("confirmations", &config->confirmations, 0,
               "decide key releases at head minus this many blocks (0 on anvil; e.g. 2 on "
               "Ethereum, 5 on Base)",
               server::InRange(0, 1000));
  flags.AddString("audit-log", &config->audit_log, "-",
                  "file the hash-chained audit log is appended to ('-' = stdout)");
  flags.AddString("replica", &config->replica, "",
                  "name of this replica in audit lines (default $HOSTNAME)");
  flags.AddDuration("kms-info-check-interval", &config->kms_info_check_interval, absl::Seconds(5),
                    "how often a chain whose startup check has not passed is checked again",
                    server::NonNegativeDuration());
}

absl::Status FinishConfig(Config* config, const EnvLookup& env) {
  absl::StatusOr<std::vector<ChainConfig>> chains = ParseChainSpecs(config->chain_specs);
  if (!chains.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chain: ", std::string(chains.status().message()), " (CHAINKMS_CHAIN)"));
  }
  config->chains = std::move(*chains);
  std::set<uint64_t> served;
  for (const ChainConfig& c : config->chains) served.insert(c.chain_id);

  config->key_dirs.clear();
  const std::vector<std::string> specs =
      absl::StrSplit(config->key_dir_specs, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  if (specs.empty()) {
    return absl::InvalidArgumentError(
        "--key-dir: required, one root key directory per chain (CHAINKMS_KEY_DIR); create one "
        "with `chainkms-kms keys init --dir D`");
  }
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    uint64_t id = 0;
    std::string dir;
    if (eq == std::string::npos) {
      if (specs.size() != 1 || served.size() != 1) {
        return absl::InvalidArgumentError(
            "--key-dir: with several chains each directory is <chain id>=<dir>");
      }
      id = *served.begin();
      dir = spec;
    } else {
      if (!absl::SimpleAtoi(spec.substr(0, eq), &id) || id == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--key-dir: \"", spec.substr(0, eq), "\" is not a chain id"));
      }
      dir = spec.substr(eq + 1);
    }
    if (dir.empty()) return absl::InvalidArgumentError("--key-dir: empty directory");
    if (!served.contains(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--key-dir: chain ", id, " is not in --chain"));
    }
    if (!config->key_dirs.emplace(id, dir).second) {
      return absl::InvalidArgumentError(absl::StrCat("--key-dir: chain ", id, " given twice"));
    }
  }
  std::vector<uint64_t> missing;
  for (uint64_t id : served) {
    if (!config->key_dirs.contains(id)) missing.push_back(id);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--key-dir: no key directory for chain ",
                                                   absl::StrJoin(missing, ", "),
                                                   " (one root key set per DstackKms contract)"));
  }
  if (config->audit_log.empty()) {
    return absl::InvalidArgumentError("--audit-log: empty (use '-' for stdout)");
  }
  if (config->replica.empty()) {
    std::optional<std::string> host = env("HOSTNAME");
    config->replica = host && !host->empty() ? *host : "kms";
  }
  if (config->kms_info_check_interval < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError("--kms-info-check-interval: at least 10ms");
  }
  return absl::OkStatus();
}

}  // namespace chainkms::kms
