#include "lib/chain/chain_set.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/reason.h"

namespace chainkms {
namespace {

using ::testing::HasSubstr;

TEST(ChainSpecTest, AChainSpecListParsesIdsUrlsAndKms) {
  auto chains = ParseChainSpecs(
      "31337=http://127.0.0.1:8545,http://backup:8545;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3 "
      "8453=https://mainnet.base.org;kms=0x5fbdb2315678afecb367f032d93f642f64180aa3");
  ASSERT_TRUE(chains.ok()) << chains.status();
  ASSERT_EQ(chains->size(), 2u);
  EXPECT_EQ((*chains)[0].chain_id, 31337u);
  EXPECT_THAT((*chains)[0].rpc_urls,
              ::testing::ElementsAre("http://127.0.0.1:8545", "http://backup:8545"));
  EXPECT_EQ((*chains)[1].chain_id, 8453u);
}

TEST(ChainSpecTest, BadChainSpecsAreRejectedWithoutEchoingUrls) {
  EXPECT_EQ(ParseChainSpecs("").status().code(), absl::StatusCode::kInvalidArgument);
  auto no_kms = ParseChainSpecs("1=https://key@rpc.example");
  EXPECT_THAT(no_kms.status().message(), HasSubstr("missing ;kms="));
  EXPECT_THAT(std::string(no_kms.status().message()), ::testing::Not(HasSubstr("key@")));
  EXPECT_THAT(ParseChainSpecs("x=http://a;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3").status().message(),
              HasSubstr("not a positive integer"));
  EXPECT_THAT(ParseChainSpecs("1=http://a;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3 "
                              "1=http://b;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3")
                  .status()
                  .message(),
              HasSubstr("listed twice"));
  EXPECT_THAT(ParseChainSpecs("1=ftp://a;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3").status().message(),
              HasSubstr("http://"));
}

TEST(ChainSetTest, AnUnknownChainIsInvalidArgumentWithReasonAndTheServedIds) {
  ChainSet set;
  auto chain = std::make_unique<Chain>();
  chain->chain_id = 31337;
  set.Add(std::move(chain));
  absl::StatusOr<Chain*> found = set.Find(31337);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->chain_id, 31337u);
  absl::StatusOr<Chain*> missing = set.Find(8453);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(missing.status()), Reason::kUnknownChain);
  EXPECT_EQ(MetadataOf(missing.status()).at("chain_id"), "8453");
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("(served: 31337)"));
}

}  // namespace
}  // namespace chainkms
