#include "services/kms/keys_cli.h"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/kms/root_keys.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace chainkms::kms {
namespace {

using ::testing::HasSubstr;

struct Out {
  std::optional<int> rc;
  std::string out;
  std::string err;
};

Out Cli(std::vector<std::string> args) {
  args.insert(args.begin(), "chainkms-kms");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  Out o;
  o.rc = RunSubcommand(static_cast<int>(argv.size()), argv.data(), out, err,
                       absl::FromUnixSeconds(1700000000));
  o.out = out.str();
  o.err = err.str();
  return o;
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
  }
  testutil::TempDir tmp_;
  std::string dir_;
};

TEST_F(KeysCliTest, InitThenShowPrintsOnlyPublicMaterialAndTheRegistration) {
  const std::string d = dir_ + "/a/31337";
  Out init = Cli({"keys", "init", "--dir", d});
  ASSERT_EQ(init.rc, 0) << init.err;
  Out again = Cli({"keys", "init", "--dir", d});
  EXPECT_EQ(again.rc, 1);
  EXPECT_THAT(again.err, HasSubstr("refusing to overwrite"));

  Out show = Cli({"keys", "show", "--dir=" + d, "--chain-id", "31337", "--json"});
  ASSERT_EQ(show.rc, 0) << show.err;
  const nlohmann::json j = nlohmann::json::parse(show.out);
  absl::StatusOr<RootKeys> keys = LoadKeyDir(d);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(j["k256_public_key"], Hex0x(keys->K256PublicKey().view()));
  EXPECT_EQ(j["ca_public_key_spki_der"], Hex0x(keys->CaSpkiDer()));
  EXPECT_EQ(j["set_kms_info_calldata"], Hex0x(dstack_kms::SetKmsInfo(keys->OnChainInfo())));
  EXPECT_EQ(j["prepare_transaction_request"]["chainId"], "31337");
  EXPECT_TRUE(j["prepare_transaction_request"]["actions"][0].contains("setKmsInfo"));
  // No secret in any output.
  for (const Out& o : {init, show, Cli({"keys", "show", "--dir", d})}) {
    EXPECT_THAT(o.out, testing::Not(HasSubstr(HexEncode(keys->k256.secret().view()))));
    EXPECT_THAT(o.out, testing::Not(HasSubstr(HexEncode(keys->ca.scalar().view()))));
    EXPECT_THAT(o.out, testing::Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST_F(KeysCliTest, UsageErrorsAndNonSubcommands) {
  EXPECT_EQ(Cli({"--listen=127.0.0.1:0"}).rc, std::nullopt);  // the server's flags
  EXPECT_EQ(Cli({"keys", "init"}).rc, 2);
  EXPECT_EQ(Cli({"keys", "rotate", "--dir", "x"}).rc, 2);
  EXPECT_EQ(Cli({"keys", "show", "--dir", dir_ + "/none"}).rc, 1);
  EXPECT_EQ(Cli({"audit", "verify"}).rc, 2);
  EXPECT_EQ(Cli({"audit", "verify", dir_ + "/missing.log"}).rc, 1);
  EXPECT_EQ(Cli({"keys", "show", "--dir", "x", "--chain-id", "abc"}).rc, 2);
}

}  // namespace
}  // namespace chainkms::kms
