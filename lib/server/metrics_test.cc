#include "lib/server/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RpcCounterAndHistogramAreLabelledByMethodAndCode) {
  Metrics metrics;
  metrics.RecordRpc("/chainkms.v1.Registry/GetApp", "OK", absl::Milliseconds(3));
  metrics.RecordRpc("/chainkms.v1.Registry/GetApp", "OK", absl::Milliseconds(4));
  std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_requests_total{code=\"OK\",method=\"/chainkms.v1."
                              "Registry/GetApp\"} 2"));
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_latency_seconds_count{code=\"OK\",method=\"/"
                              "chainkms.v1.Registry/GetApp\"} 2"));
}

TEST(MetricsTest, ChainRpcEndpointLabelNeverCarriesThePathOrApiKey) {
  Metrics metrics;
  metrics.RecordChainRpc("eth_call", "https://base.example.com/v2/SECRETKEY", absl::Milliseconds(9),
                         "timeout");
  std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("chainkms_chain_rpc_errors_total{endpoint=\"base.example.com\","
                              "kind=\"timeout\",method=\"eth_call\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("SECRETKEY")));
  EXPECT_EQ(EndpointHost("https://user:pw@rpc.example:8545/v3/KEY?x=1"), "rpc.example:8545");
  EXPECT_EQ(EndpointHost("127.0.0.1:8545"), "127.0.0.1:8545");
}

TEST(MetricsTest, TransactionStatesAndStoreLatencyAreExported) {
  Metrics metrics;
  metrics.RecordTransactionState("confirmed");
  metrics.SetTransactionsInState("pending", 3);
  metrics.RecordStore("put_commit", absl::Milliseconds(2), true);
  std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("chainkms_transactions_total{state=\"confirmed\"} 1"));
  EXPECT_THAT(text, HasSubstr("chainkms_transactions{state=\"pending\"} 3"));
  EXPECT_THAT(text,
              HasSubstr("chainkms_store_latency_seconds_count{op=\"put_commit\",outcome=\"ok\"} 1"));
}

TEST(MetricsTest, ExposerRejectsABadAddress) {
  Metrics metrics;
  EXPECT_EQ(metrics.StartExposer("nope").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms::server
