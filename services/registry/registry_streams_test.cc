// WatchPolicyEvents against the server's limits and its shutdown: idle streams beyond
// --max-concurrent-streams are shed without taking unary capacity, and stopping the server ends
// open streams at once with UNAVAILABLE / SHUTTING_DOWN. Each test runs its own server (its own
// limits) over one anvil with the devnet contracts.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/signer.h"
#include "lib/chain/signer_set.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/sync.h"
#include "lib/crypto/secp256k1.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/server/server.h"
#include "lib/server/status.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {
namespace {

namespace pb = ::chainkms::v1;
using ::testing::HasSubstr;

constexpr uint64_t kChainId = 31337;
// anvil's well-known account 0: deploys the devnet and is the one key the server holds.
constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kWatch[] = "/chainkms.v1.Registry/WatchPolicyEvents";

std::string ReasonOf(const grpc::Status& s) { return server::ReasonOf(s).value_or("<none>"); }

// Polls `done` until it holds or `timeout` passes; true when it held.
template <typename Pred>
bool PollUntil(Pred done, absl::Duration timeout = absl::Seconds(10)) {
  for (absl::Time give_up = absl::Now() + timeout; !done();) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// One WatchPolicyEvents call from the head with no contracts named: it stays idle.
struct Watch {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<pb::WatchPolicyEventsResponse>> reader;

  static std::unique_ptr<Watch> Start(pb::Registry::Stub& stub) {
    auto watch = std::make_unique<Watch>();
    watch->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    pb::WatchPolicyEventsRequest req;
    req.set_chain_id(kChainId);
    watch->reader = stub.WatchPolicyEvents(&watch->ctx, req);
    return watch;
  }

  // Reads to the end; the status and the `chainkms-reason` trailer.
  grpc::Status Finish(std::string* reason_trailer) {
    pb::WatchPolicyEventsResponse event;
    while (reader->Read(&event)) {
    }
    grpc::Status status = reader->Finish();
    for (const auto& [k, v] : ctx.GetServerTrailingMetadata()) {
      if (k == "chainkms-reason") *reason_trailer = std::string(v.data(), v.size());
    }
    return status;
  }
};

class RegistryStreamsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    error_ = new std::string();
    auto anvil = testutil::AnvilProcess::Start({});
    if (!anvil.ok()) {
      *error_ = absl::StrCat("anvil did not start: ", anvil.status().ToString());
      return;
    }
    anvil_ = anvil->release();
    auto transport = CurlTransport::Create({.url = anvil_->url()});
    JsonRpcClient rpc(*transport);
    TxManager txm(rpc, kChainId, SystemClock::Get(), {.poll_interval = absl::Milliseconds(50)});
    auto deployer =
        std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0)));
    auto net = testutil::DeployDevnet(rpc, txm, deployer, testutil::DevnetOptions{});
    if (!net.ok()) {
      *error_ = absl::StrCat("devnet: ", net.status().ToString());
      return;
    }
    net_ = new testutil::Devnet(*net);
  }

  static void TearDownTestSuite() {
    delete net_;
    delete anvil_;
    delete error_;
  }

  RegistryStreamsTest()
      : logger_([this](std::string_view line) {
          chainkms::MutexLock lock(&mu_);
          lines_.emplace_back(line);
        }) {}

  ~RegistryStreamsTest() override {
    // The service must outlive the server that calls it.
    stub_.reset();
    if (server_ != nullptr) server_->Stop();
    service_.reset();
    server_.reset();
  }

  void SetUp() override { ASSERT_NE(net_, nullptr) << *error_; }

  // A registry server with `config`'s limits; the test's stub talks to it.
  void StartServer(const server::ServerConfig& config) {
    server_ = std::make_unique<server::GrpcServer>(
        server::GrpcServerOptions{.config = config, .logger = &logger_});
    auto chain =
        ConnectChain({.chain_id = kChainId, .rpc_urls = {anvil_->url()}, .kms = net_->kms},
                     {.tx_poll_interval = absl::Milliseconds(50), .metrics = &server_->metrics()},
                     SystemClock::Get());
    ASSERT_TRUE(chain.ok()) << chain.status();
    auto signers = std::make_shared<SignerSet>();
    ASSERT_TRUE(signers->Add(*Secp256k1PrivateKey::FromBytes(*HexDecode(kKey0))).ok());
    ChainSet chains;
    chains.Add(std::move(*chain));
    service_ = std::make_unique<RegistryService>(
        std::move(chains), signers, server_->serving(), SystemClock::Get(),
        RegistryOptions{.watch_poll_interval = absl::Milliseconds(100)});
    server_->AddService(service_.get());
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    stub_ = pb::Registry::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                      grpc::InsecureChannelCredentials()));
  }

  grpc::Status GetKmsInfo(pb::GetKmsInfoResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    pb::GetKmsInfoRequest req;
    req.set_chain_id(kChainId);
    return stub_->GetKmsInfo(&ctx, req, resp);
  }

  // The codes of the per-RPC log lines for `method`.
  std::vector<std::string> LoggedCodes(std::string_view method) {
    chainkms::MutexLock lock(&mu_);
    std::vector<std::string> codes;
    for (const std::string& line : lines_) {
      nlohmann::json j = nlohmann::json::parse(line);
      if (j["msg"] == "rpc" && j["method"] == method) codes.push_back(j["code"]);
    }
    return codes;
  }

  static std::string* error_;
  static testutil::AnvilProcess* anvil_;
  static testutil::Devnet* net_;

  chainkms::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  server::Logger logger_;
  std::unique_ptr<server::GrpcServer> server_;
  std::unique_ptr<RegistryService> service_;
  std::unique_ptr<pb::Registry::Stub> stub_;
};

std::string* RegistryStreamsTest::error_ = nullptr;
testutil::AnvilProcess* RegistryStreamsTest::anvil_ = nullptr;
testutil::Devnet* RegistryStreamsTest::net_ = nullptr;

TEST_F(RegistryStreamsTest, IdleWatchStreamsBeyondTheStreamLimitAreShedAndGetKmsInfoAnswers) {
  server::ServerConfig config = server::TestServerConfig();
  config.max_concurrent_streams = 3;
  config.max_concurrent_rpcs = 2;
  ASSERT_NO_FATAL_FAILURE(StartServer(config));
  server::ConcurrencyLimiter& streams = server_->stream_limiter();

  std::vector<std::unique_ptr<Watch>> held;
  for (int64_t i = 0; i < config.max_concurrent_streams; ++i) {
    held.push_back(Watch::Start(*stub_));
    ASSERT_TRUE(PollUntil([&] { return streams.in_flight() == i + 1; }))
        << "stream " << i << " never took its permit; in flight: " << streams.in_flight();
  }
  // More idle streams than the limit: each is refused at once, naming the stream limit.
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<Watch> extra = Watch::Start(*stub_);
    std::string reason;
    grpc::Status shed = extra->Finish(&reason);
    EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << shed.error_message();
    EXPECT_EQ(ReasonOf(shed), "OVERLOADED");
    EXPECT_EQ(reason, "OVERLOADED");
    EXPECT_THAT(shed.error_message(), HasSubstr("concurrent stream limit"));
  }
  EXPECT_EQ(streams.in_flight(), config.max_concurrent_streams);

  // Unary calls, more than the unary limit one after another, still answer.
  for (int64_t i = 0; i < 2 * config.max_concurrent_rpcs; ++i) {
    pb::GetKmsInfoResponse resp;
    grpc::Status s = GetKmsInfo(&resp);
    ASSERT_TRUE(s.ok()) << s.error_message() << " (" << ReasonOf(s) << ")";
    EXPECT_EQ(resp.kms_contract().size(), 20u);
  }
  EXPECT_EQ(server_->limiter().in_flight(), 0);

  for (auto& watch : held) watch->ctx.TryCancel();
  for (auto& watch : held) {
    std::string reason;
    EXPECT_EQ(watch->Finish(&reason).error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_TRUE(PollUntil([&] { return streams.in_flight() == 0; }));
}

TEST_F(RegistryStreamsTest, StopEndsOpenWatchStreamsAtOnceWithShuttingDown) {
  server::ServerConfig config = server::TestServerConfig();
  config.shutdown_grace = absl::Seconds(10);
  ASSERT_NO_FATAL_FAILURE(StartServer(config));
  std::vector<std::unique_ptr<Watch>> held;
  for (int i = 0; i < 2; ++i) held.push_back(Watch::Start(*stub_));
  ASSERT_TRUE(PollUntil([&] { return server_->stream_limiter().in_flight() == 2; }));

  const absl::Time start = absl::Now();
  server_->Stop();
  const absl::Duration took = absl::Now() - start;
  RecordProperty("stop_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  EXPECT_LT(took, absl::Seconds(1)) << "grace is " << config.shutdown_grace;

  for (auto& watch : held) {
    std::string reason;
    grpc::Status ended = watch->Finish(&reason);
    EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
    EXPECT_EQ(ReasonOf(ended), "SHUTTING_DOWN");
    EXPECT_EQ(reason, "SHUTTING_DOWN");
  }
  EXPECT_THAT(LoggedCodes(kWatch), ::testing::ElementsAre("UNAVAILABLE", "UNAVAILABLE"));
}

}  // namespace
}  // namespace chainkms::registry
