#include "lib/server/config.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::server {
namespace {

using ::testing::HasSubstr;

EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<ParseOutcome> ParseArgs(FlagSet& flags, std::vector<const char*> args,
                                       const EnvLookup& env) {
  args.insert(args.begin(), "prog");
  return flags.Parse(static_cast<int>(args.size()), args.data(), env);
}

TEST(FlagSetTest, EnvNameIsUppercasedWithUnderscoresAndPrefixed) {
  EXPECT_EQ(FlagSet::EnvName("max-concurrent-rpcs"), "CHAINKMS_MAX_CONCURRENT_RPCS");
  EXPECT_EQ(FlagSet::EnvName("listen"), "CHAINKMS_LISTEN");
}

TEST(FlagSetTest, DefaultsApplyWhenNeitherFlagNorEnvIsSet) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  ASSERT_EQ(*ParseArgs(flags, {}, FakeEnv({})), ParseOutcome::kRun);
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  EXPECT_EQ(config.max_concurrent_rpcs, 256);
  EXPECT_EQ(config.shutdown_grace, absl::Seconds(10));
}

TEST(FlagSetTest, EnvOverridesDefaultAndFlagOverridesEnv) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  auto env = FakeEnv({{"CHAINKMS_LISTEN", "0.0.0.0:7000"},
                      {"CHAINKMS_MAX_CONCURRENT_RPCS", "9"},
                      {"CHAINKMS_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(ParseArgs(flags, {"--listen=127.0.0.1:8000", "--log-level", "warn"}, env).ok());
  EXPECT_EQ(config.listen, "127.0.0.1:8000");
  EXPECT_EQ(config.max_concurrent_rpcs, 9);
  EXPECT_EQ(config.log_level, "warn");
}

TEST(FlagSetTest, InvalidFlagValueNamesFlagValueAndEnvVariable) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  absl::StatusOr<ParseOutcome> outcome = ParseArgs(flags, {"--listen=abc"}, FakeEnv({}));
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(), "--listen: \"abc\" is not host:port (CHAINKMS_LISTEN)");
}

TEST(FlagSetTest, InvalidEnvValueIsReportedUnderItsFlag) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  absl::StatusOr<ParseOutcome> outcome =
      ParseArgs(flags, {}, FakeEnv({{"CHAINKMS_MAX_CONCURRENT_RPCS", "lots"}}));
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(),
            "--max-concurrent-rpcs: \"lots\" is not an integer (CHAINKMS_MAX_CONCURRENT_RPCS)");
}

TEST(FlagSetTest, OutOfRangeAndUnknownChoicesAreRejected) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  EXPECT_EQ(ParseArgs(flags, {"--max-concurrent-rpcs=0"}, FakeEnv({})).status().message(),
            "--max-concurrent-rpcs: \"0\" is not in [1, 1000000] (CHAINKMS_MAX_CONCURRENT_RPCS)");
  EXPECT_EQ(ParseArgs(flags, {"--log-level=loud"}, FakeEnv({})).status().message(),
            "--log-level: \"loud\" is not one of debug, info, warn, error (CHAINKMS_LOG_LEVEL)");
  EXPECT_EQ(ParseArgs(flags, {"--shutdown-grace=soon"}, FakeEnv({})).status().message(),
            "--shutdown-grace: \"soon\" is not a duration like 10s or 500ms "
            "(CHAINKMS_SHUTDOWN_GRACE)");
}

TEST(FlagSetTest, UnknownFlagAndPositionalArgumentAreErrors) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  EXPECT_EQ(ParseArgs(flags, {"--colour=red"}, FakeEnv({})).status().message(),
            "--colour: unknown flag (see --help)");
  EXPECT_EQ(ParseArgs(flags, {"serve"}, FakeEnv({})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FlagSetTest, EmptyMetricsListenDisablesMetricsAndIsValid) {
  ServerConfig config;
  FlagSet flags("test");
  RegisterServerFlags(flags, &config);
  ASSERT_TRUE(ParseArgs(flags, {}, FakeEnv({{"CHAINKMS_METRICS_LISTEN", ""}})).ok());
  EXPECT_EQ(config.metrics_listen, "");
}

TEST(FlagSetTest, RequiredStringFlagWithEmptyDefaultFailsUntilSet) {
  std::string chains;
  FlagSet flags("test");
  flags.AddString("chains", &chains, "", "chain config", NonEmpty());
  EXPECT_EQ(ParseArgs(flags, {}, FakeEnv({})).status().message(),
            "--chains: \"\" must not be empty (CHAINKMS_CHAINS)");
  ASSERT_TRUE(ParseArgs(flags, {}, FakeEnv({{"CHAINKMS_CHAINS", "base.json"}})).ok());
  EXPECT_EQ(chains, "base.json");
}

TEST(FlagSetTest, BoolFlagWithoutValueMeansTrue) {
  bool dev = false;
  FlagSet flags("test");
  flags.AddBool("dev", &dev, false, "dev mode");
  ASSERT_TRUE(ParseArgs(flags, {"--dev"}, FakeEnv({})).ok());
  EXPECT_TRUE(dev);
  ASSERT_TRUE(ParseArgs(flags, {"--dev=false"}, FakeEnv({{"CHAINKMS_DEV", "true"}})).ok());
  EXPECT_FALSE(dev);
}

TEST(FlagSetTest, HelpIsReportedWithoutValidatingAndListsEnvVariables) {
  ServerConfig config;
  FlagSet flags("chainkms-test: a test server");
  RegisterServerFlags(flags, &config);
  EXPECT_EQ(*ParseArgs(flags, {"--listen=abc", "--help"}, FakeEnv({})), ParseOutcome::kHelp);
  std::string help = flags.Help();
  EXPECT_THAT(help, HasSubstr("chainkms-test: a test server"));
  EXPECT_THAT(help, HasSubstr("--listen=VALUE  [CHAINKMS_LISTEN]"));
  EXPECT_THAT(help, HasSubstr("(default: \"127.0.0.1:50051\")"));
}

TEST(SplitHostPortTest, AcceptsIpv4Ipv6AndNamesWithPortZero) {
  EXPECT_EQ(*SplitHostPort("127.0.0.1:0"), std::make_pair(std::string("127.0.0.1"), 0));
  EXPECT_EQ(*SplitHostPort("[::1]:50051"), std::make_pair(std::string("::1"), 50051));
  EXPECT_EQ(*SplitHostPort("localhost:8080"), std::make_pair(std::string("localhost"), 8080));
}

TEST(SplitHostPortTest, RejectsMissingHostPortOrOutOfRangePort) {
  for (const char* bad : {"abc", ":80", "host:", "host:65536", "host:-1", "::1:80", "[::1]80"}) {
    EXPECT_EQ(SplitHostPort(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace chainkms::server
