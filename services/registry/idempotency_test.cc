#include "services/registry/idempotency.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/crypto/keccak.h"
#include "lib/testing/fake_clock.h"

namespace chainkms::registry {
namespace {

Hash32 H(std::string_view s) { return Keccak256(AsBytes(s)); }

TEST(IdempotencyCacheTest, ARetryWithTheSameKeyReturnsTheFirstTransaction) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock);
  absl::StatusOr<IdempotencyCache::Claim> first = cache.Begin("k1", H("write"));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->existing.has_value());
  cache.Finish("k1", H("tx"));
  absl::StatusOr<IdempotencyCache::Claim> retry = cache.Begin("k1", H("write"));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->existing, H("tx"));
}

TEST(IdempotencyCacheTest, TheSameKeyForAnotherWriteIsRefusedWithReason) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock);
  ASSERT_TRUE(cache.Begin("k", H("a")).ok());
  cache.Finish("k", H("tx"));
  absl::StatusOr<IdempotencyCache::Claim> other = cache.Begin("k", H("b"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(other.status()), Reason::kIdempotencyKeyReused);
  EXPECT_EQ(MetadataOf(other.status()).at("idempotency_key"), "k");
  EXPECT_EQ(MetadataOf(other.status()).at("tx_hash"), Hex0x(H("tx").view()));
}

TEST(IdempotencyCacheTest, AFailedAttemptForgetsTheKeySoARetrySendsAgain) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock);
  ASSERT_TRUE(cache.Begin("k", H("a")).ok());
  cache.Finish("k", absl::UnavailableError("node down"));
  absl::StatusOr<IdempotencyCache::Claim> again = cache.Begin("k", H("a"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->existing.has_value());
}

TEST(IdempotencyCacheTest, KeysExpireAfterTheTtl) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock, {.ttl = absl::Hours(1)});
  ASSERT_TRUE(cache.Begin("k", H("a")).ok());
  cache.Finish("k", H("tx"));
  clock.Advance(absl::Hours(2));
  absl::StatusOr<IdempotencyCache::Claim> later = cache.Begin("k", H("b"));
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->existing.has_value());
}

TEST(IdempotencyCacheTest, TheCacheIsBoundedByEvictingTheOldest) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock, {.max_entries = 2});
  for (const char* k : {"a", "b", "c"}) {
    ASSERT_TRUE(cache.Begin(k, H(k)).ok());
    cache.Finish(k, H(k));
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Begin("a", H("a"))->existing.has_value());  // evicted
}

TEST(IdempotencyCacheTest, AConcurrentRetryWaitsForTheFirstAttemptInsteadOfSendingAgain) {
  testutil::FakeClock clock;
  IdempotencyCache cache(clock);
  ASSERT_TRUE(cache.Begin("k", H("a")).ok());
  absl::StatusOr<IdempotencyCache::Claim> second;
  std::thread retry([&] { second = cache.Begin("k", H("a")); });
  cache.Finish("k", H("tx"));
  retry.join();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->existing, H("tx"));
}

}  // namespace
}  // namespace chainkms::registry
