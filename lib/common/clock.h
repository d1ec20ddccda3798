// Clock: the one way code reads the time, so tests can pass a FakeClock (lib/testing).
//
//   void Expire(const Clock& clock) { if (clock.Now() > deadline_) ... }
//   Expire(SystemClock::Get());
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chainkms {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  virtual void SleepFor(absl::Duration d) = 0;
};

class SystemClock final : public Clock {
 public:
  static SystemClock& Get();
  absl::Time Now() const override { return absl::Now(); }
  void SleepFor(absl::Duration d) override { absl::SleepFor(d); }
};

inline SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

}  // namespace chainkms
