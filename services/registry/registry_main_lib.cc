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
#include "services/registry/signers.h"

namespace chainkms::registry {

namespace {

// The keys of a SignerSet, as the service looks them up.
class SignerSetRegistry final : public SignerRegistry {
 public:
  explicit SignerSetRegistry(SignerSet set) : set_(std::move(set)) {}
  std::shared_ptr<Signer> Find(const Address& address) const override {
    absl::StatusOr<std::shared_ptr<Signer>> s = set_.Find(address);
    return s.ok() ? *s : nullptr;
  }
  std::vector<Address> Addresses() const override { return set_.Addresses(); }

 private:
  SignerSet set_;  // read-only once loaded
};

}  // namespace

absl::StatusOr<std::shared_ptr<SignerRegistry>> LoadSigners(const Config& config,
                                                            std::ostream* warnings) {
  SignerSet set;
  if (!config.keystore_dir.empty()) {
    if (config.keystore_password_file.empty() == config.keystore_password_env.empty()) {
      return absl::InvalidArgumentError(
          "--keystore-dir needs exactly one of --keystore-password-file and "
          "--keystore-password-env");
    }
    KeystorePassword password = config.keystore_password_file.empty()
                                    ? KeystorePassword::FromEnv(config.keystore_password_env)
                                    : KeystorePassword::FromFile(config.keystore_password_file);
    RETURN_IF_ERROR(set.LoadKeystoreDir(config.keystore_dir, password));
  }
  if (!config.dev_private_key_env.empty()) {
    RETURN_IF_ERROR(set.AddRawKeyFromEnv(config.dev_private_key_env, warnings));
  }
  return std::make_shared<SignerSetRegistry>(std::move(set));
}

absl::Status Run(const Config& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<SignerRegistry> signers, LoadSigners(config));
  if (signers->Addresses().empty()) {
    std::cerr << "chainkms-registry: no signing key loaded; writes answer UNKNOWN_SIGNER "
                 "(PrepareTransaction / SubmitSignedTransaction still work)\n";
  }
  for (const Address& a : signers->Addresses()) {
    std::cerr << "chainkms-registry: signer " << ToChecksumAddress(a) << "\n";
  }
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
