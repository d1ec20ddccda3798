#include "services/kms/config.h"

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace chainkms::kms {

void RegisterFlags(server::FlagSet& flags, Config* config) {
  server::ServerConfig defaults;
  defaults.listen = "127.0.0.1:50052";
  defaults.metrics_listen = "127.0.0.1:9465";
  server::RegisterServerFlags(flags, &config->server, defaults);
  flags.AddString("chain", &config->chain_specs, "",
                  "chains served, whitespace-separated specs "
                  "<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>");
  flags.AddString("key-dir", &config->key_dir_specs, "",
                  "root key directory per chain, whitespace-separated <chain id>=<dir> (a bare "
                  "<dir> when one chain is served); each holds root-ca.key, root-k256.key, "
                  "root-ca.crt (chainkms-kms keys init)");
  flags.AddBool("insecure-dev-attestation", &config->insecure_dev_attestation, false,
                "LOCAL USE ONLY: accept dev attestations (claims taken as given, nothing proven)");
  flags.AddString("attestation", &config->attestation, "tdx",
                  "attestations accepted: tdx (Intel TDX DCAP quotes), dev, or tdx,dev; dev also "
                  "needs --insecure-dev-attestation");
  flags.AddString("pccs-url", &config->pccs_url, "https://api.trustedservices.intel.com",
                  "Intel PCS or a PCCS serving collateral (API v4), cached per FMSPC until its "
                  "nextUpdate");
  flags.AddString("collateral-dir", &config->collateral_dir, "",
                  "air-gapped collateral: <FMSPC>.json (or collateral.json) in dcap-qvl's "
                  "QuoteCollateralV3 JSON; used instead of --pccs-url");
  flags.AddDuration("pccs-timeout", &config->pccs_timeout, absl::Seconds(30),
                    "timeout of one collateral request", server::NonNegativeDuration());
  flags.AddString("tcb-accept-status", &config->tcb_accept_status, "UpToDate",
                  "TCB statuses accepted, comma-separated (Revoked never is)");
  flags.AddString("tcb-accept-advisories", &config->tcb_accept_advisories, "",
                  "Intel advisory ids accepted, comma-separated (default: none)");
  flags.AddString("os-image-measurements", &config->os_image_measurements_file, "",
                  "JSON file {\"<os_image_hash>\": [{\"mrtd\",\"rtmr0\",\"rtmr1\",\"rtmr2\"}]}: "
                  "the measurements that prove each OS image");
  flags.AddBool("insecure-unmeasured-os-image", &config->insecure_unmeasured_os_image, false,
                "INSECURE: forward a CVM's claimed os_image_hash without a configured measurement");
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
  config->accept_tdx = false;
  config->accept_dev = config->insecure_dev_attestation;
  for (absl::string_view kind : absl::StrSplit(config->attestation, ',', absl::SkipEmpty())) {
    if (kind == "tdx") {
      config->accept_tdx = true;
    } else if (kind == "dev") {
      if (!config->insecure_dev_attestation) {
        return absl::InvalidArgumentError(
            "--attestation dev: also needs --insecure-dev-attestation (nothing is proven)");
      }
      config->accept_dev = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--attestation: \"", std::string(kind), "\" is not tdx or dev (CHAINKMS_ATTESTATION)"));
    }
  }
  if (!config->accept_tdx && !config->accept_dev) {
    return absl::InvalidArgumentError("--attestation: accept at least one of tdx, dev");
  }
  absl::StatusOr<attestation::TcbPolicy> policy =
      ParseTcbPolicy(config->tcb_accept_status, config->tcb_accept_advisories);
  if (!policy.ok()) return policy.status();
  config->tcb_policy = *std::move(policy);
  absl::StatusOr<attestation::OsImageMeasurements> images =
      LoadOsImageMeasurements(config->os_image_measurements_file);
  if (!images.ok()) return images.status();
  config->os_images = *std::move(images);
  if (config->accept_tdx && config->collateral_dir.empty() && config->pccs_url.empty()) {
    return absl::InvalidArgumentError("--pccs-url or --collateral-dir: TDX needs collateral");
  }
  if (config->kms_info_check_interval < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError("--kms-info-check-interval: at least 10ms");
  }
  return absl::OkStatus();
}

absl::StatusOr<attestation::TcbPolicy> ParseTcbPolicy(std::string_view statuses,
                                                      std::string_view advisories) {
  attestation::TcbPolicy policy;
  policy.accepted_statuses.clear();
  for (absl::string_view s : absl::StrSplit(absl::string_view(statuses.data(), statuses.size()),
                                            ',', absl::SkipEmpty())) {
    const std::string status(absl::StripAsciiWhitespace(s));
    if (attestation::StatusSeverity(status) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tcb-accept-status: \"", status, "\" is not an Intel TCB status"));
    }
    if (status == "Revoked") {
      return absl::InvalidArgumentError("--tcb-accept-status: Revoked is never accepted");
    }
    policy.accepted_statuses.insert(status);
  }
  if (policy.accepted_statuses.empty()) {
    return absl::InvalidArgumentError("--tcb-accept-status: at least one status (e.g. UpToDate)");
  }
  for (absl::string_view a : absl::StrSplit(absl::string_view(advisories.data(), advisories.size()),
                                            ',', absl::SkipEmpty())) {
    policy.accepted_advisories.insert(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(a)));
  }
  return policy;
}

absl::StatusOr<attestation::OsImageMeasurements> LoadOsImageMeasurements(const std::string& path) {
  if (path.empty()) return attestation::OsImageMeasurements{};
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("--os-image-measurements: cannot read ", path));
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  absl::StatusOr<attestation::OsImageMeasurements> m = attestation::ParseOsImageMeasurements(text);
  if (!m.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--os-image-measurements: ", std::string(m.status().message())));
  }
  return m;
}

}  // namespace chainkms::kms
