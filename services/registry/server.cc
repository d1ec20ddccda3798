#include "services/registry/server.h"

#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "lib/chain/chain_set.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/server/server.h"
#include "lib/server/service_main.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

absl::StatusOr<std::shared_ptr<const SignerSet>> LoadSigners(const Config& config,
                                                             std::ostream* warnings,
                                                             const Deps& deps) {
  auto set = std::make_shared<SignerSet>();
  if (!config.keystore_dir.empty()) {
    if (config.keystore_password_file.empty() == config.keystore_password_env.empty()) {
      return absl::InvalidArgumentError(
          "--keystore-dir needs exactly one of --keystore-password-file and "
          "--keystore-password-env");
    }
    KeystorePassword password = config.keystore_password_file.empty()
                                    ? KeystorePassword::FromEnv(config.keystore_password_env)
                                    : KeystorePassword::FromFile(config.keystore_password_file);
    RETURN_IF_ERROR(set->LoadKeystoreDir(config.keystore_dir, password, deps.env));
    if (!config.keystore_password_env.empty() && deps.forget_env) {
      deps.forget_env(config.keystore_password_env);
    }
  }
  if (!config.dev_private_key_env.empty()) {
    RETURN_IF_ERROR(set->AddRawKeyFromEnv(config.dev_private_key_env, warnings, deps.env));
    if (deps.forget_env) deps.forget_env(config.dev_private_key_env);
  }
  return std::shared_ptr<const SignerSet>(std::move(set));
}

absl::Status Run(const Config& config, const Deps& deps) {
  server::Logger& log = *deps.logger;
  std::ostringstream warnings;
  ASSIGN_OR_RETURN(std::shared_ptr<const SignerSet> signers, LoadSigners(config, &warnings, deps));
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(warnings.str(), '\n', absl::SkipEmpty()))) {
    log.Warn(line);
  }
  if (signers->empty()) {
    log.Warn(
        "no signing key loaded; writes answer UNKNOWN_SIGNER "
        "(PrepareTransaction / SubmitSignedTransaction still work)");
  }
  for (const Address& a : signers->Addresses()) {
    log.Info("signer loaded", {{"address", ToChecksumAddress(a)}});
  }
  server::GrpcServer server({.config = config.server, .logger = &log});
  ChainSet chains;
  for (const ChainConfig& c : config.chains) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<Chain> chain,
        ConnectChain(c, {.tx_poll_interval = config.tx_poll_interval, .metrics = &server.metrics()},
                     *deps.clock));
    log.Info("chain connected", {{"chain_id", c.chain_id},
                                 {"kms", ToChecksumAddress(c.kms)},
                                 {"endpoints", c.rpc_urls.size()}});
    chains.Add(std::move(chain));
  }
  RegistryService registry(
      std::move(chains), signers, server.serving(), *deps.clock,
      {.default_confirmations = static_cast<uint32_t>(config.default_confirmations),
       .default_wait_timeout = config.default_wait_timeout});
  server.AddService(&registry);
  return server.Run();
}

int Main(int argc, char** argv) {
  return server::ServiceMain<Config>(
      argc, argv,
      {.name = "chainkms-registry",
       .summary = "chainkms-registry: on-chain governance (chainkms.v1.Registry) over gRPC",
       .register_flags = RegisterFlags,
       .finish = FinishConfig,
       .run = [](const Config& c) { return Run(c); }});
}

}  // namespace chainkms::registry
