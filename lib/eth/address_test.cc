#include "lib/eth/address.h"

#include <gtest/gtest.h>

#include <string>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

// The examples from the EIP-55 specification.
constexpr const char* kEip55Examples[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

TEST(AddressTest, FormatsEip55SpecExamples) {
  // The all-caps and all-lowercase spec examples are not checksummed forms; only the mixed ones.
  for (int i = 4; i < 8; ++i) {
    const std::string want = kEip55Examples[i];
    auto a = HexDecodeFixed<20>(want);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(ToChecksumAddress(*a), want);
  }
}

TEST(AddressTest, ParsesEip55SpecExamples) {
  for (const char* s : kEip55Examples) {
    auto a = ParseAddress(s);
    ASSERT_TRUE(a.ok()) << s << ": " << a.status();
    EXPECT_EQ(HexEncode(a->view()), HexEncode(HexDecode(s).value()));
  }
}

TEST(AddressTest, AcceptsAllLowerAndAllUpperWithoutChecksum) {
  EXPECT_TRUE(ParseAddress("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
  EXPECT_TRUE(ParseAddress("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").ok());
}

TEST(AddressTest, RejectsMixedCaseWithWrongChecksum) {
  // The spec example with one letter's case flipped (first 'a' → 'A').
  auto a = ParseAddress("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "to");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("to"), std::string::npos);
  EXPECT_NE(a.status().message().find("checksum"), std::string::npos);
}

TEST(AddressTest, RejectsWrongLengthAndNonHex) {
  EXPECT_EQ(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAddress("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AddressTest, ComputesCreateAddressLikeCast) {
  const Address deployer = ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").value();
  // cast compute-address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed --nonce 0
  EXPECT_EQ(ToChecksumAddress(ComputeCreateAddress(deployer, 0)),
            "0x23D93d09D2eC9B304b37a774c9b80c5503c03f0d");
  // cast compute-address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed --nonce 1000000
  EXPECT_EQ(ToChecksumAddress(ComputeCreateAddress(deployer, 1000000)),
            "0x9be939e3c03271cDBc85b9944C1E74Db0067b24C");
}

}  // namespace
}  // namespace chainkms
