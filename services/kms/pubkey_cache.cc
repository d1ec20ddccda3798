#include "services/kms/pubkey_cache.h"

namespace chainkms::kms {

std::optional<EnvPubkeyEntry> PubkeyCache::Find(uint64_t chain_id, const Address& app) const {
  MutexLock lock(&mu_);
  auto it = map_.find(std::make_pair(chain_id, app));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void PubkeyCache::Put(uint64_t chain_id, const Address& app, const EnvPubkeyEntry& entry) {
  MutexLock lock(&mu_);
  if (map_.size() >= capacity_) map_.clear();
  map_[std::make_pair(chain_id, app)] = entry;
}

}  // namespace chainkms::kms
