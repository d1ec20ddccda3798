#include "lib/crypto/p256.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/crypto/hash.h"

namespace chainkms {
namespace {

Bytes Hex(std::string_view s) { return HexDecode(s).value(); }

constexpr char kGx[] = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
constexpr char kGy[] = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
constexpr char kOrder[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
constexpr char kOrderMinusOne[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550";

TEST(P256Test, ScalarOneGivesGenerator) {
  Bytes d(32, 0);
  d[31] = 1;
  auto k = P256PrivateKey::FromScalar(d);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(HexEncode(k->PublicKeyUncompressed().view()), std::string("04") + kGx + kGy);
}

TEST(P256Test, ScalarNMinusOneGivesNegatedGenerator) {
  auto k = P256PrivateKey::FromScalar(Hex(kOrderMinusOne));
  ASSERT_TRUE(k.ok()) << k.status();
  // -G = (Gx, p - Gy).
  EXPECT_EQ(HexEncode(k->PublicKeyUncompressed().view()),
            std::string("04") + kGx +
                "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a");
}

TEST(P256Test, RejectsZeroOrderAndAboveOrder) {
  for (const Bytes& d : {Bytes(32, 0), Hex(kOrder), Bytes(32, 0xff)}) {
    EXPECT_EQ(P256PrivateKey::FromScalar(d).status().code(), absl::StatusCode::kInvalidArgument)
        << HexEncode(d);
  }
}

TEST(P256Test, RejectsScalarOfWrongLength) {
  EXPECT_EQ(P256PrivateKey::FromScalar(Bytes(31, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(P256PrivateKey::FromScalar(Bytes(33, 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(P256Test, Pkcs8DerHasExactLayoutAndOpenSslParsesItToTheSameKey) {
  const Bytes d = Hex("f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1");
  auto k = P256PrivateKey::FromScalar(d);
  ASSERT_TRUE(k.ok()) << k.status();
  SecretBytes der = k->Pkcs8Der();
  ASSERT_EQ(der.size(), 138u);
  EXPECT_EQ(HexEncode(der.view()),
            "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420" + HexEncode(d) +
                "a144034200" + HexEncode(k->PublicKeyUncompressed().view()));

  const uint8_t* p = der.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> parsed(
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())), &EVP_PKEY_free);
  ASSERT_NE(parsed, nullptr);
  uint8_t pub[65];
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(parsed.get(), "encoded-pub-key", pub, sizeof(pub), &len),
            1);
  EXPECT_EQ(HexEncode(ByteView(pub, len)), HexEncode(k->PublicKeyUncompressed().view()));
}

// DESIGN §5.3: derive_dh_secret = SHA-256(PKCS#8 DER of the P-256 key whose scalar is
// HKDF-SHA256(salt "RATLS", ikm root scalar, info = ctx parts concatenated, 32)). The same
// values were reproduced independently with Python `cryptography`.
absl::StatusOr<Hash32> DeriveDhSecret(ByteView root, ByteView info) {
  auto scalar = HkdfSha256(root, AsBytes("RATLS"), info, 32);
  if (!scalar.ok()) return scalar.status();
  auto key = P256PrivateKey::FromScalar(scalar->view());
  if (!key.ok()) return key.status();
  return Sha256(key->Pkcs8Der().view());
}

constexpr char kRoot[] = "f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1";

TEST(P256Test, DerivedDhSecretMatchesDesignVector) {
  auto s = DeriveDhSecret(Hex(kRoot), AsBytes("context onecontext two"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(HexEncode(s->view()), "663afd58820be8ad645f9c035e93199d114ab16f738db62393bc1d7d623e8813");
}

TEST(P256Test, DerivedEnvAndDiskKeysMatchDesignVectors) {
  const Bytes app_id(20, 0);
  auto env = DeriveDhSecret(Hex(kRoot), Concat({app_id, AsBytes("env-encrypt-key")}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(HexEncode(env->view()),
            "bd41ba1b4afc83aa6ffaa33db4c24d849e2aff9cfb6d0dc8b2107aea32a2852c");
  const Bytes instance_id(20, 0x11);
  auto disk =
      DeriveDhSecret(Hex(kRoot), Concat({app_id, instance_id, AsBytes("app-disk-crypt-key")}));
  ASSERT_TRUE(disk.ok()) << disk.status();
  EXPECT_EQ(HexEncode(disk->view()),
            "ea3e7b4b843b4d1257f87efc9f6aa7c7dd04c3f66be1a4b1a60442d807d8cbd4");
}

}  // namespace
}  // namespace chainkms
