#include "lib/crypto/aes.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Bytes Hex(std::string_view s) { return HexDecode(s).value(); }

// McGrew & Viega GCM spec test case 16 (AES-256, 96-bit IV, with AAD).
constexpr char kKey[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr char kIv[] = "cafebabefacedbaddecaf888";
constexpr char kPlain[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
    "b525b16aedf5aa0de657ba637b39";
constexpr char kAad[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr char kCipherAndTag[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
    "828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b";

TEST(AesGcmTest, EncryptMatchesGcmSpecTestCase16) {
  auto ct = Aes256GcmEncrypt(Hex(kKey), Hex(kIv), Hex(kPlain), Hex(kAad));
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(HexEncode(*ct), kCipherAndTag);
}

TEST(AesGcmTest, DecryptMatchesGcmSpecTestCase16) {
  auto pt = Aes256GcmDecrypt(Hex(kKey), Hex(kIv), Hex(kCipherAndTag), Hex(kAad));
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(HexEncode(pt->view()), kPlain);
}

// Test case 13: zero key and IV, empty plaintext — the output is the tag alone.
TEST(AesGcmTest, EncryptsEmptyPlaintextToTagOnly) {
  auto ct = Aes256GcmEncrypt(Bytes(32, 0), Bytes(12, 0), {});
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(HexEncode(*ct), "530f8afbc74536b9a963b4f1c4cb738b");
  auto pt = Aes256GcmDecrypt(Bytes(32, 0), Bytes(12, 0), *ct);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_TRUE(pt->empty());
}

TEST(AesGcmTest, RejectsTamperedCiphertextTagOrAad) {
  const Bytes good = Hex(kCipherAndTag);
  for (size_t i : {size_t{0}, good.size() / 2, good.size() - 1}) {
    Bytes bad = good;
    bad[i] ^= 0x01;
    auto pt = Aes256GcmDecrypt(Hex(kKey), Hex(kIv), bad, Hex(kAad));
    EXPECT_EQ(pt.status().code(), absl::StatusCode::kInvalidArgument) << "byte " << i;
    EXPECT_EQ(pt.status().message(), "aes-256-gcm: authentication failed");
  }
  auto no_aad = Aes256GcmDecrypt(Hex(kKey), Hex(kIv), good);
  EXPECT_EQ(no_aad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, RejectsWrongKeyAndIvSizes) {
  EXPECT_EQ(Aes256GcmEncrypt(Bytes(16, 0), Bytes(12, 0), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Aes256GcmEncrypt(Bytes(32, 0), Bytes(16, 0), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Aes256GcmDecrypt(Bytes(31, 0), Bytes(12, 0), Bytes(16, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Aes256GcmDecrypt(Bytes(32, 0), Bytes(11, 0), Bytes(16, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, RejectsInputShorterThanTag) {
  auto pt = Aes256GcmDecrypt(Bytes(32, 0), Bytes(12, 0), Bytes(15, 0));
  EXPECT_EQ(pt.status().code(), absl::StatusCode::kInvalidArgument);
}

// NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt), first two blocks plus a partial third.
TEST(AesCtrTest, MatchesSp80038aVectorAndInvertsItself) {
  const Bytes key = Hex("2b7e151628aed2a6abf7158809cf4f3c");
  const Bytes iv = Hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const Bytes plain = Hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c8");
  auto ct = Aes128Ctr(key, iv, plain);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(HexEncode(*ct), "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4");
  auto back = Aes128Ctr(key, iv, *ct);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, plain);
}

TEST(AesCtrTest, RejectsWrongKeyAndIvSizes) {
  EXPECT_EQ(Aes128Ctr(Bytes(32, 0), Bytes(16, 0), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Aes128Ctr(Bytes(16, 0), Bytes(12, 0), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
