#include "lib/chain/chains.h"

#include <gtest/gtest.h>

#include "lib/eth/address.h"

namespace chainkms {
namespace {

TEST(ChainsTest, KnowsTheDstackKmsDeploymentsFromTheDesign) {
  auto eth = LookupChain(1);
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ((*eth)->name, "ethereum");
  EXPECT_EQ(ToChecksumAddress(*(*eth)->dstack_kms), "0xd343a3f5593b93D8056aB5D60c433622d7D65a80");
  auto base = LookupChain(8453);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(ToChecksumAddress(*(*base)->dstack_kms), "0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C");
  auto anvil = LookupChain(31337);
  ASSERT_TRUE(anvil.ok());
  EXPECT_FALSE((*anvil)->dstack_kms.has_value());
}

TEST(ChainsTest, RejectsUnknownChainNamingTheField) {
  for (uint64_t id : {0ULL, 5ULL, 10ULL, 84532ULL}) {
    auto c = LookupChain(id, "request.chain_id");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("request.chain_id"), std::string_view::npos);
  }
}

}  // namespace
}  // namespace chainkms
