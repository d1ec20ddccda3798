// Who may call the gateway, and how often.
//
// ApiKeyAuthenticator: an API key (`ck_<16 hex>_<64 hex>`, from `x-api-key` metadata or the
// X-API-Key header) → the workspace it belongs to. The key's id part is looked up with
// ProvisioningAdmin.LookupApiKey; SHA-256 of the presented key is compared with the stored hash in
// constant time. Lookups (found or not) are cached for `cache_ttl`, so a revoked key stops working
// within that time and a flood of one wrong key costs one lookup per TTL. Every refusal is the same
// UNAUTHENTICATED / UNAUTHENTICATED with one generic message: a caller learns nothing about which
// part was wrong. A provisioning outage is UNAVAILABLE (not a refusal, never cached).
//
// RateLimiter: one token bucket per key id over the Clock seam; Acquire answers how long to wait
// when the bucket is empty.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "lib/common/bytes.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"

namespace chainkms::gateway {

inline constexpr std::string_view kApiKeyMetadataKey = "x-api-key";

struct Principal {
  std::string workspace;
  std::string key_id;
};

// UNAUTHENTICATED / UNAUTHENTICATED, the one message every refusal carries.
absl::Status UnauthenticatedError();
// RESOURCE_EXHAUSTED / RATE_LIMITED with retry_after_ms.
absl::Status RateLimitedError(absl::Duration retry_after);

class ApiKeyAuthenticator {
 public:
  // Builds the context of one LookupApiKey call (deadline, request id).
  using ContextFactory = std::function<std::unique_ptr<grpc::ClientContext>()>;
  ApiKeyAuthenticator(chainkms::v1::ProvisioningAdmin::StubInterface& admin, Clock& clock,
                      absl::Duration cache_ttl)
      : admin_(admin), clock_(clock), ttl_(cache_ttl) {}

  absl::StatusOr<Principal> Authenticate(std::string_view api_key, const ContextFactory& context);
  // LookupApiKey calls made (tests and the bench count them).
  int64_t lookups() const {
    chainkms::MutexLock lock(&mu_);
    return lookups_;
  }

 private:
  struct Entry {
    bool found = false;
    std::string workspace;
    Bytes secret_sha256;
    bool revoked = false;
    absl::Time fetched;
  };
  chainkms::v1::ProvisioningAdmin::StubInterface& admin_;
  Clock& clock_;
  const absl::Duration ttl_;
  mutable chainkms::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  int64_t lookups_ ABSL_GUARDED_BY(mu_) = 0;
};

class RateLimiter {
 public:
  // `per_second` 0 = unlimited.
  RateLimiter(Clock& clock, int64_t per_second, int64_t burst)
      : clock_(clock), rate_(static_cast<double>(per_second)), burst_(static_cast<double>(burst)) {}

  // nullopt: allowed (a token taken). Otherwise how long until a token is there.
  std::optional<absl::Duration> Acquire(std::string_view key);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time at;
  };
  Clock& clock_;
  const double rate_;
  const double burst_;
  chainkms::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::gateway
