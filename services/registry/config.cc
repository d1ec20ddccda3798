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
                  "LOCAL USE ONLY: name of an environment variable holding a raw hex private key "
                  "(removed from the environment once read)");
  flags.AddInt("default-confirmations", &config->default_confirmations, 1,
               "confirmation depth of writes and GetTransaction when a request says 0",
               server::InRange(1, 1000));
  flags.AddDuration("default-wait-timeout", &config->default_wait_timeout, absl::Seconds(120),
                    "bound on a write's wait when the request gives none",
                    server::NonNegativeDuration());
  flags.AddDuration("tx-poll-interval", &config->tx_poll_interval, absl::Seconds(1),
                    "how often pending transactions are polled for receipts",
                    server::NonNegativeDuration());
}

absl::Status FinishConfig(Config* config) {
  absl::StatusOr<std::vector<ChainConfig>> chains = ParseChainSpecs(config->chain_specs);
  if (!chains.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chain: ", std::string(chains.status().message()), " (CHAINKMS_CHAIN)"));
  }
  config->chains = std::move(*chains);
  const bool file = !config->keystore_password_file.empty();
  const bool env = !config->keystore_password_env.empty();
  if (!config->keystore_dir.empty() && file == env) {
    return absl::InvalidArgumentError(
        "--keystore-dir needs exactly one of --keystore-password-file and "
        "--keystore-password-env");
  }
  if (config->keystore_dir.empty() && (file || env)) {
    return absl::InvalidArgumentError("--keystore-password-file/-env need --keystore-dir");
  }
  if (config->tx_poll_interval < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError("--tx-poll-interval: at least 10ms");
  }
  return absl::OkStatus();
}

}  // namespace chainkms::registry
