// What chainkms-registry's main() runs: flags → Config → Run (blocks until SIGTERM/SIGINT).
//
//   int main(int argc, char** argv) { return chainkms::registry::Main(argc, argv); }
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/server/config.h"
#include "services/registry/config.h"
#include "services/registry/signer_registry.h"

namespace chainkms::registry {

// The signing keys named by the config. --dev-private-key-env NAME loads a raw hex key from the
// environment variable NAME, with a loud warning (local use only). The key is never logged.
absl::StatusOr<std::shared_ptr<StaticSignerRegistry>> LoadSigners(
    const Config& config, const server::EnvLookup& env = server::ProcessEnv());

// Connects every chain (chain id checked against each endpoint), loads the signers and serves
// until SIGTERM/SIGINT.
absl::Status Run(const Config& config);

// Parses flags (exit 2 on a bad flag, 0 on --help) and calls Run (exit 1 on error).
int Main(int argc, char** argv);

}  // namespace chainkms::registry
