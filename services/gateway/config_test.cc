#include "services/gateway/config.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/status_macros.h"
#include "lib/testing/status_matchers.h"
#include "services/gateway/apikeys_cli.h"
#include "services/gateway/server.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "lib/server/logging.h"
#include "lib/testing/grpc_health.h"

namespace chainkms::gateway {
namespace {

using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<Config> Parse(const std::vector<std::string>& args,
                             std::map<std::string, std::string> env = {}) {
  server::ServiceMainSpec<Config> spec = MainSpec();
  const EnvLookup lookup = MapEnv(env);
  spec.finish = [&](Config* c) { return FinishConfig(c, lookup); };
  ASSIGN_OR_RETURN(std::optional<Config> config, server::ParseServiceFlags(spec, args, lookup));
  if (!config.has_value()) return absl::InternalError("--help");
  return *std::move(config);
}

TEST(GatewayConfigTest, DefaultsServeLoopbackWithCorsAndCustodialFlowsOff) {
  ASSERT_OK_AND_ASSIGN(Config c, Parse({}));
  EXPECT_EQ(c.server.listen, "127.0.0.1:50050");
  EXPECT_EQ(c.http_listen, "127.0.0.1:8080");
  EXPECT_EQ(c.provisioning, "127.0.0.1:50053");
  EXPECT_EQ(c.rate_limit, 20);
  EXPECT_TRUE(c.cors_origin_list.empty());
  EXPECT_TRUE(c.custodial_signers.empty());
}

TEST(GatewayConfigTest, FlagsAndEnvironmentParse) {
  ASSERT_OK_AND_ASSIGN(Config c,
                       Parse({"--provisioning=dns:///provisioning:50053", "--rate-limit=5",
                              "--cors-origins=https://a.example, https://b.example:8443",
                              "--custodial-signers=ws-a=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266,"
                              "0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "
                              "ws-b=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},
                             {{"CHAINKMS_HTTP_LISTEN", "0.0.0.0:9000"}}));
  EXPECT_EQ(c.provisioning, "dns:///provisioning:50053");
  EXPECT_EQ(c.http_listen, "0.0.0.0:9000");
  EXPECT_EQ(c.rate_limit, 5);
  EXPECT_EQ(c.cors_origin_list,
            (std::vector<std::string>{"https://a.example", "https://b.example:8443"}));
  ASSERT_EQ(c.custodial_signers.at("ws-a").size(), 2u);
  EXPECT_EQ(c.custodial_signers.at("ws-a")[0].size(), 20u);
  EXPECT_EQ(c.custodial_signers.at("ws-b").size(), 1u);
}

TEST(GatewayConfigTest, BadValuesNameTheFlag) {
  EXPECT_THAT(Parse({"--cors-origins=evil"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cors-origins")));
  EXPECT_THAT(Parse({"--custodial-signers=ws-a=0x1234"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--custodial-signers")));
  EXPECT_THAT(Parse({"--custodial-signers=bad ws=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--custodial-signers")));
  EXPECT_FALSE(Parse({"--rate-limit=-1"}).ok());
  EXPECT_FALSE(Parse({"--http-listen=nope"}).ok());
}

TEST(GatewayConfigTest, ApiKeysSubcommandUsage) {
  std::ostringstream out, err;
  const char* none[] = {"chainkms-gateway", "--listen=1"};
  EXPECT_EQ(RunApiKeysCommand(2, const_cast<char**>(none), out, err), std::nullopt);
  const char* bare[] = {"chainkms-gateway", "apikeys"};
  EXPECT_EQ(RunApiKeysCommand(2, const_cast<char**>(bare), out, err), 2);
  const char* unknown[] = {"chainkms-gateway", "apikeys", "rotate"};
  EXPECT_EQ(RunApiKeysCommand(3, const_cast<char**>(unknown), out, err), 2);
  const char* no_ws[] = {"chainkms-gateway", "apikeys", "create"};
  EXPECT_EQ(RunApiKeysCommand(3, const_cast<char**>(no_ws), out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--workspace is required"));
  const char* no_id[] = {"chainkms-gateway", "apikeys", "revoke", "--workspace=w"};
  EXPECT_EQ(RunApiKeysCommand(4, const_cast<char**>(no_id), out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--key-id is required"));
  // Nothing listening: one clear line naming the flag to check.
  const char* down[] = {"chainkms-gateway",           "apikeys",    "list", "--workspace=w",
                        "--provisioning=127.0.0.1:1", "--timeout=1"};
  EXPECT_EQ(RunApiKeysCommand(6, const_cast<char**>(down), out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("--provisioning"));
}

// Run: health is SERVING only while every backend answers SERVING, and follows them down and up.
TEST(GatewayServerTest, HealthFollowsTheBackends) {
  grpc::EnableDefaultHealthCheckService(true);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> backend = builder.BuildAndStart();
  ASSERT_NE(backend, nullptr);
  const std::string target = absl::StrCat("127.0.0.1:", port);
  Config config;
  config.server = server::TestServerConfig();
  config.provisioning = config.registry = config.kms = target;
  config.http_listen = "127.0.0.1:0";
  config.health_interval = absl::Milliseconds(50);
  server::Logger quiet([](std::string_view) {});
  chainkms::Notification stop;
  std::atomic<int> grpc_port{0};
  std::atomic<int> http_port{0};
  Deps deps{.logger = &quiet,
            .on_serving = [&](int p, int) { grpc_port = p; },
            .on_http = [&](int p) { http_port = p; },
            .stop = &stop};
  absl::Status result;
  std::thread run([&] { result = gateway::Run(config, deps); });
  for (int i = 0; i < 500 && grpc_port == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_NE(grpc_port, 0);
  EXPECT_NE(http_port, 0);
  EXPECT_TRUE(testutil::WaitForHealth(grpc_port, 1, absl::Seconds(10)));  // SERVING
  backend->GetHealthCheckService()->SetServingStatus(false);  // a backend goes NOT_SERVING
  EXPECT_TRUE(testutil::WaitForHealth(grpc_port, 2, absl::Seconds(10)));
  backend->GetHealthCheckService()->SetServingStatus(true);
  EXPECT_TRUE(testutil::WaitForHealth(grpc_port, 1, absl::Seconds(10)));
  stop.Notify();
  run.join();
  EXPECT_TRUE(result.ok()) << result;
  backend->Shutdown();
}

}  // namespace
}  // namespace chainkms::gateway
