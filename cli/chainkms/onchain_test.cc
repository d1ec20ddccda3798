#include "cli/chainkms/onchain.h"

#include <sstream>

#include "cli/chainkms/api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/chain/contracts.h"
#include "lib/testing/http_test_server.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using testutil::HttpTestServer;

// A JSON-RPC node that answers from a table: method → result, or method → error object.
class FakeNode {
 public:
  explicit FakeNode(std::map<std::string, json> answers)
      : answers_(std::move(answers)), server_([this](const std::string& body) {
          const json req = json::parse(body);
          if (req.is_array()) {
            json out = json::array();
            for (const json& r : req) out.push_back(Answer(r));
            return HttpTestServer::Response{.body = out.dump()};
          }
          return HttpTestServer::Response{.body = Answer(req).dump()};
        }) {}
  absl::Status Start() { return server_.Start(); }
  std::string url() const { return server_.url(); }

 private:
  json Answer(const json& r) {
    json out = {{"jsonrpc", "2.0"}, {"id", r["id"]}};
    auto it = answers_.find(r["method"].get<std::string>());
    if (it == answers_.end()) {
      out["error"] = {{"code", -32601}, {"message", "method not found"}};
    } else if (it->second.is_object() && it->second.contains("code")) {
      out["error"] = it->second;
    } else {
      out["result"] = it->second;
    }
    return out;
  }
  std::map<std::string, json> answers_;
  HttpTestServer server_;
};

// A chain-31337 node with nonce 0 and fees, plus `more`.
std::map<std::string, json> AnvilWith(std::map<std::string, json> more) {
  more["eth_chainId"] = "0x7a69";
  more["eth_getTransactionCount"] = "0x0";
  more["eth_feeHistory"] = {{"oldestBlock", "0x1"},
                            {"baseFeePerGas", {"0x1", "0x1"}},
                            {"reward", {{"0x1"}}},
                            {"gasUsedRatio", {0.5}}};
  return more;
}

json InsufficientFunds() {
  return {{"code", -32000}, {"message", "insufficient funds for gas * price + value"}};
}

std::shared_ptr<Signer> TestSigner() {
  Bytes k(32, 0);
  k[31] = 7;
  return std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(k));
}

TEST(OnChainTest, AnRpcUrlOnAnotherChainIsANetworkMismatch) {
  FakeNode node(std::map<std::string, json>{{"eth_chainId", "0x1"}});
  ASSERT_TRUE(node.Start().ok());
  std::ostringstream progress;
  auto c = OnChain::Connect(node.url(), 8453, Address{}, progress);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      c.status().message(),
      "Network mismatch: the KMS is on Base (ID: 8453), but --rpc-url is on Ethereum (ID: 1)");
  EXPECT_THAT(HintOf(c.status()), HasSubstr("a node of chain 8453"));
}

TEST(OnChainTest, AnUnreachableNodeNamesTheFlagButNotItsSecrets) {
  std::ostringstream progress;
  auto c = OnChain::Connect("http://user:pw@127.0.0.1:1/v3/0123456789abcdef0123", 1, Address{},
                            progress);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("cannot read the chain at --rpc-url"));
  EXPECT_THAT(std::string(c.status().message()), ::testing::Not(HasSubstr("pw")));
  EXPECT_THAT(std::string(c.status().message()), ::testing::Not(HasSubstr("0123456789abcdef0123")));
  EXPECT_THAT(HintOf(c.status()), HasSubstr("ETH_RPC_URL"));
}

TEST(OnChainTest, AnAccountWithoutEthIsInsufficientBalanceWithWhatItHas) {
  FakeNode node(AnvilWith({{"eth_estimateGas", InsufficientFunds()},
                           {"eth_sendRawTransaction", InsufficientFunds()},
                           {"eth_getBalance", "0x2386f26fc10000"}}));  // 0.01 ETH
  ASSERT_TRUE(node.Start().ok());
  std::ostringstream progress;
  auto c = OnChain::Connect(node.url(), 31337, Address{}, progress);
  ASSERT_TRUE(c.ok()) << c.status();
  auto signer = TestSigner();
  Address app{};
  app.bytes[19] = 1;
  auto r = (*c)->Send(signer, app, dstack_app::AddComposeHash(Hash32{}), "addComposeHash", app);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Insufficient balance: 0x"));
  EXPECT_THAT(r.status().message(),
              HasSubstr("cannot pay for addComposeHash on anvil (ID: 31337)"));
  EXPECT_THAT(r.status().message(), HasSubstr("it has 0.010000 ETH"));
  EXPECT_THAT(HintOf(r.status()), HasSubstr("fund the account"));
}

TEST(OnChainTest, ARevertForAnotherOwnerSaysWhoIsNotTheOwner) {
  // estimateGas reverts with OwnableUnauthorizedAccount(signer); the owner read then fails too,
  // so the message names the sender and the contract only.
  const std::string revert = "0x118cdaa7000000000000000000000000" + std::string(40, 'a');
  FakeNode node(AnvilWith(
      {{"eth_estimateGas", {{"code", 3}, {"message", "execution reverted"}, {"data", revert}}}}));
  ASSERT_TRUE(node.Start().ok());
  std::ostringstream progress;
  auto c = OnChain::Connect(node.url(), 31337, Address{}, progress);
  ASSERT_TRUE(c.ok()) << c.status();
  Address app{};
  app.bytes[19] = 1;
  auto r =
      (*c)->Send(TestSigner(), app, dstack_app::AddComposeHash(Hash32{}), "addComposeHash", app);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(),
              HasSubstr("is not the owner of contract 0x0000000000000000000000000000000000000001"));
  EXPECT_THAT(HintOf(r.status()), HasSubstr("--prepare-only"));
}

TEST(PrivateKeyTest, MalformedKeysAreRefusedWithoutEchoingThem) {
  for (const char* k :
       {"0x1234", "zz", "0x0000000000000000000000000000000000000000000000000000000000000000"}) {
    auto f = ParseFlags({"--private-key", k}, {.values = {{"--private-key"}}});
    auto s = LoadPrivateKey(*f);
    ASSERT_FALSE(s.ok()) << k;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), ::testing::Not(HasSubstr(k))) << k;
  }
}

TEST(ChainLabelTest, NamesAndExplorers) {
  EXPECT_EQ(ChainLabel(8453), "Base (ID: 8453)");
  EXPECT_EQ(ChainLabel(1), "Ethereum (ID: 1)");
  EXPECT_EQ(ChainLabel(5), "chain 5 (ID: 5)");
  EXPECT_EQ(ExplorerUrl(8453), "https://basescan.org");
  EXPECT_EQ(ExplorerUrl(31337), "");
}

}  // namespace
}  // namespace chainkms::cli
