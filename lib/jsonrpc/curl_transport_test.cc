#include "lib/jsonrpc/curl_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/jsonrpc/client.h"
#include "lib/testing/http_test_server.h"
#include "nlohmann/json.hpp"

namespace chainkms {
namespace {

using ::chainkms::testutil::HttpTestServer;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// Answers every JSON-RPC call (single or batch) with its own id and "0x1".
HttpTestServer::Response Echo(const std::string& body) {
  const json req = json::parse(body, nullptr, false);
  auto one = [](const json& r) { return json{{"jsonrpc", "2.0"}, {"id", r["id"]}, {"result", "0x1"}}; };
  HttpTestServer::Response resp;
  if (req.is_array()) {
    json out = json::array();
    for (const json& r : req) out.push_back(one(r));
    resp.body = out.dump();
  } else {
    resp.body = one(req).dump();
  }
  return resp;
}

std::shared_ptr<CurlTransport> Transport(const std::string& url,
                                         absl::Duration total = absl::Seconds(10)) {
  auto t = CurlTransport::Create({.url = url, .connect_timeout = absl::Seconds(2), .total_timeout = total});
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(CurlTransportTest, PostsJsonAndReturnsTheBodyOf2xx) {
  std::string seen;
  HttpTestServer server([&](const std::string& body) {
    seen = body;
    return HttpTestServer::Response{.body = "{\"ok\":true}"};
  });
  ASSERT_TRUE(server.Start().ok());
  auto t = Transport(server.url());
  absl::StatusOr<std::string> r = t->Post("{\"a\":1}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "{\"ok\":true}");
  EXPECT_EQ(seen, "{\"a\":1}");
}

TEST(CurlTransportTest, MapsHttp429ToResourceExhaustedAndMarksItNotDelivered) {
  HttpTestServer server([](const std::string&) {
    return HttpTestServer::Response{.status = 429, .body = "<html>Too Many Requests</html>",
                                    .headers = {{"Content-Type", "text/html"}}};
  });
  ASSERT_TRUE(server.Start().ok());
  absl::StatusOr<std::string> r = Transport(server.url())->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(WasNotDelivered(r.status()));
}

TEST(CurlTransportTest, Maps5xxAndOther4xxToUnavailableWithTheStatus) {
  int status = 503;
  HttpTestServer server([&](const std::string&) { return HttpTestServer::Response{.status = status}; });
  ASSERT_TRUE(server.Start().ok());
  auto t = Transport(server.url());
  absl::StatusOr<std::string> r = t->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 503"));
  EXPECT_FALSE(WasNotDelivered(r.status()));
  status = 404;
  r = t->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 404"));
}

TEST(CurlTransportTest, NeverFollowsRedirects) {
  HttpTestServer server([](const std::string&) {
    return HttpTestServer::Response{.status = 302, .headers = {{"Location", "http://10.0.0.1/"}}};
  });
  ASSERT_TRUE(server.Start().ok());
  absl::StatusOr<std::string> r = Transport(server.url())->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 302"));
  EXPECT_EQ(server.request_count(), 1);
}

TEST(CurlTransportTest, RefusedConnectionIsUnavailableAndNotDelivered) {
  auto t = Transport(absl::StrCat("http://127.0.0.1:", testutil::UnusedLoopbackPort(), "/"));
  absl::StatusOr<std::string> r = t->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(WasNotDelivered(r.status()));
}

TEST(CurlTransportTest, ServerSlowerThanTheTotalTimeoutIsUnavailableQuickly) {
  HttpTestServer server([](const std::string& body) {
    HttpTestServer::Response r = Echo(body);
    r.delay = absl::Seconds(5);
    return r;
  });
  ASSERT_TRUE(server.Start().ok());
  auto t = Transport(server.url(), absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> r = t->Post(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[]})");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(WasNotDelivered(r.status()));  // the server did get it
}

TEST(CurlTransportTest, RejectsBodiesLargerThanTheLimit) {
  HttpTestServer server(
      [](const std::string&) { return HttpTestServer::Response{.body = std::string(4096, 'x')}; });
  ASSERT_TRUE(server.Start().ok());
  auto t = CurlTransport::Create({.url = server.url(), .max_response_bytes = 1000});
  ASSERT_TRUE(t.ok());
  absl::StatusOr<std::string> r = (*t)->Post("{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("larger than 1000 bytes"));
}

TEST(CurlTransportTest, ReusesOneConnectionForSequentialCalls) {
  HttpTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  JsonRpcClient rpc(Transport(server.url()));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(rpc.Call("eth_chainId", json::array()).ok());
  EXPECT_EQ(server.request_count(), 50);
  EXPECT_EQ(server.connection_count(), 1);
}

TEST(CurlTransportTest, EightThreadsOfFiftyCallsAllGetTheirOwnAnswers) {
  HttpTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  auto transport = Transport(server.url());
  JsonRpcClient rpc(transport);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (rpc.Call("eth_blockNumber", json::array()).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(server.request_count(), 400);
  // Each pooled handle keeps its connection: at most one per concurrent caller.
  EXPECT_LE(server.connection_count(), 8);
  EXPECT_LE(transport->handles_created(), 8u);
}

TEST(CurlTransportTest, RejectsUrlsThatAreNotHttp) {
  EXPECT_EQ(CurlTransport::Create({.url = "ftp://example.com/"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CurlTransport::Create({.url = "not a url"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto secret = CurlTransport::Create({.url = "gopher://user:hunter2@example.com/"});
  EXPECT_THAT(secret.status().message(), Not(HasSubstr("hunter2")));
}

TEST(RedactUrlTest, StripsCredentialsQueriesAndApiKeysInThePath) {
  EXPECT_EQ(RedactUrl("https://user:hunter2@rpc.example.com:8545/?key=abc"),
            "https://rpc.example.com:8545/");
  EXPECT_EQ(RedactUrl("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"),
            "https://mainnet.infura.io/v3/***");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8545"), "http://127.0.0.1:8545/");
  EXPECT_EQ(RedactUrl("::::"), "<invalid url>");
}

TEST(CurlTransportTest, ErrorsNeverShowCredentials) {
  const std::string url =
      absl::StrCat("http://alice:hunter2@127.0.0.1:", testutil::UnusedLoopbackPort(),
                   "/v2/SECRETKEY0123456789abcdef?token=t0ps3cret");
  auto t = Transport(url);
  EXPECT_THAT(t->Describe(), Not(HasSubstr("hunter2")));
  absl::StatusOr<std::string> r = t->Post("{}");
  ASSERT_FALSE(r.ok());
  for (const char* secret : {"alice", "hunter2", "SECRETKEY", "t0ps3cret"}) {
    EXPECT_THAT(r.status().message(), Not(HasSubstr(secret)));
    EXPECT_THAT(t->Describe(), Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace chainkms
