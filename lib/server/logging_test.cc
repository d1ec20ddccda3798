#include "lib/server/logging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::server {
namespace {

TEST(LoggingTest, FormatsOneJsonObjectWithTsLevelMsgRequestAndFields) {
  RequestContext rc{.request_id = "abc123", .method = "/chainkms.v1.Registry/GetApp"};
  std::string line = Logger::Format(absl::FromUnixMillis(1714564800123), LogLevel::kInfo, "done",
                                    {{"chain_id", 8453}, {"note", "a \"quoted\"\nline"}}, &rc);
  EXPECT_EQ(line,
            "{\"ts\":\"2024-05-01T12:00:00.123Z\",\"level\":\"info\",\"msg\":\"done\","
            "\"request_id\":\"abc123\",\"method\":\"/chainkms.v1.Registry/GetApp\","
            "\"chain_id\":8453,\"note\":\"a \\\"quoted\\\"\\nline\"}");
  nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["chain_id"], 8453);
}

TEST(LoggingTest, RpcLineCarriesCodeAndLatencyAndLevelFollowsCode) {
  std::vector<std::string> lines;
  Logger logger([&](std::string_view line) { lines.emplace_back(line); });
  RequestContext rc{.request_id = "r1", .method = "/m"};
  logger.LogRpc(rc, "OK", absl::Milliseconds(12), {});
  logger.LogRpc(rc, "INTERNAL", absl::Milliseconds(1), {{"reason", "BUG"}});
  ASSERT_EQ(lines.size(), 2u);
  nlohmann::json ok = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(ok["level"], "info");
  EXPECT_EQ(ok["code"], "OK");
  EXPECT_DOUBLE_EQ(ok["latency_ms"].get<double>(), 12.0);
  EXPECT_EQ(ok["request_id"], "r1");
  nlohmann::json bad = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(bad["level"], "error");
  EXPECT_EQ(bad["reason"], "BUG");
}

TEST(LoggingTest, LinesBelowTheLevelAreDropped) {
  std::vector<std::string> lines;
  Logger logger([&](std::string_view line) { lines.emplace_back(line); }, LogLevel::kWarn);
  logger.Info("hidden");
  logger.Warn("shown");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("\"msg\":\"shown\""));
}

TEST(LoggingTest, ParseLogLevelAcceptsTheFourNames) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("loud").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestContextTest, RequestIdsAreSixteenHexAndValidatedOnInput) {
  std::string id = RequestContext::NewRequestId();
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, RequestContext::NewRequestId());
  EXPECT_TRUE(RequestContext::IsValidRequestId("client-42_a.b"));
  EXPECT_FALSE(RequestContext::IsValidRequestId(""));
  EXPECT_FALSE(RequestContext::IsValidRequestId("has space"));
  EXPECT_FALSE(RequestContext::IsValidRequestId("{\"inject\":1}"));
  EXPECT_FALSE(RequestContext::IsValidRequestId(std::string(65, 'a')));
}

TEST(RedactTest, RedactHidesValuesAndRedactUrlKeepsOnlySchemeHostPort) {
  EXPECT_EQ(Redact("0xdeadbeef"), "[redacted]");
  EXPECT_EQ(RedactKeepPrefix("ckms_live_abcdef", 10), "ckms_live_…[redacted 16 chars]");
  EXPECT_EQ(RedactKeepPrefix("short", 10), "[redacted]");
  EXPECT_EQ(RedactUrl("https://user:pw@eth.example.com:8545/v2/SECRETKEY?x=1"),
            "https://eth.example.com:8545");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
}

}  // namespace
}  // namespace chainkms::server
