// ethereum-tests KeyStoreTests/basic_tests.json: every keystore decrypts with its password to
// the listed private key (pbkdf2 and scrypt, including an all-ones IV that wraps the counter).
#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/eth/keystore.h"
#include "tests/vectors/vectors.h"

namespace chainkms {
namespace {

TEST(KeystoreVectorsTest, EveryKeystoreDecryptsToItsKey) {
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/KeyStoreTests/basic_tests.json");
  ASSERT_FALSE(j.empty());
  for (const auto& [name, c] : j.items()) {
    SCOPED_TRACE(name);
    const auto key = DecryptKeystore(c.at("json").dump(), c.at("password").get<std::string>());
    EXPECT_TRUE(key.ok()) << key.status();
    const bool passed = key.ok() && HexEncode(key->view()) == c.at("priv").get<std::string>();
    EXPECT_TRUE(passed);
    vectors::CountVectorCase("KeyStoreTests", passed);
  }
}

}  // namespace
}  // namespace chainkms
