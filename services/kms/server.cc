#include "services/kms/server.h"

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "lib/chain/chain_set.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/kms/attestation.h"
#include "lib/kms/audit.h"
#include "lib/kms/pccs.h"
#include "lib/kms/root_keys.h"
#include "lib/kms/tdx_verifier.h"
#include "lib/server/server.h"
#include "lib/server/service_main.h"
#include "services/kms/keys_cli.h"
#include "services/kms/kms_service.h"

namespace chainkms::kms {

absl::Status Run(const Config& config, const Deps& deps) {
  server::Logger& log = *deps.logger;
  RETURN_IF_ERROR(ProtectProcessSecrets());
  std::map<uint64_t, RootKeys> keys;
  for (const auto& [chain_id, dir] : config.key_dirs) {
    absl::StatusOr<RootKeys> k = LoadKeyDir(dir);
    if (!k.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chain ", chain_id, " root keys: ", std::string(k.status().message())));
    }
    log.Info("root keys loaded", {{"chain_id", chain_id},
                                  {"dir", dir},
                                  {"k256_public_key", Hex0x(k->K256PublicKey().view())}});
    keys.emplace(chain_id, *std::move(k));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<AuditLog> audit,
                   AuditLog::Open(config.audit_log, config.replica));

  DevAttestationVerifier dev;
  attestation::CollateralFetcher fetch;
  if (!config.collateral_dir.empty()) {
    fetch = attestation::DirectoryFetcher(config.collateral_dir);
  } else {
    ASSIGN_OR_RETURN(fetch, PccsFetcher({.url = config.pccs_url, .timeout = config.pccs_timeout}));
  }
  attestation::CachingCollateralSource collateral(std::move(fetch));
  TdxAttestationVerifier tdx({.collateral = &collateral,
                              .clock = deps.clock,
                              .policy = config.tcb_policy,
                              .os_images = config.os_images,
                              .allow_unmeasured_os_image = config.insecure_unmeasured_os_image});
  EvidenceRouter router(config.accept_dev ? &dev : nullptr, config.accept_tdx ? &tdx : nullptr);
  if (config.accept_tdx) {
    log.Info("TDX attestation",
             {{"collateral",
               config.collateral_dir.empty() ? config.pccs_url : "dir:" + config.collateral_dir},
              {"tcb_accept_status", config.tcb_accept_status},
              {"tcb_accept_advisories", config.tcb_accept_advisories},
              {"os_images_measured", config.os_images.size()}});
  }
  if (config.insecure_unmeasured_os_image) {
    log.Warn(
        "INSECURE: --insecure-unmeasured-os-image is on: a CVM's os_image_hash is forwarded "
        "to the contract without proof that its MRTD/RTMR0-2 belong to that image");
  }
  if (config.accept_dev) {
    log.Warn(
        "INSECURE: --insecure-dev-attestation is on: dev attestations are taken as given and "
        "keys are released to anything the contract allows; never use this outside a local "
        "stack or tests");
  }

  server::GrpcServer server({.config = config.server, .logger = &log, .start_ready = false});
  ChainSet chains;
  for (const ChainConfig& c : config.chains) {
    // The chain id is checked by the startup check and inside every decision, so a chain that
    // is down at startup does not stop the others from being served.
    ASSIGN_OR_RETURN(
        std::unique_ptr<Chain> chain,
        ConnectChain(c, {.metrics = &server.metrics(), .check_chain_id = false}, *deps.clock));
    chains.Add(std::move(chain));
  }
  KmsService kms(std::move(chains), std::move(keys), router, *audit, server.serving(), *deps.clock,
                 {.dev_attestation = config.accept_dev,
                  .confirmations = static_cast<uint64_t>(config.confirmations)});
  server.AddService(&kms);

  // The startup check: every chain until all serve, then health SERVING.
  chainkms::Notification checks_done;
  std::thread checker([&] {
    for (;;) {
      if (kms.CheckChains()) {
        server.SetReady(true);
        log.Info("all chains serving");
        break;
      }
      if (checks_done.WaitForNotificationWithTimeout(config.kms_info_check_interval)) break;
    }
  });
  // Test seams: report the ports once serving, stop on deps.stop.
  absl::Status status = server::RunWithSeams(server, deps.on_serving, deps.stop);
  if (!checks_done.HasBeenNotified()) checks_done.Notify();
  checker.join();
  return status;
}

server::ServiceMainSpec<Config> MainSpec() {
  return {.name = "chainkms-kms",
          .summary =
              "chainkms-kms: keys released only to CVMs the contract allows "
              "(chainkms.v1.Kms)\n  subcommands: keys init --dir D | keys show --dir D | "
              "audit verify FILE | attestation verify --quote F",
          .register_flags = RegisterFlags,
          .finish = [](Config* c) { return FinishConfig(c); },
          .run = [](const Config& c) { return Run(c); }};
}

int Main(int argc, char** argv) {
  if (std::optional<int> rc = RunSubcommand(argc, argv, std::cout, std::cerr, absl::Now())) {
    return *rc;
  }
  return server::ServiceMain(argc, argv, MainSpec());
}

}  // namespace chainkms::kms
