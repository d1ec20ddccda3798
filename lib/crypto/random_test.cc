#include "lib/crypto/random.h"

#include <set>

#include <gtest/gtest.h>

namespace chainkms {
namespace {

TEST(RandomTest, RandomBytesHasRequestedLength) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(37).size(), 37u);
  EXPECT_EQ(RandomSecret(32).size(), 32u);
}

// 32 random bytes repeat or come out all zero with negligible probability; this catches a
// stub that never fills the buffer.
TEST(RandomTest, SuccessiveDrawsDiffer) {
  std::set<Bytes> seen;
  for (int i = 0; i < 16; ++i) seen.insert(RandomBytes(32));
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_FALSE(Hash32::TryFrom(RandomSecret(32).view())->IsZero());
}

TEST(RandomTest, SecureRandomFillsTheWholeSpan) {
  Bytes b(4096, 0);
  SecureRandom(b);
  // Each 64-byte window left untouched would be all zeros.
  for (size_t off = 0; off < b.size(); off += 64) {
    EXPECT_FALSE(std::all_of(b.begin() + off, b.begin() + off + 64, [](uint8_t c) { return c == 0; }))
        << "offset " << off;
  }
}

}  // namespace
}  // namespace chainkms
