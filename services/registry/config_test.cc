// chainkms-registry's flags and startup configuration, without a chain: every flag from the
// command line and from its CHAINKMS_* twin (through the env seam), validation errors that name
// the flag, and signer loading.
#include "services/registry/config.h"

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/env.h"
#include "lib/common/hex.h"
#include "lib/crypto/secp256k1.h"
#include "services/registry/server.h"

namespace chainkms::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kKey1[] = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr char kKms[] = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

Address AddressOf(const char* hex) { return Secp256k1PrivateKey::FromBytes(*HexDecode(hex))->ToAddress(); }

absl::Status Parse(std::vector<std::string> args, std::map<std::string, std::string> env,
                   Config* config) {
  server::FlagSet flags("test");
  RegisterFlags(flags, config);
  std::vector<char*> argv;
  std::string name = "chainkms-registry";
  argv.push_back(name.data());
  for (std::string& a : args) argv.push_back(a.data());
  absl::StatusOr<server::ParseOutcome> o =
      flags.Parse(static_cast<int>(argv.size()), argv.data(), MapEnv(std::move(env)));
  if (!o.ok()) return o.status();
  return FinishConfig(config);
}

TEST(RegistryConfigTest, FlagsSetEveryField) {
  Config c;
  ASSERT_TRUE(Parse({"--chain", std::string("31337=http://127.0.0.1:8545;kms=") + kKms,
                     "--listen", "127.0.0.1:0", "--default-confirmations", "3",
                     "--default-wait-timeout", "45s", "--tx-poll-interval", "250ms",
                     "--dev-private-key-env", "DEV_KEY", "--max-concurrent-streams", "8"},
                    {}, &c)
                  .ok());
  ASSERT_EQ(c.chains.size(), 1u);
  EXPECT_EQ(c.chains[0].chain_id, 31337u);
  EXPECT_EQ(c.default_confirmations, 3);
  EXPECT_EQ(c.default_wait_timeout, absl::Seconds(45));
  EXPECT_EQ(c.tx_poll_interval, absl::Milliseconds(250));
  EXPECT_EQ(c.dev_private_key_env, "DEV_KEY");
  EXPECT_EQ(c.server.max_concurrent_streams, 8);
}

TEST(RegistryConfigTest, EnvironmentTwinsSetFieldsAndFlagsWin) {
  Config c;
  ASSERT_TRUE(Parse({"--default-confirmations", "2"},
                    {{"CHAINKMS_CHAIN", std::string("8453=https://rpc.example/KEY;kms=") + kKms},
                     {"CHAINKMS_DEFAULT_CONFIRMATIONS", "5"},
                     {"CHAINKMS_KEYSTORE_DIR", "/keys"},
                     {"CHAINKMS_KEYSTORE_PASSWORD_ENV", "PW"}},
                    &c)
                  .ok());
  EXPECT_EQ(c.chains.at(0).chain_id, 8453u);
  EXPECT_EQ(c.default_confirmations, 2);
  EXPECT_EQ(c.keystore_dir, "/keys");
  EXPECT_EQ(c.keystore_password_env, "PW");
}

TEST(RegistryConfigTest, BadValuesNameTheFlagAndNeverEchoUrls) {
  Config c;
  absl::Status s = Parse({}, {}, &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--chain"));
  Config c2;
  s = Parse({"--chain", "1=https://user:secret@rpc.example"}, {}, &c2);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--chain"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("secret")));
  Config c3;
  s = Parse({"--chain", std::string("1=http://a;kms=") + kKms, "--default-confirmations", "0"}, {}, &c3);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--default-confirmations"));
  Config c4;
  s = Parse({"--chain", std::string("1=http://a;kms=") + kKms, "--keystore-password-env", "PW"}, {},
            &c4);
  EXPECT_THAT(std::string(s.message()), HasSubstr("need --keystore-dir"));
}

TEST(RegistryConfigTest, TheDevKeyComesFromTheNamedVariableAndABadOneIsRefused) {
  Config config;
  config.dev_private_key_env = "CHAINKMS_REGISTRY_TEST_DEV_KEY";
  std::vector<std::string> forgotten;
  Deps deps{.env = MapEnv({{"CHAINKMS_REGISTRY_TEST_DEV_KEY", kKey1}}),
            .forget_env = [&](const std::string& name) { forgotten.push_back(name); }};
  std::ostringstream warnings;
  auto signers = LoadSigners(config, &warnings, deps);
  ASSERT_TRUE(signers.ok()) << signers.status();
  EXPECT_TRUE((*signers)->Find(AddressOf(kKey1)).ok());
  EXPECT_FALSE((*signers)->Find(AddressOf(kKey0)).ok());
  EXPECT_THAT(warnings.str(), HasSubstr("development only"));
  EXPECT_THAT(warnings.str(), Not(HasSubstr(kKey1)));
  // Read once, then removed from the process environment.
  EXPECT_THAT(forgotten, ElementsAre("CHAINKMS_REGISTRY_TEST_DEV_KEY"));

  deps.env = MapEnv({{"CHAINKMS_REGISTRY_TEST_DEV_KEY", "zz"}});
  auto bad = LoadSigners(config, &warnings, deps);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("zz")));
}

TEST(RegistryConfigTest, UnsetProcessEnvRemovesTheVariable) {
  ASSERT_EQ(setenv("CHAINKMS_REGISTRY_TEST_FORGET", "secret", 1), 0);
  UnsetProcessEnv("CHAINKMS_REGISTRY_TEST_FORGET");
  EXPECT_EQ(std::getenv("CHAINKMS_REGISTRY_TEST_FORGET"), nullptr);
}

TEST(RegistryConfigTest, AKeystoreDirNeedsExactlyOnePasswordSource) {
  Config config;
  config.keystore_dir = "/nonexistent";
  auto s = LoadSigners(config);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("--keystore-password-file"));
  config.chain_specs = "31337=http://127.0.0.1:8545;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3";
  EXPECT_THAT(std::string(FinishConfig(&config).message()), HasSubstr("--keystore-password-file"));
}

}  // namespace
}  // namespace chainkms::registry
