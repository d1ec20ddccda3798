#include "lib/common/hex.h"

#include <gtest/gtest.h>

namespace chainkms {
namespace {

TEST(HexTest, DecodesWithAndWithoutPrefix) {
  EXPECT_EQ(*HexDecode("0xdeadBEEF"), (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(*HexDecode("0Xff"), (Bytes{0xff}));
  EXPECT_EQ(*HexDecode("00ff"), (Bytes{0x00, 0xff}));
}

TEST(HexTest, EmptyAndBarePrefixDecodeToNothing) {
  EXPECT_TRUE(HexDecode("")->empty());
  EXPECT_TRUE(HexDecode("0x")->empty());
}

TEST(HexTest, RejectsOddLengthHex) {
  auto r = HexDecode("0xabc", HexPrefix::kOptional, "data");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("data"), std::string_view::npos);
  EXPECT_NE(r.status().message().find("odd"), std::string_view::npos);
}

TEST(HexTest, RejectsBadCharacterAndNamesPosition) {
  auto r = HexDecode("0x12zz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("position 4"), std::string_view::npos);
  EXPECT_FALSE(HexDecode("12 4").ok());
  EXPECT_FALSE(HexDecode("0x0x").ok());
}

TEST(HexTest, PrefixPolicyIsEnforced) {
  EXPECT_EQ(HexDecode("ab", HexPrefix::kRequired).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HexDecode("0xab", HexPrefix::kForbidden).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HexDecode("0xab", HexPrefix::kRequired).ok());
  EXPECT_TRUE(HexDecode("ab", HexPrefix::kForbidden).ok());
}

TEST(HexTest, EncodesLowercaseWithOptionalPrefix) {
  Bytes b = {0x00, 0xAB, 0x10};
  EXPECT_EQ(HexEncode(b), "00ab10");
  EXPECT_EQ(HexEncode(b, true), "0x00ab10");
  EXPECT_EQ(Hex0x({}), "0x");
}

TEST(HexTest, FixedDecodingRejectsShortHashInsteadOfPadding) {
  const std::string h31 = "0x" + std::string(62, 'a');
  auto r = ParseHash32(h31, "compose_hash");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("compose_hash"), std::string_view::npos);
  EXPECT_NE(r.status().message().find("expected 32 bytes, got 31"), std::string_view::npos);
  EXPECT_FALSE(ParseHash32("0x" + std::string(66, 'a')).ok());
  auto ok = ParseHash32("0x" + std::string(64, 'a'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[31], 0xaa);
}

TEST(HexTest, HasHexPrefixAcceptsLowerAndUpperX) {
  EXPECT_TRUE(HasHexPrefix("0x"));
  EXPECT_TRUE(HasHexPrefix("0Xab"));
  EXPECT_FALSE(HasHexPrefix("0"));
  EXPECT_FALSE(HasHexPrefix("x0"));
  EXPECT_FALSE(HasHexPrefix("00x1"));
  EXPECT_FALSE(HasHexPrefix(""));
}

TEST(HexTest, HexDigitValueCoversAllClasses) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('f'), 15);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
}

}  // namespace
}  // namespace chainkms
