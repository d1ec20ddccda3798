#include "services/kms/app_key_cache.h"

namespace chainkms::kms {

std::shared_ptr<const AppKeySet> AppKeyCache::Find(uint64_t chain_id, const Address& app) const {
  MutexLock lock(&mu_);
  auto it = map_.find(std::make_pair(chain_id, app));
  return it == map_.end() ? nullptr : it->second;
}

void AppKeyCache::Put(uint64_t chain_id, const Address& app,
                      std::shared_ptr<const AppKeySet> keys) {
  if (capacity_ == 0) return;
  MutexLock lock(&mu_);
  if (map_.size() >= capacity_) map_.clear();
  map_[std::make_pair(chain_id, app)] = std::move(keys);
}

}  // namespace chainkms::kms
