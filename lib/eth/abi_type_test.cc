#include "lib/eth/abi_type.h"

#include <gtest/gtest.h>

#include <vector>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

// Expected values from `cast sig` and `cast keccak` (foundry 1.7.1).
TEST(AbiTypeTest, SelectorOfHashesTheCanonicalInputs) {
  auto sig = ParseSignature("transfer(address to, uint amount) returns (bool)");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(HexEncode(SelectorOf(*sig).view()), "a9059cbb");
  auto nested = ParseSignature("f((uint256 a, bool b)[2] xs, bytes memory data)");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(HexEncode(SelectorOf(*nested).view()), "5f40bf3f");
}

TEST(AbiTypeTest, EventTopicOfIgnoresIndexedMarkers) {
  auto sig = ParseSignature("Transfer(address indexed from, address indexed to, uint256 value)");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(HexEncode(EventTopicOf(*sig).view()),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}

TEST(AbiTypeTest, InputTypesListsTheInputsInOrder) {
  auto sig = ParseSignature("f(uint8 a, (bool,string) b, bytes32[] c)(address)");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->InputTypes(),
            (std::vector<AbiType>{AbiType::Uint(8),
                                  AbiType::Tuple({AbiType::Bool(), AbiType::String()}),
                                  AbiType::Array(AbiType::FixedBytes(32))}));
  EXPECT_EQ(sig->OutputTypes(), std::vector<AbiType>{AbiType::Address()});
}

TEST(AbiTypeTest, ParseSignatureRejectsMalformedTextWithInvalidArgument) {
  for (const char* bad : {"", "f(", "f(uint7)", "f(uint256[0])", "(uint256)", "f(uint256))"}) {
    EXPECT_EQ(ParseSignature(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace chainkms
