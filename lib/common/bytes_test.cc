#include "lib/common/bytes.h"

#include <gtest/gtest.h>

namespace chainkms {
namespace {

TEST(FixedBytesTest, TryFromRequiresExactSize) {
  Bytes b31(31, 1), b32(32, 1);
  EXPECT_FALSE(Hash32::TryFrom(b31).has_value());
  ASSERT_TRUE(Hash32::TryFrom(b32).has_value());
  EXPECT_EQ(Hash32::TryFrom(b32)->ToBytes(), b32);
  EXPECT_FALSE(Address::TryFrom(b32).has_value());
}

TEST(FixedBytesTest, ComparesAndDetectsZero) {
  Hash32 a, b;
  EXPECT_TRUE(a.IsZero());
  b[31] = 1;
  EXPECT_FALSE(b.IsZero());
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
}

TEST(BytesTest, ConcatJoinsInOrder) {
  Bytes a = {1, 2}, b = {3};
  EXPECT_EQ(Concat({a, b, AsBytes("A")}), (Bytes{1, 2, 3, 'A'}));
}

}  // namespace
}  // namespace chainkms
