#include "services/gateway/access.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/secret_bytes.h"
#include "lib/crypto/hash.h"
#include "lib/server/status.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace {

constexpr std::string_view kKeyPrefix = "ck_";
constexpr size_t kIdLen = 3 + 16;
constexpr size_t kKeyLen = kIdLen + 1 + 64;
// Buckets of idle keys are dropped once there are this many.
constexpr size_t kMaxBuckets = 100000;

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The id part of a well-formed key, else "".
std::string_view KeyId(std::string_view key) {
  if (key.size() != kKeyLen || !key.starts_with(kKeyPrefix) || key[kIdLen] != '_' ||
      !IsLowerHex(key.substr(kKeyPrefix.size(), 16)) || !IsLowerHex(key.substr(kIdLen + 1))) {
    return {};
  }
  return key.substr(0, kIdLen);
}

}  // namespace

absl::Status UnauthenticatedError() {
  return WithReason(absl::UnauthenticatedError(
                        "missing or invalid API key (x-api-key metadata, X-API-Key header)"),
                    Reason::kUnauthenticated);
}

absl::Status RateLimitedError(absl::Duration retry_after) {
  const int64_t ms = std::max<int64_t>(
      1, absl::ToInt64Milliseconds(absl::Ceil(retry_after, absl::Milliseconds(1))));
  return WithReason(absl::ResourceExhaustedError(
                        absl::StrCat("rate limit of this API key reached; retry in ", ms, " ms")),
                    Reason::kRateLimited, {{"retry_after_ms", std::to_string(ms)}});
}

absl::StatusOr<Principal> ApiKeyAuthenticator::Authenticate(std::string_view api_key,
                                                            const ContextFactory& context) {
  const std::string_view id = KeyId(api_key);
  if (id.empty()) return UnauthenticatedError();
  const std::string key_id(id);
  const Hash32 presented =
      Sha256(ByteView(reinterpret_cast<const uint8_t*>(api_key.data()), api_key.size()));
  Entry entry;
  bool cached = false;
  {
    chainkms::MutexLock lock(&mu_);
    auto it = cache_.find(key_id);
    if (it != cache_.end() && clock_.Now() - it->second.fetched < ttl_) {
      entry = it->second;
      cached = true;
    }
  }
  if (!cached) {
    pb::LookupApiKeyRequest req;
    req.set_key_id(key_id);
    pb::LookupApiKeyResponse resp;
    grpc::Status s = admin_.LookupApiKey(context().get(), req, &resp);
    {
      chainkms::MutexLock lock(&mu_);
      ++lookups_;
    }
    if (!s.ok() && s.error_code() != grpc::StatusCode::NOT_FOUND) {
      // Not an answer about the key: never cached, never a refusal.
      return WithReason(absl::UnavailableError("cannot check the API key now; retry"),
                        Reason::kStoreUnavailable, {{"detail", "provisioning unreachable"}});
    }
    entry.found = s.ok();
    entry.fetched = clock_.Now();
    if (entry.found) {
      entry.workspace = resp.key().workspace();
      entry.revoked = resp.key().revoked_at() != 0;
      entry.secret_sha256.assign(resp.secret_sha256().begin(), resp.secret_sha256().end());
    }
    chainkms::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxBuckets) cache_.clear();
    cache_[key_id] = entry;
  }
  const bool match = entry.found && entry.secret_sha256.size() == presented.bytes.size() &&
                     ConstantTimeEquals(entry.secret_sha256, presented.bytes);
  if (!match || entry.revoked || entry.workspace.empty()) return UnauthenticatedError();
  return Principal{.workspace = entry.workspace, .key_id = key_id};
}

std::optional<absl::Duration> RateLimiter::Acquire(std::string_view key) {
  if (rate_ <= 0) return std::nullopt;
  const absl::Time now = clock_.Now();
  chainkms::MutexLock lock(&mu_);
  if (buckets_.size() >= kMaxBuckets) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.at));
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return absl::Seconds((1.0 - b.tokens) / rate_);
}

}  // namespace chainkms::gateway
