// What chainkms-kms's main() runs: a subcommand (keys init|show, audit verify) or
// flags → Config → Run (blocks until SIGTERM/SIGINT).
//
//   int main(int argc, char** argv) { return chainkms::kms::Main(argc, argv); }
//
// Run takes its outside world as Deps (clock, environment, logger), so tests drive it without
// globals.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "lib/common/clock.h"
#include "lib/common/env.h"
#include "lib/server/logging.h"
#include "lib/server/service_main.h"
#include "services/kms/config.h"

namespace chainkms::kms {

struct Deps {
  Clock* clock = &SystemClock::Get();
  EnvLookup env = ProcessEnv();
  server::Logger* logger = &server::Logger::Default();
  // Called with the bound gRPC and metrics ports once serving (tests).
  std::function<void(int port, int metrics_port)> on_serving;
  // Makes Run return (tests); production stops on SIGTERM/SIGINT.
  const chainkms::Notification* stop = nullptr;
};

// Protects the process's secrets (no core dumps), loads each chain's root keys (refusing bad
// files with a message naming them), opens the audit log, serves with health NOT_SERVING and
// checks each chain's kmsInfo until all match; then health turns SERVING.
absl::Status Run(const Config& config, const Deps& deps = {});

// How Main parses and runs (tests parse command lines with server::ParseServiceFlags).
server::ServiceMainSpec<Config> MainSpec();

// Subcommands, or flags (exit 2 on a bad flag, 0 on --help) then Run (exit 1 on error).
int Main(int argc, char** argv);

}  // namespace chainkms::kms
