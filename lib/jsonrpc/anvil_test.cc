// The JSON-RPC stack against a real node: Foundry's anvil on a free loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/errors.h"
#include "lib/jsonrpc/failover.h"
#include "lib/testing/anvil.h"
#include "lib/testing/counting_transport.h"

namespace chainkms {
namespace {

using ::chainkms::testutil::AnvilProcess;
using ::chainkms::testutil::CountingTransport;
using ::testing::HasSubstr;
using json = nlohmann::json;

class AnvilRpcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = AnvilProcess::Start({});
    if (!a.ok()) {
      skip_reason_ = new std::string(std::string(a.status().message()));
      return;
    }
    anvil_ = a->release();
  }
  static void TearDownTestSuite() {
    delete anvil_;  // stops the process
    anvil_ = nullptr;
  }
  void SetUp() override {
    if (anvil_ == nullptr) GTEST_SKIP() << "anvil unavailable: " << *skip_reason_;
    auto t = CurlTransport::Create({.url = anvil_->url()});
    ASSERT_TRUE(t.ok());
    counting_ = std::make_shared<CountingTransport>(*t);
  }
  static AnvilProcess* anvil_;
  static std::string* skip_reason_;
  std::shared_ptr<CountingTransport> counting_;
};

AnvilProcess* AnvilRpcTest::anvil_ = nullptr;
std::string* AnvilRpcTest::skip_reason_ = nullptr;

// Creation code that reverts with `data` (at most 32 bytes); eth_call without `to` runs it.
std::string RevertingInitCode(const Bytes& data) {
  Bytes word(32, 0);
  std::copy(data.begin(), data.end(), word.begin());
  Bytes code = {0x7f};  // PUSH32 word
  code.insert(code.end(), word.begin(), word.end());
  const Bytes tail = {0x60, 0x00, 0x52,                             // MSTORE at 0
                      0x60, static_cast<uint8_t>(data.size()), 0x60, 0x00, 0xfd};  // REVERT
  code.insert(code.end(), tail.begin(), tail.end());
  return Hex0x(code);
}

// Creation code that reverts with Error("nope").
constexpr char kErrorNopeInitCode[] =
    "0x7f08c379a00000000000000000000000000000000000000000000000000000000060005260206004"
    "5260046024527f6e6f70650000000000000000000000000000000000000000000000000000000060"
    "445260646000fd";

TEST_F(AnvilRpcTest, ChainIdCheckPassesForTheRightChainAndNamesTheNodeOtherwise) {
  FailoverClient rpc({counting_});
  EXPECT_TRUE(rpc.ConnectAndCheckChainId(31337).ok());
  absl::Status wrong = rpc.ConnectAndCheckChainId(1);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.message(), HasSubstr(std::to_string(anvil_->port())));
}

TEST_F(AnvilRpcTest, BatchOfReadsIsOnePostOverOneConnection) {
  JsonRpcClient rpc(counting_);
  auto r = rpc.Batch({{"eth_chainId", json::array()},
                      {"eth_blockNumber", json::array()},
                      {"eth_getBalance", {"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "latest"}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  for (const auto& e : *r) EXPECT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*(*r)[0], "0x7a69");
  EXPECT_EQ(counting_->post_count(), 1);
  EXPECT_EQ(counting_->method_count("eth_getBalance"), 1);
}

TEST_F(AnvilRpcTest, ErrorStringRevertIsDecodedFromAnvilsData) {
  JsonRpcClient rpc(counting_);
  absl::StatusOr<json> r = rpc.Call("eth_call", {json{{"data", kErrorNopeInitCode}}, "latest"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("execution reverted: nope"));
  std::optional<RpcError> e = GetRpcError(r.status());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, RpcErrorKind::kExecutionReverted);
  EXPECT_EQ(e->data.size(), 100u);
}

TEST_F(AnvilRpcTest, CustomErrorRevertIsDecodedWithItsSignature) {
  const Hash32 h = Keccak256(AsBytes("Unauthorized()"));
  const Bytes selector(h.bytes.begin(), h.bytes.begin() + 4);
  JsonRpcClient rpc(counting_, {.custom_error_signatures = {"Unauthorized()"}});
  absl::StatusOr<json> r =
      rpc.Call("eth_call", {json{{"data", RevertingInitCode(selector)}}, "latest"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("Unauthorized()"));
}

TEST_F(AnvilRpcTest, UnknownMethodIsUnimplemented) {
  JsonRpcClient rpc(counting_);
  absl::StatusOr<json> r = rpc.Call("eth_noSuchMethod", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented) << r.status();
}

}  // namespace
}  // namespace chainkms
