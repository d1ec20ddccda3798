#include "services/kms/config.h"

#include <map>
#include <optional>

#include "lib/common/status_macros.h"
#include "services/kms/server.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::kms {
namespace {

using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

constexpr char kKms[] = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

absl::StatusOr<Config> Parse(const std::vector<std::string>& args,
                             std::map<std::string, std::string> env = {}) {
  server::ServiceMainSpec<Config> spec = MainSpec();
  const EnvLookup lookup = MapEnv(env);
  spec.finish = [&](Config* c) { return FinishConfig(c, lookup); };
  ASSIGN_OR_RETURN(std::optional<Config> config, server::ParseServiceFlags(spec, args, lookup));
  if (!config.has_value()) return absl::InternalError("--help");
  return *std::move(config);
}

std::string Chain(uint64_t id) { return absl::StrCat(id, "=http://127.0.0.1:8545;kms=", kKms); }

TEST(KmsConfigTest, OneChainTakesABareKeyDirAndDefaults) {
  ASSERT_OK_AND_ASSIGN(
      Config c, Parse({"--chain=" + Chain(31337), "--key-dir=/keys"}, {{"HOSTNAME", "kms-7f9c"}}));
  EXPECT_EQ(c.key_dirs.at(31337), "/keys");
  EXPECT_FALSE(c.insecure_dev_attestation);
  EXPECT_EQ(c.confirmations, 0);
  EXPECT_EQ(c.audit_log, "-");
  EXPECT_EQ(c.replica, "kms-7f9c");
}

TEST(KmsConfigTest, SeveralChainsNeedOneKeyDirEach) {
  const std::string chains = Chain(31337) + " " + Chain(8453);
  ASSERT_OK_AND_ASSIGN(Config c,
                       Parse({"--chain=" + chains, "--key-dir=31337=/k/a 8453=/k/b", "--replica=r1",
                              "--insecure-dev-attestation", "--confirmations=5"}));
  EXPECT_EQ(c.key_dirs.at(8453), "/k/b");
  EXPECT_EQ(c.replica, "r1");
  EXPECT_TRUE(c.insecure_dev_attestation);
  EXPECT_EQ(c.confirmations, 5);
  EXPECT_THAT(Parse({"--chain=" + chains, "--key-dir=/k"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<chain id>=<dir>")));
  EXPECT_THAT(
      Parse({"--chain=" + chains, "--key-dir=31337=/k/a"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key directory for chain 8453")));
  EXPECT_THAT(Parse({"--chain=" + chains, "--key-dir=31337=/a 31337=/b 8453=/c"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
  EXPECT_THAT(Parse({"--chain=" + Chain(31337), "--key-dir=1=/a"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not in --chain")));
}

TEST(KmsConfigTest, MissingPiecesAreNamed) {
  EXPECT_THAT(Parse({"--key-dir=/k"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--chain")));
  EXPECT_THAT(Parse({"--chain=" + Chain(31337)}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys init")));
  EXPECT_THAT(Parse({"--chain=" + Chain(31337), "--key-dir=/k", "--confirmations=-1"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--confirmations")));
  // The environment works like the flags.
  ASSERT_OK_AND_ASSIGN(Config c, Parse({}, {{"CHAINKMS_CHAIN", Chain(31337)},
                                            {"CHAINKMS_KEY_DIR", "/env/keys"},
                                            {"CHAINKMS_INSECURE_DEV_ATTESTATION", "true"}}));
  EXPECT_EQ(c.key_dirs.at(31337), "/env/keys");
}

TEST(KmsConfigTest, TdxIsTheDefaultAttestationAndDevNeedsTheInsecureFlag) {
  const std::vector<std::string> base = {"--chain=" + Chain(31337), "--key-dir=/keys"};
  ASSERT_OK_AND_ASSIGN(Config c, Parse(base));
  EXPECT_TRUE(c.accept_tdx);
  EXPECT_FALSE(c.accept_dev);
  EXPECT_EQ(c.pccs_url, "https://api.trustedservices.intel.com");
  EXPECT_TRUE(c.tcb_policy.accepted_statuses.contains("UpToDate"));
  EXPECT_EQ(c.tcb_policy.accepted_statuses.size(), 1u);
  EXPECT_TRUE(c.tcb_policy.accepted_advisories.empty());

  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return Parse(args);
  };
  ASSERT_OK_AND_ASSIGN(Config both, with({"--insecure-dev-attestation"}));
  EXPECT_TRUE(both.accept_tdx);
  EXPECT_TRUE(both.accept_dev);
  ASSERT_OK_AND_ASSIGN(Config dev, with({"--attestation=dev", "--insecure-dev-attestation"}));
  EXPECT_FALSE(dev.accept_tdx);
  EXPECT_TRUE(dev.accept_dev);
  EXPECT_THAT(
      with({"--attestation=dev"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--insecure-dev-attestation")));
  EXPECT_THAT(with({"--attestation=sgx"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not tdx or dev")));
  ASSERT_OK_AND_ASSIGN(Config lenient, with({"--tcb-accept-status=UpToDate,SWHardeningNeeded",
                                             "--tcb-accept-advisories=intel-sa-00837"}));
  EXPECT_TRUE(lenient.tcb_policy.accepted_statuses.contains("SWHardeningNeeded"));
  EXPECT_TRUE(lenient.tcb_policy.accepted_advisories.contains("INTEL-SA-00837"));
  EXPECT_THAT(with({"--tcb-accept-status=UpToDate,Revoked"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("never accepted")));
  EXPECT_THAT(with({"--tcb-accept-status=Fine"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an Intel TCB status")));
  EXPECT_THAT(with({"--os-image-measurements=/nonexistent/m.json"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
  ASSERT_OK_AND_ASSIGN(Config env, Parse(base, {{"CHAINKMS_COLLATERAL_DIR", "/collateral"}}));
  EXPECT_EQ(env.collateral_dir, "/collateral");
}

}  // namespace
}  // namespace chainkms::kms
