// The app-level keys of recently served apps, per (chain, app): everything GetAppKey releases
// except the disk key, which depends on the instance and is derived on every call. Replicas of
// one app (and restarts of a CVM) then cost one P-256 derivation instead of four plus a
// certificate. The keys are derivable from the root keys this process holds anyway, so caching
// them adds no exposure; they are SecretBytes, wiped when an entry is dropped. Bounded: past
// `capacity` apps the cache is cleared. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"
#include "lib/kms/app_keys.h"

namespace chainkms::kms {

class AppKeyCache {
 public:
  explicit AppKeyCache(size_t capacity = 10000) : capacity_(capacity) {}
  std::shared_ptr<const AppKeySet> Find(uint64_t chain_id, const Address& app) const;
  void Put(uint64_t chain_id, const Address& app, std::shared_ptr<const AppKeySet> keys);

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::pair<uint64_t, Address>, std::shared_ptr<const AppKeySet>> map_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::kms
