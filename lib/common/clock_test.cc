#include "lib/common/clock.h"

#include <gtest/gtest.h>

#include "lib/testing/fake_clock.h"

namespace chainkms {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  testutil::FakeClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.SleepFor(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1005));
  clock.Set(absl::FromUnixSeconds(7));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(7));
}

TEST(ClockTest, SystemClockIsNearAbslNow) {
  Clock& c = SystemClock::Get();
  EXPECT_LT(absl::AbsDuration(c.Now() - absl::Now()), absl::Seconds(5));
}

}  // namespace
}  // namespace chainkms
