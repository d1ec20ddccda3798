// What chainkms-provisioning's main() runs: flags → Config → Run (blocks until SIGTERM/SIGINT).
//
//   int main(int argc, char** argv) { return chainkms::provisioning::Main(argc, argv); }
//
// Run opens the Store (migrations applied), connects the registry, builds the node pool, starts
// the webhook outbox and serves chainkms.v1.Provisioning. Health is SERVING while the Store
// answers (checked every few seconds) and NOT_SERVING while it does not.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/server/logging.h"
#include "lib/server/service_main.h"
#include "services/provisioning/config.h"

namespace chainkms::provisioning {

struct Deps {
  Clock* clock = &SystemClock::Get();
  server::Logger* logger = &server::Logger::Default();
  // Called with the bound gRPC and metrics ports once serving (tests).
  std::function<void(int port, int metrics_port)> on_serving;
  // Makes Run return (tests); production stops on SIGTERM/SIGINT.
  const chainkms::Notification* stop = nullptr;
  // How often health checks the Store.
  absl::Duration health_interval = absl::Seconds(5);
};

absl::Status Run(const Config& config, const Deps& deps = {});

// How Main parses and runs (tests parse command lines with server::ParseServiceFlags).
server::ServiceMainSpec<Config> MainSpec();

// Parses flags (exit 2 on a bad flag, 0 on --help) and calls Run (exit 1 on error).
int Main(int argc, char** argv);

}  // namespace chainkms::provisioning
