// SignerRegistry: the keys the registry may sign writes with, selected by a request's `from`.
//
// The keystore loader (V3 keystores, a dev key from the environment) populates a
// StaticSignerRegistry at startup; handlers only look keys up. Keys never leave their Signer.
//
//   auto signers = std::make_shared<StaticSignerRegistry>();
//   signers->Add(std::make_shared<LocalKeySigner>(std::move(key)));
//   std::shared_ptr<Signer> s = signers->Find(from);  // nullptr: no key for that address
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/bytes.h"

namespace chainkms::registry {

class SignerRegistry {
 public:
  virtual ~SignerRegistry() = default;
  // The signer for `address`, or nullptr.
  virtual std::shared_ptr<Signer> Find(const Address& address) const = 0;
  // Every loaded address (for the startup log).
  virtual std::vector<Address> Addresses() const = 0;
};

// A map address → signer. Thread-safe.
class StaticSignerRegistry final : public SignerRegistry {
 public:
  void Add(std::shared_ptr<Signer> signer) {
    absl::MutexLock lock(&mu_);
    Address a = signer->address();
    signers_[a] = std::move(signer);
  }
  std::shared_ptr<Signer> Find(const Address& address) const override {
    absl::MutexLock lock(&mu_);
    auto it = signers_.find(address);
    return it == signers_.end() ? nullptr : it->second;
  }
  std::vector<Address> Addresses() const override {
    absl::MutexLock lock(&mu_);
    std::vector<Address> out;
    for (const auto& [a, s] : signers_) out.push_back(a);
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<Address, std::shared_ptr<Signer>> signers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::registry
