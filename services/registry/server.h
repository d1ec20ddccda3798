// What chainkms-registry's main() runs: flags → Config → Run (blocks until SIGTERM/SIGINT).
//
//   int main(int argc, char** argv) { return chainkms::registry::Main(argc, argv); }
//
// Run takes its outside world as Deps (clock, environment), so tests drive it without globals.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/chain/signer_set.h"
#include "lib/common/clock.h"
#include "lib/common/env.h"
#include "lib/server/logging.h"
#include "services/registry/config.h"

namespace chainkms::registry {

struct Deps {
  Clock* clock = &SystemClock::Get();
  EnvLookup env = ProcessEnv();
  // Called for each environment variable holding a secret once it has been read
  // (UnsetProcessEnv in production: the dev key must not linger in /proc/<pid>/environ).
  std::function<void(const std::string&)> forget_env = UnsetProcessEnv;
  server::Logger* logger = &server::Logger::Default();
};

// The signing keys named by the config: V3 keystores from --keystore-dir with the password from
// --keystore-password-file or --keystore-password-env, and/or a raw hex key from the environment
// variable named by --dev-private-key-env (a warning goes to `warnings`, stderr when null; local
// use only; the variable is then forgotten through deps.forget_env). Keys and passwords never
// appear in logs or errors.
absl::StatusOr<std::shared_ptr<const SignerSet>> LoadSigners(const Config& config,
                                                             std::ostream* warnings = nullptr,
                                                             const Deps& deps = {});

// Connects every chain (chain id checked against each endpoint), loads the signers and serves
// until SIGTERM/SIGINT.
absl::Status Run(const Config& config, const Deps& deps = {});

// Parses flags (exit 2 on a bad flag, 0 on --help) and calls Run (exit 1 on error).
int Main(int argc, char** argv);

}  // namespace chainkms::registry
