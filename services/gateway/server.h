// chainkms-gateway: the one public door (DESIGN §2). Serves the public gRPC API (grpc_proxies.h)
// and the HTTP/JSON surface (rest_api.h) over the backends, with API keys (access.h), per-key
// rate limits, the global concurrency limit, request ids and deadlines on every backend call.
// Health is SERVING only while provisioning, registry and kms all answer theirs.
//
//   chainkms-gateway --provisioning dns:///provisioning:50053
//       --registry dns:///registry:50051 --kms dns:///kms:50052 --http-listen 0.0.0.0:8080
//   chainkms-gateway apikeys create|list|revoke --workspace W [--name N] [--key-id ID]
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/server/logging.h"
#include "lib/server/service_main.h"
#include "services/gateway/config.h"

namespace chainkms::gateway {

struct Deps {
  Clock* clock = &SystemClock::Get();
  server::Logger* logger = &server::Logger::Default();
  // Called with (grpc port, metrics port) once serving; tests.
  std::function<void(int, int)> on_serving;
  // Called with the HTTP port once it listens (before on_serving).
  std::function<void(int)> on_http;
  const chainkms::Notification* stop = nullptr;
};

absl::Status Run(const Config& config, const Deps& deps = {});
server::ServiceMainSpec<Config> MainSpec();
int Main(int argc, char** argv);

}  // namespace chainkms::gateway
