#include "lib/crypto/hash.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Bytes Hex(std::string_view s) { return HexDecode(s).value(); }
template <size_t N>
std::string ToHex(const FixedBytes<N>& b) {
  return HexEncode(b.view());
}

TEST(ShaTest, Sha256OfAbcMatchesFips180Example) {
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ShaTest, Sha256OfEmptyInput) {
  EXPECT_EQ(ToHex(Sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ShaTest, Sha384OfAbcMatchesFips180Example) {
  EXPECT_EQ(ToHex(Sha384(AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
            "34c825a7");
}

TEST(ShaTest, Sha512OfAbcMatchesFips180Example) {
  EXPECT_EQ(ToHex(Sha512(AsBytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
            "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// RFC 4231 test cases 1, 2 and 6 (6 has a key longer than the block size).
TEST(HmacTest, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(ToHex(HmacSha256(Bytes(20, 0x0b), AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(ToHex(HmacSha256(Bytes(131, 0xaa),
                             AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacTest, HmacSha512MatchesRfc4231) {
  EXPECT_EQ(ToHex(HmacSha512(Bytes(20, 0x0b), AsBytes("Hi There"))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b27"
            "4eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(ToHex(HmacSha512(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f"
            "65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(HkdfTest, MatchesRfc5869CaseOne) {
  auto okm = HkdfSha256(Bytes(22, 0x0b), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(HexEncode(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfTest, MatchesRfc5869CaseThreeWithEmptySaltAndInfo) {
  auto okm = HkdfSha256(Bytes(22, 0x0b), {}, {}, 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(HexEncode(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, MaximumLengthIsAPrefixExtensionOfShorterOutput) {
  auto full = HkdfSha256(AsBytes("ikm"), AsBytes("salt"), AsBytes("info"), 8160);
  auto part = HkdfSha256(AsBytes("ikm"), AsBytes("salt"), AsBytes("info"), 33);
  ASSERT_TRUE(full.ok() && part.ok());
  EXPECT_EQ(full->size(), 8160u);
  EXPECT_TRUE(part->Equals(full->view().first(33)));
}

TEST(HkdfTest, RejectsZeroLength) {
  auto okm = HkdfSha256(AsBytes("ikm"), {}, {}, 0);
  EXPECT_EQ(okm.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HkdfTest, RejectsLengthAbove255Blocks) {
  auto okm = HkdfSha256(AsBytes("ikm"), {}, {}, 8161);
  EXPECT_EQ(okm.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
