#include "services/registry/registry_main_lib.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/hex.h"
#include "lib/common/secret_bytes.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/address.h"
#include "lib/server/server.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

absl::StatusOr<std::shared_ptr<StaticSignerRegistry>> LoadSigners(const Config& config,
                                                                   const server::EnvLookup& env) {
  auto signers = std::make_shared<StaticSignerRegistry>();
  if (!config.keystore_dir.empty()) {
    return absl::UnimplementedError(
        "--keystore-dir: keystore loading is not available in this build yet (CHAINKMS_KEYSTORE_DIR)");
  }
  if (!config.dev_private_key_env.empty()) {
    std::optional<std::string> value = env(config.dev_private_key_env);
    if (!value.has_value() || value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--dev-private-key-env: environment variable ",
                                                     config.dev_private_key_env, " is not set"));
    }
    std::string hex(absl::StripAsciiWhitespace(*value));
    absl::StatusOr<Bytes> raw = HexDecode(hex);
    std::fill(hex.begin(), hex.end(), '\0');
    if (!raw.ok() || raw->size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat("--dev-private-key-env: ", config.dev_private_key_env,
                                                     " must hold 32 bytes of hex"));
    }
    absl::StatusOr<Secp256k1PrivateKey> key = Secp256k1PrivateKey::FromBytes(*raw);
    std::fill(raw->begin(), raw->end(), 0);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--dev-private-key-env: ", config.dev_private_key_env,
                                                     " is not a valid secp256k1 key"));
    }
    auto signer = std::make_shared<LocalKeySigner>(std::move(*key));
    std::cerr << "WARNING: signing with a raw private key from $" << config.dev_private_key_env
              << " (address " << ToChecksumAddress(signer->address())
              << "). This is for local development only; use --keystore-dir in production.\n";
    signers->Add(std::move(signer));
  }
  return signers;
}

absl::Status Run(const Config& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<StaticSignerRegistry> signers, LoadSigners(config));
  std::vector<std::unique_ptr<ChainBackend>> chains;
  for (const ChainConfig& c : config.chains) {
    ASSIGN_OR_RETURN(std::unique_ptr<ChainBackend> chain, ConnectChain(c));
    chains.push_back(std::move(chain));
  }
  server::GrpcServer server({.config = config.server});
  RegistryService registry(std::move(chains), signers, &server.limiter(), &server.metrics());
  server.AddService(&registry);
  return server.Run();
}

int Main(int argc, char** argv) {
  Config config;
  server::FlagSet flags("chainkms-registry: on-chain governance (chainkms.v1.Registry) over gRPC");
  RegisterFlags(flags, &config);
  absl::StatusOr<server::ParseOutcome> outcome = flags.Parse(argc, argv);
  if (!outcome.ok()) {
    std::cerr << outcome.status().message() << "\n";
    return 2;
  }
  if (*outcome == server::ParseOutcome::kHelp) {
    std::cout << flags.Help();
    return 0;
  }
  if (absl::Status s = FinishConfig(&config); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  if (absl::Status s = Run(config); !s.ok()) {
    std::cerr << "chainkms-registry: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace chainkms::registry
