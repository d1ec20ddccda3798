#include "lib/kms/env_crypt.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::kms {
namespace {

TEST(EnvCryptTest, RoundTripsAndRefusesAnyChange) {
  SecretBytes priv = RandomSecret(32);
  const Hash32 pub = X25519PublicKey(std::span<const uint8_t, 32>(priv.data(), 32));
  const std::string plain = R"({"env":[{"key":"A","value":"b"}]})";
  ASSERT_OK_AND_ASSIGN(Bytes payload, EncryptEnv(pub, AsBytes(plain)));
  EXPECT_EQ(payload.size(), plain.size() + 60);
  ASSERT_OK_AND_ASSIGN(SecretBytes out, DecryptEnv(priv.view(), payload));
  EXPECT_TRUE(out.Equals(AsBytes(plain)));
  for (size_t i = 0; i < payload.size(); i += 7) {
    Bytes bad = payload;
    bad[i] ^= 0x80;
    EXPECT_FALSE(DecryptEnv(priv.view(), bad).ok()) << i;
  }
  EXPECT_FALSE(DecryptEnv(priv.view(), ByteView(payload).first(59)).ok());
  EXPECT_FALSE(EncryptEnv(Hash32{}, AsBytes(plain)).ok());
}

}  // namespace
}  // namespace chainkms::kms
