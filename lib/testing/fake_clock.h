// FakeClock: a Clock that only moves when told to. SleepFor advances it instantly.
//
//   FakeClock clock(absl::FromUnixSeconds(1700000000));
//   clock.Advance(absl::Minutes(5));
#pragma once

#include "lib/common/clock.h"
#include "lib/common/sync.h"

namespace chainkms::testutil {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  absl::Time Now() const override {
    chainkms::MutexLock l(&mu_);
    return now_;
  }
  void SleepFor(absl::Duration d) override { Advance(d); }
  void Advance(absl::Duration d) {
    chainkms::MutexLock l(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    chainkms::MutexLock l(&mu_);
    now_ = t;
  }

 private:
  mutable chainkms::Mutex mu_;
  absl::Time now_;
};

}  // namespace chainkms::testutil
