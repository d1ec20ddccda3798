#include "services/registry/idempotency.h"

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"

namespace chainkms::registry {

absl::StatusOr<IdempotencyCache::Claim> IdempotencyCache::Begin(const std::string& key,
                                                                const Hash32& fingerprint) {
  chainkms::MutexLock l(&mu_);
  EvictLocked();
  constexpr absl::Duration kSlice = absl::Milliseconds(200);
  for (absl::Duration waited; true; waited += kSlice) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      entries_[key] =
          Entry{.fingerprint = fingerprint, .tx_hash = std::nullopt, .created = clock_.Now()};
      return Claim{};
    }
    if (it->second.fingerprint != fingerprint) {
      ReasonMetadata m = {{"idempotency_key", key}};
      if (it->second.tx_hash) m["tx_hash"] = Hex0x(it->second.tx_hash->view());
      return WithReason(absl::FailedPreconditionError(
                            "options.idempotency_key: already used for a different write"),
                        Reason::kIdempotencyKeyReused, m);
    }
    if (it->second.tx_hash) return Claim{.existing = it->second.tx_hash};
    // The first attempt is still sending: wait for its outcome rather than send twice.
    if (waited >= options_.wait) {
      return absl::UnavailableError(
          "options.idempotency_key: the first write with this key is still in progress; retry");
    }
    done_.WaitWithTimeout(&mu_, kSlice);
  }
}

void IdempotencyCache::Finish(const std::string& key, const absl::StatusOr<Hash32>& outcome) {
  chainkms::MutexLock l(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (outcome.ok()) {
      it->second.tx_hash = *outcome;
    } else {
      entries_.erase(it);
    }
  }
  done_.SignalAll();
}

size_t IdempotencyCache::size() const {
  chainkms::MutexLock l(&mu_);
  return entries_.size();
}

void IdempotencyCache::EvictLocked() {
  const absl::Time now = clock_.Now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.tx_hash && now - it->second.created >= options_.ttl) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  while (entries_.size() >= options_.max_entries) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.tx_hash &&
          (oldest == entries_.end() || it->second.created < oldest->second.created)) {
        oldest = it;
      }
    }
    if (oldest == entries_.end()) break;
    entries_.erase(oldest);
  }
}

}  // namespace chainkms::registry
