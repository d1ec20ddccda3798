#include "lib/common/u256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

constexpr char kMaxDec[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

TEST(U256Test, DecimalRoundTripsAtTheEdges) {
  for (const char* s : {"0", "1", "18446744073709551615", "18446744073709551616",
                        "10000000000000000000", "1000000000000000000000000000000", kMaxDec}) {
    auto v = U256::FromDecimal(s);
    ASSERT_TRUE(v.ok()) << s;
    EXPECT_EQ(v->ToDecimal(), s);
  }
  EXPECT_EQ(U256::Max().ToDecimal(), kMaxDec);
}

TEST(U256Test, RejectsDecimalOverflowAndJunk) {
  std::string over = kMaxDec;
  over.back() = '6';
  EXPECT_EQ(U256::FromDecimal(over).status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"", "-1", "12a", " 1", "1e3"}) {
    EXPECT_EQ(U256::FromDecimal(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // 2^256 overflows in the final addition, 10·2^256 in the multiplication.
  EXPECT_EQ(U256::FromDecimal(std::string(kMaxDec) + "0").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(U256Test, RejectsHexJunkWithInvalidArgument) {
  for (const std::string& bad : std::vector<std::string>{"", "0x", "0xg", "-1", "0x 1",
                                                         "0x1" + std::string(64, '0')}) {
    EXPECT_EQ(U256::FromHex(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// divmod(2**200 + 12345, 1000000007) in Python.
TEST(U256Test, DivModSmallGivesQuotientAndRemainder) {
  const U256 v = *(U256(1) << 200).CheckedAdd(U256(12345));
  U256 q;
  EXPECT_EQ(v.DivModSmall(1000000007, &q), 499457417u);
  EXPECT_EQ(q.ToDecimal(), "1606938033010424044468993781058206135114760047979472");
  EXPECT_EQ(U256(41).DivModSmall(7, nullptr), 6u);
}

TEST(U256Test, ComplementAndLow64) {
  EXPECT_EQ((~U256(5)).ToHexQuantity(), "0x" + std::string(63, 'f') + "a");
  EXPECT_EQ(~U256::Max(), U256(0));
  EXPECT_EQ(((U256(7) << 64) | U256(9)).low64(), 9u);
}

TEST(U256Test, HexParsingAndQuantityFormatting) {
  EXPECT_EQ(U256::FromHex("0x0")->ToHexQuantity(), "0x0");
  EXPECT_EQ(U256::FromHex("0x00ff")->ToHexQuantity(), "0xff");
  EXPECT_EQ(U256::FromHex("abc")->ToDecimal(), "2748");
  EXPECT_FALSE(U256::FromHex("0x").ok());
  EXPECT_FALSE(U256::FromHex("0xg").ok());
  EXPECT_FALSE(U256::FromHex("0x1" + std::string(64, '0')).ok());
  EXPECT_TRUE(U256::FromHex("0x" + std::string(64, 'f')).ok());
}

TEST(U256Test, BigEndianConversions) {
  auto v = U256::FromBigEndian(Bytes{0x01, 0x00});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, U256(256));
  EXPECT_EQ(v->ToMinimalBigEndian(), (Bytes{0x01, 0x00}));
  EXPECT_TRUE(U256(0).ToMinimalBigEndian().empty());
  EXPECT_EQ(HexEncode(U256(1).ToBigEndian()), std::string(63, '0') + "1");
  EXPECT_EQ(U256::FromBigEndian(Bytes(33, 0)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(U256Test, CheckedArithmeticReportsOverflow) {
  EXPECT_FALSE(U256::Max().CheckedAdd(U256(1)).has_value());
  EXPECT_FALSE(U256(0).CheckedSub(U256(1)).has_value());
  EXPECT_FALSE(U256::Max().CheckedMul(U256(2)).has_value());
  EXPECT_FALSE(U256(5).CheckedDiv(U256(0)).has_value());
  EXPECT_EQ(*U256(7).CheckedSub(U256(2)), U256(5));
  auto big = *U256::FromDecimal("340282366920938463463374607431768211456");  // 2^128
  EXPECT_EQ(big.CheckedMul(big), std::nullopt);                             // 2^256
  EXPECT_EQ(big.CheckedMul(U256(3))->ToDecimal(), "1020847100762815390390123822295304634368");
  EXPECT_EQ(U256::Max().CheckedDiv(big)->ToDecimal(), "340282366920938463463374607431768211455");
  EXPECT_EQ(U256(17).CheckedMod(U256(5)), U256(2));
  EXPECT_EQ(U256::Max().CheckedMod(big)->ToDecimal(), "340282366920938463463374607431768211455");
}

TEST(U256Test, WrappingAndBitOperations) {
  EXPECT_EQ(U256(0).WrappingSub(U256(1)), U256::Max());
  EXPECT_EQ(U256::Max().WrappingAdd(U256(1)), U256(0));
  EXPECT_EQ((U256(1) << 255) >> 255, U256(1));
  EXPECT_EQ((U256(1) << 64).BitLength(), 65);
  EXPECT_EQ(U256(0).BitLength(), 0);
  EXPECT_EQ((U256(0xf0) & U256(0x3c)), U256(0x30));
  EXPECT_EQ((U256(0xf0) | U256(0x0f)), U256(0xff));
  EXPECT_TRUE((U256(1) << 100).Bit(100));
  EXPECT_EQ(U256(1) << 256, U256(0));
  EXPECT_EQ((U256(1) << 64).ToU64(), std::nullopt);
  EXPECT_EQ(U256(42).ToU64(), 42u);
}

}  // namespace
}  // namespace chainkms

namespace chainkms {
namespace {

TEST(U256DeathTest, DivModSmallByZeroAborts) {
  EXPECT_DEATH(U256(5).DivModSmall(0, nullptr), "");
}

}  // namespace
}  // namespace chainkms
