#include "lib/jsonrpc/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/errors.h"
#include "lib/testing/counting_transport.h"
#include "lib/testing/fake_transport.h"
#include "lib/testing/http_test_server.h"

namespace chainkms {
namespace {

using ::chainkms::testutil::CountingTransport;
using ::chainkms::testutil::FakeTransport;
using ::chainkms::testutil::HttpTestServer;
using ::testing::HasSubstr;
using json = nlohmann::json;

class ClientOverHttpTest : public ::testing::Test {
 protected:
  void Serve(HttpTestServer::Handler h) {
    server_ = std::make_unique<HttpTestServer>(std::move(h));
    ASSERT_TRUE(server_->Start().ok());
    auto t = CurlTransport::Create({.url = server_->url(), .total_timeout = absl::Seconds(5)});
    ASSERT_TRUE(t.ok());
    rpc_ = std::make_unique<JsonRpcClient>(*t);
  }
  void ServeBody(std::string body, int status = 200) {
    Serve([body, status](const std::string&) {
      return HttpTestServer::Response{.status = status, .body = body};
    });
  }
  std::unique_ptr<HttpTestServer> server_;
  std::unique_ptr<JsonRpcClient> rpc_;
};

TEST_F(ClientOverHttpTest, CallReturnsTheResultForItsId) {
  Serve([](const std::string& body) {
    const json req = json::parse(body);
    EXPECT_EQ(req["jsonrpc"], "2.0");
    EXPECT_EQ(req["method"], "eth_getBalance");
    EXPECT_EQ(req["params"], json::array({"0xabc", "latest"}));
    return HttpTestServer::Response{.body = testutil::JsonRpcResult(req["id"], "0x2a")};
  });
  absl::StatusOr<json> r = rpc_->Call("eth_getBalance", {"0xabc", "latest"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "0x2a");
}

TEST_F(ClientOverHttpTest, BatchMatchesRepliesByIdWhateverTheirOrder) {
  Serve([](const std::string& body) {
    const json req = json::parse(body);
    json out = json::array();
    for (const json& r : req) {
      out.push_back(json::parse(testutil::JsonRpcResult(r["id"], r["params"][0])));
    }
    std::reverse(out.begin(), out.end());
    return HttpTestServer::Response{.body = out.dump()};
  });
  std::vector<RpcCaller::Request> reqs;
  for (int i = 0; i < 5; ++i) reqs.push_back({"echo", json::array({i})});
  auto r = rpc_->Batch(std::move(reqs));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*r)[i].ok());
    EXPECT_EQ(*(*r)[i], i);
  }
}

TEST_F(ClientOverHttpTest, BatchEntryWithoutAReplyFailsAloneAndErrorsStayPerEntry) {
  Serve([](const std::string& body) {
    const json req = json::parse(body);
    json out = json::array();
    out.push_back(json::parse(testutil::JsonRpcResult(req[0]["id"], "0x1")));
    out.push_back(json::parse(testutil::JsonRpcError(req[2]["id"], 3, "execution reverted")));
    return HttpTestServer::Response{.body = out.dump()};
  });
  auto r = rpc_->Batch({{"a", json::array()}, {"b", json::array()}, {"c", json::array()}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ((*r)[1].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT((*r)[1].status().message(), HasSubstr("no reply"));
  EXPECT_EQ((*r)[2].status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ClientOverHttpTest, BatchWithDuplicateOrUnexpectedIdsFailsAsAWhole) {
  bool duplicate = true;
  Serve([&](const std::string& body) {
    const json req = json::parse(body);
    json out = json::array();
    out.push_back(json::parse(testutil::JsonRpcResult(req[0]["id"], "0x1")));
    out.push_back(json::parse(
        testutil::JsonRpcResult(duplicate ? req[0]["id"] : json(999999), "0x2")));
    return HttpTestServer::Response{.body = out.dump()};
  });
  auto r = rpc_->Batch({{"a", json::array()}, {"b", json::array()}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("duplicate"));
  duplicate = false;
  r = rpc_->Batch({{"a", json::array()}, {"b", json::array()}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("unexpected id"));
}

TEST_F(ClientOverHttpTest, EmptyBodyIsUnavailableNotAnAnswer) {
  ServeBody("");
  EXPECT_EQ(rpc_->Call("eth_call", json::array()).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ClientOverHttpTest, HtmlTooManyRequestsWith200IsResourceExhausted) {
  ServeBody("<html><head><title>429 Too Many Requests</title></head></html>");
  EXPECT_EQ(rpc_->Call("eth_call", json::array()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ClientOverHttpTest, HtmlTooManyRequestsWith429IsResourceExhausted) {
  ServeBody("<html>Too Many Requests</html>", 429);
  EXPECT_EQ(rpc_->Call("eth_call", json::array()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ClientOverHttpTest, JsonRpcRateLimitErrorIsResourceExhausted) {
  Serve([](const std::string& body) {
    return HttpTestServer::Response{.body = testutil::JsonRpcError(
                                        json::parse(body)["id"], -32005,
                                        "daily request count exceeded, request rate limited")};
  });
  absl::StatusOr<json> r = rpc_->Call("eth_call", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(GetRpcError(r.status()).has_value());
  EXPECT_EQ(GetRpcError(r.status())->kind, RpcErrorKind::kRateLimited);
}

TEST_F(ClientOverHttpTest, RateLimitNoticeInAJsonBodyThatIsNotJsonRpcIsResourceExhausted) {
  ServeBody(R"({"message":"Too Many Requests"})");
  EXPECT_EQ(rpc_->Call("eth_call", json::array()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ClientOverHttpTest, RateLimitErrorObjectForAWholeBatchFailsTheBatch) {
  ServeBody(R"({"jsonrpc":"2.0","id":null,"error":{"code":429,"message":"Too Many Requests"}})");
  EXPECT_EQ(rpc_->Batch({{"a", json::array()}}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ClientOverHttpTest, MalformedRepliesAreUnavailable) {
  for (const char* body : {
           "not json at all",
           R"({"jsonrpc":"1.0","id":1,"result":"0x1"})",
           R"({"jsonrpc":"2.0","id":1})",
           R"({"jsonrpc":"2.0","id":1,"error":{"message":"no code"}})",
           R"([1,2,3])",
       }) {
    ServeBody(body);
    absl::StatusOr<json> r = rpc_->Call("eth_call", json::array());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << body;
  }
}

TEST_F(ClientOverHttpTest, ReplyWithAnotherIdIsUnavailable) {
  ServeBody(R"({"jsonrpc":"2.0","id":424242,"result":"0x1"})");
  absl::StatusOr<json> r = rpc_->Call("eth_call", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("id does not match"));
}

TEST(JsonRpcClientTest, IdsIncreaseMonotonicallyAcrossCallsAndBatches) {
  auto fake = std::make_shared<FakeTransport>();
  fake->OnMethod("x", [](const json&) { return json("0x0"); });
  JsonRpcClient rpc(fake);
  ASSERT_TRUE(rpc.Call("x", json::array()).ok());
  ASSERT_TRUE(rpc.Batch({{"x", json::array()}, {"x", json::array()}}).ok());
  ASSERT_TRUE(rpc.Call("x", nullptr).ok());
  std::vector<int64_t> ids;
  for (const std::string& body : fake->requests()) {
    json j = json::parse(body);
    if (j.is_array()) {
      for (const json& c : j) ids.push_back(c["id"]);
    } else {
      ids.push_back(j["id"]);
      EXPECT_TRUE(j["params"].is_array());  // null params go out as []
    }
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(JsonRpcClientTest, EmptyBatchSendsNothing) {
  auto fake = std::make_shared<FakeTransport>();
  JsonRpcClient rpc(fake);
  auto r = rpc.Batch({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(fake->post_count(), 0u);
}

TEST(JsonRpcClientTest, RevertWithCustomErrorIsDecodedWithTheClientsSignatures) {
  auto fake = std::make_shared<FakeTransport>();
  // OwnableUnauthorizedAccount(address) selector 0x118cdaa7.
  fake->PushError(3, "execution reverted",
                  "0x118cdaa70000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc4");
  JsonRpcClient rpc(fake, {.custom_error_signatures = {"OwnableUnauthorizedAccount(address)"}});
  absl::StatusOr<json> r = rpc.Call("eth_call", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("OwnableUnauthorizedAccount(0x"));
}

TEST(CountingTransportTest, CountsMethodsInsideBatches) {
  auto fake = std::make_shared<FakeTransport>();
  fake->OnMethod("eth_call", [](const json&) { return json("0x"); });
  fake->OnMethod("eth_blockNumber", [](const json&) { return json("0x1"); });
  auto counting = std::make_shared<CountingTransport>(fake);
  JsonRpcClient rpc(counting);
  ASSERT_TRUE(rpc.Call("eth_call", json::array()).ok());
  ASSERT_TRUE(rpc.Batch({{"eth_call", json::array()}, {"eth_blockNumber", json::array()}}).ok());
  EXPECT_EQ(counting->post_count(), 2);
  EXPECT_EQ(counting->batch_count(), 1);
  EXPECT_EQ(counting->method_count("eth_call"), 2);
  EXPECT_EQ(counting->method_count("eth_blockNumber"), 1);
  EXPECT_EQ(counting->total_method_count(), 3);
  counting->Reset();
  EXPECT_EQ(counting->method_count("eth_call"), 0);
}

TEST(FakeTransportTest, UnknownMethodsAreMethodNotFound) {
  auto fake = std::make_shared<FakeTransport>();
  fake->OnMethod("eth_chainId", [](const json&) { return json("0x1"); });
  JsonRpcClient rpc(fake);
  absl::StatusOr<json> r = rpc.Call("eth_nope", json::array());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(GetRpcError(r.status())->kind, RpcErrorKind::kMethodNotFound);
}

TEST(ParseQuantityTest, AcceptsCanonicalHexQuantitiesOnly) {
  EXPECT_EQ(*ParseQuantity("0x7a69", "id"), 31337u);
  EXPECT_EQ(*ParseQuantity("0x0", "id"), 0u);
  EXPECT_EQ(*ParseQuantity("0xffffffffffffffff", "id"), ~uint64_t{0});
  for (const json& bad : {json("0x"), json("0x01"), json("7a69"), json(31337), json("0xg"),
                          json("0x10000000000000000")}) {
    EXPECT_EQ(ParseQuantity(bad, "id").status().code(), absl::StatusCode::kInvalidArgument)
        << bad.dump();
  }
}

}  // namespace
}  // namespace chainkms
