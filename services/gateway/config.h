// Configuration of chainkms-gateway: the backends it forwards to, API-key caching, per-key rate
// limits and the HTTP listener.
//
//   chainkms-gateway --provisioning dns:///provisioning:50053 --registry dns:///registry:50051
//       --kms dns:///kms:50052 --http-listen 0.0.0.0:8080 --rate-limit 20 --rate-burst 40
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/env.h"
#include "lib/server/config.h"

namespace chainkms::gateway {

struct Config {
  server::ServerConfig server;
  std::string provisioning = "127.0.0.1:50053";
  std::string registry = "127.0.0.1:50051";
  std::string kms = "127.0.0.1:50052";
  absl::Duration backend_timeout = absl::Seconds(30);
  absl::Duration api_key_cache_ttl = absl::Seconds(10);
  int64_t rate_limit = 20;                     // requests per second per API key; 0 = unlimited
  int64_t rate_burst = 40;                     // bucket size
  std::string http_listen = "127.0.0.1:8080";  // "" disables HTTP
  int64_t http_threads = 16;
  int64_t max_body_bytes = 1 << 20;
  std::string cors_origins;  // comma-separated; "" = CORS off
  std::vector<std::string> cors_origin_list;
  absl::Duration health_interval = absl::Seconds(2);
  // Which registry signers each workspace may use in the custodial flows (raw --custodial-signers
  // and parsed: workspace → 20-byte addresses).
  std::string custodial_signers_text;
  std::map<std::string, std::vector<std::string>> custodial_signers;
};

// Registers the server flags plus --provisioning, --registry, --kms, --backend-timeout,
// --api-key-cache-ttl, --rate-limit, --rate-burst, --http-listen, --http-threads,
// --max-body-bytes, --cors-origins, --health-interval, --custodial-signers.
void RegisterFlags(server::FlagSet& flags, Config* config);

// After Parse: splits --cors-origins and checks the rate flags. Errors name the flag.
absl::Status FinishConfig(Config* config, const EnvLookup& env = ProcessEnv());

}  // namespace chainkms::gateway
