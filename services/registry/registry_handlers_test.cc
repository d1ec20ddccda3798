// RegistryService handlers without anvil: the service runs in-process over a ScriptedRpc chain
// (lib/testing/scripted_rpc.h), so edge validation, reasons with their metadata and the number of
// JSON-RPC requests per decision are checked without a node.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "lib/chain/chain_set.h"
#include "lib/server/server.h"
#include "lib/testing/scripted_rpc.h"
#include "lib/testing/status_matchers.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {
namespace {

namespace pb = ::chainkms::v1;
using ::chainkms::testutil::HasMetadata;
using ::chainkms::testutil::HasReason;
using ::chainkms::testutil::ScriptedRpc;
using ::chainkms::testutil::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kChainId = 31337;

// An in-process RegistryService over one scripted chain.
class ScriptedRegistry {
 public:
  ScriptedRegistry() : server_({.config = server::TestServerConfig()}) {
    auto owned = std::make_unique<ScriptedRpc>();
    rpc_ = owned.get();
    auto chain = std::make_unique<Chain>();
    chain->chain_id = kChainId;
    chain->kms = Address(std::array<uint8_t, 20>{0x5f, 0xbd});
    chain->reader = std::make_unique<ChainReader>(*owned, ChainReaderConfig{.kms = chain->kms});
    chain->txm = std::make_unique<TxManager>(*owned, kChainId, SystemClock::Get());
    chain->rpc = std::move(owned);
    ChainSet chains;
    chains.Add(std::move(chain));
    service_ = std::make_unique<RegistryService>(std::move(chains), nullptr, server_.serving(),
                                                 SystemClock::Get());
    server_.AddService(service_.get());
    start_ = server_.Start();
    stub_ = pb::Registry::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_.port()), grpc::InsecureChannelCredentials()));
  }
  ~ScriptedRegistry() { server_.Stop(); }

  ScriptedRpc& rpc() { return *rpc_; }
  pb::Registry::Stub& stub() { return *stub_; }
  const absl::Status& start() const { return start_; }

 private:
  server::GrpcServer server_;
  ScriptedRpc* rpc_ = nullptr;
  std::unique_ptr<RegistryService> service_;
  absl::Status start_;
  std::unique_ptr<pb::Registry::Stub> stub_;
};

TEST(RegistryHandlersTest, AShortAppIdIsInvalidFieldWithTheFieldInMetadataAndNoChainCall) {
  ScriptedRegistry r;
  ASSERT_TRUE(r.start().ok()) << r.start();
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(19, '\x01'));
  pb::CheckPrerequisitesResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = r.stub().CheckPrerequisites(&ctx, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("app_id")));
  EXPECT_THAT(s, HasReason("INVALID_FIELD"));
  EXPECT_THAT(s, HasMetadata("field", "app_id"));
  EXPECT_EQ(r.rpc().Count("eth_call"), 0);
}

}  // namespace
}  // namespace chainkms::registry
