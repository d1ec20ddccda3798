#include "lib/jsonrpc/failover.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/errors.h"
#include "lib/testing/fake_clock.h"
#include "lib/testing/fake_transport.h"
#include "lib/testing/http_test_server.h"

namespace chainkms {
namespace {

using ::chainkms::testutil::FakeClock;
using ::chainkms::testutil::FakeTransport;
using ::chainkms::testutil::HttpTestServer;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

HttpTestServer::Response Answer(const std::string& body, const json& result) {
  return {.body = testutil::JsonRpcResult(json::parse(body)["id"], result)};
}

std::shared_ptr<CurlTransport> Http(const std::string& url) {
  auto t = CurlTransport::Create(
      {.url = url, .connect_timeout = absl::Seconds(2), .total_timeout = absl::Seconds(5)});
  EXPECT_TRUE(t.ok());
  return *t;
}

std::shared_ptr<FakeTransport> Node(std::string name, std::string chain_id = "0x7a69") {
  auto fake = std::make_shared<FakeTransport>(std::move(name));
  fake->OnMethod("eth_chainId", [chain_id](const json&) { return json(chain_id); });
  fake->OnMethod("eth_blockNumber", [](const json&) { return json("0x10"); });
  return fake;
}

TEST(FailoverClientTest, FirstEndpointRefusingConnectionsFailsOverToTheSecond) {
  HttpTestServer second([](const std::string& b) { return Answer(b, "0x10"); });
  ASSERT_TRUE(second.Start().ok());
  FakeClock clock;
  FailoverClient rpc({Http(absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort(), "/")),
                      Http(second.url())},
                     {}, clock);
  absl::StatusOr<json> r = rpc.Call("eth_blockNumber", json::array());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "0x10");
  std::vector<EndpointHealth> h = rpc.Health();
  EXPECT_FALSE(h[0].healthy);
  EXPECT_EQ(h[0].consecutive_failures, 1);
  EXPECT_TRUE(h[1].healthy);
}

TEST(FailoverClientTest, FirstEndpointRateLimitingFailsOverToTheSecond) {
  HttpTestServer first([](const std::string&) {
    return HttpTestServer::Response{.status = 429, .body = "Too Many Requests"};
  });
  HttpTestServer second([](const std::string& b) { return Answer(b, "0x10"); });
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(second.Start().ok());
  FakeClock clock;
  FailoverClient rpc({Http(first.url()), Http(second.url())}, {}, clock);
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  // While the first is in backoff, reads go straight to the second.
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  EXPECT_EQ(first.request_count(), 1);
  EXPECT_EQ(second.request_count(), 2);
}

TEST(FailoverClientTest, JsonRpcRateLimitErrorAlsoFailsOver) {
  auto first = Node("fake://first");
  first->PushError(-32005, "project ID request rate exceeded");
  auto second = Node("fake://second");
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  EXPECT_FALSE(rpc.Health()[0].healthy);
  EXPECT_EQ(second->post_count(), 1u);
}

TEST(FailoverClientTest, UnhealthyEndpointIsRetriedAfterItsBackoff) {
  auto first = Node("fake://first");
  first->PushRaw(absl::UnavailableError("connection refused"));
  first->PushRaw(absl::UnavailableError("connection refused"));
  auto second = Node("fake://second");
  FakeClock clock(absl::FromUnixSeconds(1000));
  FailoverClient rpc({first, second},
                     {.unhealthy_initial = absl::Seconds(1), .unhealthy_max = absl::Seconds(10)},
                     clock);
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  EXPECT_EQ(rpc.Health()[0].unhealthy_until, absl::FromUnixSeconds(1001));
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  EXPECT_EQ(first->post_count(), 1u);  // skipped during backoff

  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());  // fails again: backoff doubles
  EXPECT_EQ(first->post_count(), 2u);
  EXPECT_EQ(rpc.Health()[0].consecutive_failures, 2);
  EXPECT_EQ(rpc.Health()[0].unhealthy_until, absl::FromUnixSeconds(1003));

  clock.Advance(absl::Seconds(2));
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());  // healthy again
  EXPECT_EQ(first->post_count(), 3u);
  EXPECT_TRUE(rpc.Health()[0].healthy);
  EXPECT_EQ(rpc.Health()[0].consecutive_failures, 0);
  EXPECT_EQ(rpc.Health()[0].failures, 2u);
}

TEST(FailoverClientTest, BackoffIsCapped) {
  auto only = Node("fake://only");
  for (int i = 0; i < 10; ++i) only->PushRaw(absl::UnavailableError("down"));
  FakeClock clock(absl::FromUnixSeconds(0));
  FailoverClient rpc({only},
                     {.read_attempts = 1,
                      .unhealthy_initial = absl::Seconds(1),
                      .unhealthy_max = absl::Seconds(4)},
                     clock);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(rpc.Call("eth_blockNumber", json::array()).status().code(),
              absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(rpc.Health()[0].unhealthy_until - clock.Now(), absl::Seconds(4));
}

TEST(FailoverClientTest, ReadsRetryWithBackoffUntilAttemptsRunOut) {
  auto only = Node("fake://only");
  only->PushRaw(absl::UnavailableError("down"));
  only->PushRaw(absl::UnavailableError("down"));
  FakeClock clock(absl::FromUnixSeconds(0));
  FailoverClient rpc({only},
                     {.read_attempts = 3,
                      .retry_backoff = absl::Milliseconds(100),
                      .unhealthy_initial = absl::Milliseconds(10)},
                     clock);
  absl::StatusOr<json> r = rpc.Call("eth_blockNumber", json::array());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(only->post_count(), 3u);
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(0) + absl::Milliseconds(300));  // 100 + 200

  auto dead = Node("fake://dead");
  for (int i = 0; i < 3; ++i) dead->PushRaw(absl::UnavailableError("down"));
  FailoverClient rpc2({dead}, {.read_attempts = 3}, clock);
  EXPECT_EQ(rpc2.Call("eth_blockNumber", json::array()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(dead->post_count(), 3u);
}

TEST(FailoverClientTest, RevertsAreAnswersAndAreNotRetried) {
  auto first = Node("fake://first");
  first->PushError(3, "execution reverted: Compose hash not allowed");
  auto second = Node("fake://second");
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  EXPECT_EQ(rpc.Call("eth_call", json::array()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second->post_count(), 0u);
  EXPECT_TRUE(rpc.Health()[0].healthy);
}

TEST(FailoverClientTest, NodeTroubleAnswerAsksTheNextWithoutMarking) {
  auto first = Node("fake://first");
  first->PushError(-32000, "header not found");
  auto second = Node("fake://second");
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  EXPECT_TRUE(rpc.Health()[0].healthy);
}

// The probe's endpoint answered `result: null` for an eth_call: a broken node, not an answer.
TEST(FailoverClientTest, NullWhereAValueIsRequiredFailsOverToTheNextEndpoint) {
  auto first = Node("fake://first");
  first->PushResult(json(nullptr));
  auto second = Node("fake://second");
  second->PushResult(json("0x01"));
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  absl::StatusOr<json> r = rpc.Call("eth_call", json::array());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "0x01");
  EXPECT_FALSE(rpc.Health()[0].healthy);
  EXPECT_THAT(rpc.Health()[0].last_error, HasSubstr("null where a value is required"));
}

TEST(FailoverClientTest, NullIsAnAnswerForAReceiptNotMinedYet) {
  auto first = Node("fake://first");
  first->PushResult(json(nullptr));
  auto second = Node("fake://second");
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  absl::StatusOr<json> r = rpc.Call("eth_getTransactionReceipt", json::array({"0x00"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_null());
  EXPECT_EQ(second->post_count(), 0u);
  EXPECT_TRUE(NullIsAnAnswer("eth_getBlockByNumber"));
  EXPECT_FALSE(NullIsAnAnswer("eth_blockNumber"));
}

// Counts what the client reports to /metrics.
class RecordingChainMetrics final : public ChainMetrics {
 public:
  struct Row {
    std::string method, endpoint, error_kind;
  };
  void RecordChainRpc(std::string_view method, std::string_view endpoint, absl::Duration,
                      std::string_view error_kind) override {
    rows.push_back({std::string(method), std::string(endpoint), std::string(error_kind)});
  }
  void RecordTransactionState(std::string_view) override {}
  std::vector<Row> rows;
};

TEST(FailoverClientTest, EveryAttemptIsRecordedPerEndpointHostWithoutPathOrKey) {
  auto first = Node("https://user:secret@rpc-a.example:8545/v3/APIKEY1234567890");
  first->PushRaw(absl::UnavailableError("connection refused"));
  auto second = Node("https://rpc-b.example/KEY");
  second->PushResult(json("0x10"));
  FakeClock clock;
  RecordingChainMetrics metrics;
  FailoverClient rpc({first, second}, {.metrics = &metrics}, clock);
  ASSERT_TRUE(rpc.Call("eth_blockNumber", json::array()).ok());
  ASSERT_EQ(metrics.rows.size(), 2u);
  EXPECT_EQ(metrics.rows[0].method, "eth_blockNumber");
  EXPECT_EQ(metrics.rows[0].endpoint, "rpc-a.example:8545");
  EXPECT_EQ(metrics.rows[0].error_kind, "unavailable");
  EXPECT_EQ(metrics.rows[1].endpoint, "rpc-b.example");
  EXPECT_EQ(metrics.rows[1].error_kind, "");
  EXPECT_EQ(EndpointLabel("http://127.0.0.1:8545"), "127.0.0.1:8545");
}

TEST(FailoverClientTest, SendIsNotResentAfterATimeoutButIsAfterARefusedConnection) {
  auto first = Node("fake://first");
  auto second = Node("fake://second");
  second->OnMethod("eth_sendRawTransaction", [](const json&) { return json("0xhash"); });
  first->PushRaw(absl::UnavailableError("timeout after the request was sent"));
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  EXPECT_EQ(rpc.Call("eth_sendRawTransaction", {"0x02f8"}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(second->post_count(), 0u);

  clock.Advance(absl::Minutes(5));  // first is healthy again
  first->PushRaw(MarkNotDelivered(absl::UnavailableError("connection refused")));
  absl::StatusOr<json> r = rpc.Call("eth_sendRawTransaction", {"0x02f8"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "0xhash");
  EXPECT_EQ(second->post_count(), 1u);
}

TEST(FailoverClientTest, AlreadyKnownAnswerToASendIsSuccessWithTheTransactionHash) {
  auto node = Node("fake://node");
  node->PushError(-32000, "already known");
  FakeClock clock;
  FailoverClient rpc({node}, {}, clock);
  const std::string raw = "0x02f86c827a6980";
  absl::StatusOr<json> r = rpc.Call("eth_sendRawTransaction", {raw});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Hex0x(Keccak256(*HexDecode(raw)).view()));
}

TEST(FailoverClientTest, NonceTooLowOnASendIsReturnedAsIs) {
  auto node = Node("fake://node");
  node->PushError(-32000, "nonce too low: address 0x1, tx: 1 state: 2");
  FakeClock clock;
  FailoverClient rpc({node}, {}, clock);
  absl::StatusOr<json> r = rpc.Call("eth_sendRawTransaction", {"0x02"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetRpcError(r.status())->kind, RpcErrorKind::kNonceTooLow);
}

TEST(FailoverClientTest, BatchFailsOverLikeACall) {
  auto first = Node("fake://first");
  first->PushRaw(absl::UnavailableError("down"));
  auto second = Node("fake://second");
  FakeClock clock;
  FailoverClient rpc({first, second}, {}, clock);
  auto r = rpc.Batch({{"eth_chainId", json::array()}, {"eth_blockNumber", json::array()}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(*(*r)[0], "0x7a69");
  EXPECT_EQ(*(*r)[1], "0x10");
}

TEST(FailoverClientTest, ChainIdCheckPassesWhenEveryEndpointAgrees) {
  FakeClock clock;
  FailoverClient rpc({Node("fake://a"), Node("fake://b")}, {}, clock);
  EXPECT_TRUE(rpc.ConnectAndCheckChainId(31337).ok());
}

TEST(FailoverClientTest, ChainIdMismatchNamesTheEndpointWithoutItsCredentials) {
  HttpTestServer good([](const std::string& b) { return Answer(b, "0x7a69"); });
  HttpTestServer wrong([](const std::string& b) { return Answer(b, "0x1"); });
  ASSERT_TRUE(good.Start().ok());
  ASSERT_TRUE(wrong.Start().ok());
  const std::string wrong_url = absl::StrCat("http://bob:hunter2@127.0.0.1:", wrong.port(),
                                             "/v3/0123456789abcdef0123456789abcdef?k=s3cr3t");
  FakeClock clock;
  FailoverClient rpc({Http(good.url()), Http(wrong_url)}, {}, clock);
  absl::Status s = rpc.ConnectAndCheckChainId(31337);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("127.0.0.1:", wrong.port())));
  EXPECT_THAT(s.message(), HasSubstr("reports chain id 1, expected 31337"));
  for (const char* secret : {"bob", "hunter2", "0123456789abcdef", "s3cr3t"}) {
    EXPECT_THAT(s.message(), Not(HasSubstr(secret)));
  }
}

TEST(FailoverClientTest, ChainIdCheckIsUnavailableWhenNoEndpointAnswers) {
  FakeClock clock;
  FailoverClient rpc({Http(absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort(), "/")),
                      Http(absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort(), "/"))},
                     {}, clock);
  EXPECT_EQ(rpc.ConnectAndCheckChainId(31337).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(rpc.Health()[0].healthy);
  EXPECT_FALSE(rpc.Health()[1].healthy);
}

TEST(FailoverClientTest, ChainIdCheckToleratesADeadEndpointWhenOthersAgree) {
  auto dead = std::make_shared<FakeTransport>("fake://dead");
  dead->PushRaw(absl::UnavailableError("down"));
  FakeClock clock;
  FailoverClient rpc({dead, Node("fake://b")}, {}, clock);
  EXPECT_TRUE(rpc.ConnectAndCheckChainId(31337).ok());
  EXPECT_FALSE(rpc.Health()[0].healthy);
}

}  // namespace
}  // namespace chainkms
