// IdempotencyCache: remembers which transaction a write's idempotency key produced, so a client
// that lost its connection can retry without sending a second transaction. Per replica, in
// memory, bounded (oldest evicted) and expiring after `ttl`; documented in common.proto.
//
//   IdempotencyCache cache(clock);
//   ASSIGN_OR_RETURN(IdempotencyCache::Claim claim, cache.Begin(key, fingerprint));
//   if (claim.existing) return *claim.existing;      // a retry: the first attempt's hash
//   absl::StatusOr<Hash32> sent = Send(...);
//   cache.Finish(key, sent);                          // failure forgets the key again
//
// A second Begin for a key whose first attempt is still running waits for it (up to `wait`).
// The same key with another fingerprint is FAILED_PRECONDITION, reason IDEMPOTENCY_KEY_REUSED.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"

namespace chainkms::registry {

class IdempotencyCache {
 public:
  struct Options {
    absl::Duration ttl = absl::Hours(24);
    size_t max_entries = 100'000;
    absl::Duration wait = absl::Seconds(30);
  };
  struct Claim {
    std::optional<Hash32> existing;  // set: a completed first attempt; send nothing
  };

  explicit IdempotencyCache(Clock& clock) : IdempotencyCache(clock, Options{}) {}
  IdempotencyCache(Clock& clock, Options options) : clock_(clock), options_(options) {}

  absl::StatusOr<Claim> Begin(const std::string& key, const Hash32& fingerprint);
  // Records the outcome of the attempt Begin claimed: a hash is kept, an error forgets the key.
  void Finish(const std::string& key, const absl::StatusOr<Hash32>& outcome);

  size_t size() const;

 private:
  struct Entry {
    Hash32 fingerprint;
    std::optional<Hash32> tx_hash;  // nullopt while the first attempt runs
    absl::Time created;
  };
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  const Options options_;
  mutable chainkms::Mutex mu_;
  chainkms::CondVar done_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::registry
