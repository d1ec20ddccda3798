// What chainkms-registry's main() runs: flags → Config → Run (blocks until SIGTERM/SIGINT).
//
//   int main(int argc, char** argv) { return chainkms::registry::Main(argc, argv); }
#pragma once

#include <memory>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/server/config.h"
#include "services/registry/config.h"
#include "services/registry/signer_registry.h"

namespace chainkms::registry {

// The signing keys named by the config (SignerSet): V3 keystores from --keystore-dir with the
// password from --keystore-password-file or --keystore-password-env, and/or a raw hex key from
// the environment variable named by --dev-private-key-env (warning to `warnings`, stderr when
// null; local use only). Keys and passwords never appear in logs or errors.
absl::StatusOr<std::shared_ptr<SignerRegistry>> LoadSigners(const Config& config,
                                                            std::ostream* warnings = nullptr);

// Connects every chain (chain id checked against each endpoint), loads the signers and serves
// until SIGTERM/SIGINT.
absl::Status Run(const Config& config);

// Parses flags (exit 2 on a bad flag, 0 on --help) and calls Run (exit 1 on error).
int Main(int argc, char** argv);

}  // namespace chainkms::registry
