// Configuration of chainkms-kms: the chains it serves, one root key directory per chain, the
// attestation it accepts, how deep its decisions are pinned, and where its audit log goes.
//
//   --chain    '31337=http://127.0.0.1:8545;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3'
//   --key-dir  '31337=/keys/31337 8453=/keys/8453'   (a bare directory when one chain is served)
//
// Every replica mounting the same key directories (Kubernetes Secrets) serves identical keys.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/attestation/event_log.h"
#include "lib/attestation/verify.h"
#include "lib/chain/chain_set.h"
#include "lib/server/config.h"

namespace chainkms::kms {

struct Config {
  server::ServerConfig server;
  std::string chain_specs;  // raw --chain
  std::vector<ChainConfig> chains;
  std::string key_dir_specs;                 // raw --key-dir
  std::map<uint64_t, std::string> key_dirs;  // chain id → directory
  bool insecure_dev_attestation = false;
  // Attestation kinds accepted: --attestation tdx (default) | dev | tdx,dev. dev needs
  // --insecure-dev-attestation, which alone adds it.
  std::string attestation = "tdx";
  bool accept_tdx = true;
  bool accept_dev = false;
  std::string pccs_url = "https://api.trustedservices.intel.com";
  std::string collateral_dir;  // air-gapped: <FMSPC>.json files; overrides --pccs-url
  absl::Duration pccs_timeout = absl::Seconds(30);
  std::string tcb_accept_status = "UpToDate";
  std::string tcb_accept_advisories;
  attestation::TcbPolicy tcb_policy;
  std::string os_image_measurements_file;
  attestation::OsImageMeasurements os_images;
  bool insecure_unmeasured_os_image = false;
  int64_t confirmations = 0;
  std::string audit_log = "-";
  std::string replica;  // default: $HOSTNAME (the pod name), else "kms"
  absl::Duration kms_info_check_interval = absl::Seconds(5);
  absl::Duration tx_poll_interval = absl::Seconds(1);  // unused by kms; ChainOptions wants one
};

// The server flags plus --chain, --key-dir, --attestation, --insecure-dev-attestation,
// --pccs-url, --collateral-dir, --pccs-timeout, --tcb-accept-status, --tcb-accept-advisories,
// --os-image-measurements, --insecure-unmeasured-os-image, --confirmations, --audit-log,
// --replica and --kms-info-check-interval.
void RegisterFlags(server::FlagSet& flags, Config* config);

// After Parse: fills chains and key_dirs (every chain needs exactly one key directory). `env`
// gives the default replica name (HOSTNAME).
absl::Status FinishConfig(Config* config, const EnvLookup& env = ProcessEnv());

// --tcb-accept-status / --tcb-accept-advisories as a policy (Revoked refused at startup).
absl::StatusOr<attestation::TcbPolicy> ParseTcbPolicy(std::string_view statuses,
                                                      std::string_view advisories);
// The --os-image-measurements file ("" = none configured).
absl::StatusOr<attestation::OsImageMeasurements> LoadOsImageMeasurements(const std::string& path);

}  // namespace chainkms::kms
