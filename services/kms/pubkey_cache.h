// Env-encryption public keys and their signatures, cached per (chain, app): public material
// only, so GetAppEnvEncryptPubKey does not derive a P-256 key, an X25519 key and two signatures
// on every call. The v1 signature covers a timestamp in seconds and is cached for that second.
// Bounded: past `capacity` entries the cache is cleared (entries are cheap to recompute).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"

namespace chainkms::kms {

struct EnvPubkeyEntry {
  Hash32 public_key;
  FixedBytes<65> signature;  // legacy
  uint64_t v1_timestamp = 0;
  FixedBytes<65> signature_v1;
};

class PubkeyCache {
 public:
  explicit PubkeyCache(size_t capacity = 100000) : capacity_(capacity) {}
  std::optional<EnvPubkeyEntry> Find(uint64_t chain_id, const Address& app) const;
  void Put(uint64_t chain_id, const Address& app, const EnvPubkeyEntry& entry);

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::pair<uint64_t, Address>, EnvPubkeyEntry> map_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::kms
