#include "lib/crypto/kdf.h"

#include <gtest/gtest.h>

#include <string>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

// RFC 7914 §12, first vector (empty password and salt).
TEST(ScryptTest, MatchesRfc7914SmallVector) {
  auto dk = Scrypt({}, {}, ScryptParams{.n = 16, .r = 1, .p = 1}, 64);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(HexEncode(dk->view()),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753"
            "a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

// RFC 7914 §12, second vector; needs 8 MiB+, above OpenSSL's 32 MiB default only when p grows,
// so this also checks maxmem is sized from the parameters.
TEST(ScryptTest, MatchesRfc7914PasswordNaClVector) {
  auto dk = Scrypt(AsBytes("password"), AsBytes("NaCl"), ScryptParams{.n = 1024, .r = 8, .p = 16},
                   64);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(HexEncode(dk->view()),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109"
            "279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

// Geth's "light" keystore parameters use 4 MiB; the standard ones (n=262144, r=8) need 256 MiB,
// far above OpenSSL's 32 MiB default limit.
TEST(ScryptTest, AcceptsStandardKeystoreParametersAboveOpenSslDefaultMemory) {
  auto dk = Scrypt(AsBytes("pw"), AsBytes("salt"), ScryptParams{.n = 262144, .r = 8, .p = 1}, 32);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(dk->size(), 32u);
}

// OpenSSL refuses n >= 2^(16·r); Scrypt falls back to its portable code. The expected value comes
// from an independent pure-Python RFC 7914 scrypt (hashlib.scrypt is OpenSSL and refuses too),
// itself checked against RFC 7914 §12 and hashlib.scrypt on parameters OpenSSL accepts.
TEST(ScryptTest, ComputesParametersOpenSslRefusesWithThePortableFallback) {
  auto dk = Scrypt(AsBytes("password"), AsBytes("NaCl"), ScryptParams{.n = 65536, .r = 1, .p = 2},
                   32);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(HexEncode(dk->view()),
            "6a435edd142c70a0ab85918b9bdb943b3be223de0e644e309890c9e8100c88d9");
}

TEST(ScryptTest, PortableFallbackKeepsItsMemoryCap) {
  // 128 · 1 · 2^22 = 512 MiB: under the 2 GiB cap, over the portable path's 256 MiB.
  auto dk = Scrypt({}, {}, ScryptParams{.n = uint64_t{1} << 22, .r = 1, .p = 1}, 32);
  EXPECT_EQ(dk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(dk.status().message()).find("256 MiB"), std::string::npos) << dk.status();
}

TEST(ScryptTest, RejectsNNotAPowerOfTwo) {
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 1000, .r = 1, .p = 1}, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 1, .r = 1, .p = 1}, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 0, .r = 1, .p = 1}, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ScryptTest, RejectsZeroROrPOrDklen) {
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 16, .r = 0, .p = 1}, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 16, .r = 1, .p = 0}, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Scrypt({}, {}, ScryptParams{.n = 16, .r = 1, .p = 1}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ScryptTest, RejectsParametersNeedingMoreThanTwoGibibytes) {
  // 128 · 8 · 2^21 = 2 GiB for V alone, plus B.
  auto dk = Scrypt({}, {}, ScryptParams{.n = uint64_t{1} << 21, .r = 8, .p = 1}, 32);
  EXPECT_EQ(dk.status().code(), absl::StatusCode::kInvalidArgument);
  auto huge = Scrypt({}, {}, ScryptParams{.n = uint64_t{1} << 62, .r = 0xffffffff, .p = 1}, 32);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
}

// Known PBKDF2-HMAC-SHA256 answers for "password"/"salt" (as in RFC 7914 §11's style; checked
// against Python's hashlib.pbkdf2_hmac).
TEST(Pbkdf2Test, MatchesKnownVectors) {
  auto one = Pbkdf2HmacSha256(AsBytes("password"), AsBytes("salt"), 1, 32);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(HexEncode(one->view()),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  auto many = Pbkdf2HmacSha256(AsBytes("password"), AsBytes("salt"), 4096, 32);
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(HexEncode(many->view()),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(Pbkdf2Test, RejectsZeroIterationsOrDklen) {
  EXPECT_EQ(Pbkdf2HmacSha256(AsBytes("p"), AsBytes("s"), 0, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Pbkdf2HmacSha256(AsBytes("p"), AsBytes("s"), 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
