// Gateway: admission (API key → workspace, per-key rate limit) and the backends every public
// surface (gRPC proxies, HTTP REST, custodial flows) goes through.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/clock.h"
#include "lib/server/server.h"
#include "services/gateway/access.h"
#include "services/gateway/backends.h"

namespace chainkms::gateway {

class Gateway {
 public:
  // Everything must outlive the gateway.
  Gateway(Backends& backends, ApiKeyAuthenticator& auth, RateLimiter& limiter,
          server::Serving serving)
      : backends_(backends), auth_(auth), limiter_(limiter), serving_(serving) {}

  // The scope of a request with `api_key`: UNAUTHENTICATED (generic) for a missing or bad key,
  // RESOURCE_EXHAUSTED / RATE_LIMITED when the key is over its rate.
  absl::StatusOr<CallScope> Admit(std::string_view api_key, std::string request_id,
                                  absl::Time deadline, const grpc::ServerContext* parent);
  // A request whose credential is something else (a commit token): an API key is optional (when
  // present it must be valid and scopes the call); rate-limited per `peer` without one.
  absl::StatusOr<CallScope> AdmitOptionalKey(std::string_view api_key, std::string_view peer,
                                             std::string request_id, absl::Time deadline,
                                             const grpc::ServerContext* parent);

  Backends& backends() { return backends_; }
  server::Serving serving() const { return serving_; }

 private:
  Backends& backends_;
  ApiKeyAuthenticator& auth_;
  RateLimiter& limiter_;
  server::Serving serving_;
};

// The x-api-key metadata of a gRPC call ("" when absent).
std::string ApiKeyOf(const grpc::ServerContext& ctx);

}  // namespace chainkms::gateway
