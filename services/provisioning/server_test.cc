// chainkms-provisioning's flags and Run: configuration errors name their flag; health follows
// the Store (a real PostgreSQL stopped and started again).
#include "services/provisioning/server.h"

#include <thread>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/status_macros.h"
#include "lib/testing/grpc_health.h"
#include "lib/testing/postgres.h"
#include "lib/testing/status_matchers.h"

namespace chainkms::provisioning {
namespace {

using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

constexpr char kNode[] =
    "node-1;device_id=0x00000000000000000000000000000000000000000000000000000000000000d1;"
    "os_image_hash=0x0000000000000000000000000000000000000000000000000000000000000005";

absl::StatusOr<Config> Parse(const std::vector<std::string>& args,
                             std::map<std::string, std::string> env = {}) {
  server::ServiceMainSpec<Config> spec = MainSpec();
  const EnvLookup lookup = MapEnv(env);
  spec.finish = [&](Config* c) { return FinishConfig(c, lookup); };
  ASSIGN_OR_RETURN(std::optional<Config> config, server::ParseServiceFlags(spec, args, lookup));
  if (!config.has_value()) return absl::InternalError("--help");
  return *std::move(config);
}

TEST(ProvisioningConfigTest, DefaultsAndSpecs) {
  auto c = Parse({"--kms=ethereum=1;url=https://kms.example base=8453",
                  std::string("--node=") + kNode, "--public-url=https://chainkms.example/"},
                 {{"HOSTNAME", "prov-7f"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->database_url, "sqlite:chainkms-provisioning.db");
  ASSERT_EQ(c->kms.size(), 2u);
  EXPECT_EQ(c->kms[0].slug, "ethereum");
  EXPECT_EQ(c->kms[0].chain_id, 1u);
  EXPECT_EQ(c->kms[0].url, "https://kms.example");
  EXPECT_EQ(c->kms[1].chain_id, 8453u);
  ASSERT_EQ(c->nodes.size(), 1u);
  EXPECT_EQ(c->nodes[0].name, "node-1");
  EXPECT_EQ(c->nodes[0].driver, "fake");
  EXPECT_EQ(c->public_url, "https://chainkms.example");  // trailing '/' dropped
  EXPECT_EQ(c->commit_token_ttl, absl::Hours(168));
  ASSERT_EQ(c->webhook_retry_delays.size(), 3u);
  EXPECT_EQ(c->webhook_retry_delays[2], absl::Hours(1));
  EXPECT_EQ(c->webhook_timeout, absl::Seconds(10));
  EXPECT_EQ(c->replica, "prov-7f");
  auto env = Parse({}, {{"CHAINKMS_KMS", "anvil=31337"}, {"CHAINKMS_COMMIT_TOKEN_TTL", "1h"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->commit_token_ttl, absl::Hours(1));
}

TEST(ProvisioningConfigTest, VmmTokenComesFromTheNamedVariableOnly) {
  auto c = Parse({"--kms=anvil=31337", "--vmm-token-env=VMM_TOKEN"}, {{"VMM_TOKEN", "s3cret"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vmm_node.bearer_token, "s3cret");
  EXPECT_TRUE(
      Parse({"--kms=anvil=31337"}, {{"VMM_TOKEN", "s3cret"}})->vmm_node.bearer_token.empty());
  auto missing = Parse({"--kms=anvil=31337", "--vmm-token-env=VMM_TOKEN"}, {});
  EXPECT_THAT(missing.status().message(),
              ::testing::HasSubstr("--vmm-token-env: VMM_TOKEN is not set"));
}

TEST(ProvisioningConfigTest, ErrorsNameTheFlag) {
  EXPECT_THAT(Parse({}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--kms")));
  EXPECT_THAT(Parse({"--kms=anvil"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<slug>=<chain id>")));
  EXPECT_THAT(Parse({"--kms=a=1 a=2"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("used twice")));
  EXPECT_THAT(Parse({"--kms=anvil=31337", "--node=n1;device_id=0x12"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--node")));
  EXPECT_THAT(Parse({"--kms=anvil=31337", "--webhook-retry-delays=1m,soon"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--webhook-retry-delays")));
  EXPECT_THAT(Parse({"--kms=anvil=31337", "--public-url=chainkms.example"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--public-url")));
  auto bad_driver = Parse({"--kms=anvil=31337", std::string("--node=") + kNode + ";driver=qemu"});
  ASSERT_TRUE(bad_driver.ok());  // drivers are checked when the pool is built
  EXPECT_THAT(NodePool::Create(bad_driver->nodes, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("qemu")));
}

TEST(ProvisioningServerTest, HealthFollowsTheStore) {
  auto pg = testutil::PostgresProcess::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto config =
      Parse({"--kms=anvil=31337", std::string("--node=") + kNode, "--database-url=" + (*pg)->url(),
             "--listen=127.0.0.1:0", "--metrics-listen=", "--registry=127.0.0.1:1"});
  ASSERT_TRUE(config.ok()) << config.status();
  chainkms::Notification stop;
  std::atomic<int> port{0};
  absl::Status result;
  std::thread run([&] {
    result = provisioning::Run(*config, {.on_serving = [&](int p, int) { port = p; },
                                         .stop = &stop,
                                         .health_interval = absl::Milliseconds(100)});
  });
  absl::Cleanup join = [&] {
    if (!stop.HasBeenNotified()) stop.Notify();
    run.join();
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (port.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_NE(port.load(), 0);
  EXPECT_TRUE(testutil::WaitForHealth(port, 1, absl::Seconds(10)));
  (*pg)->Stop();
  EXPECT_TRUE(testutil::WaitForHealth(port, 2, absl::Seconds(20)));
  ASSERT_TRUE((*pg)->Restart().ok());
  EXPECT_TRUE(testutil::WaitForHealth(port, 1, absl::Seconds(20)));
  stop.Notify();
  std::move(join).Invoke();
  EXPECT_TRUE(result.ok()) << result;
}

}  // namespace
}  // namespace chainkms::provisioning
