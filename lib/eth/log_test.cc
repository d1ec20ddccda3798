#include "lib/eth/log.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Hash32 Topic(std::string_view hex) { return HexDecodeFixed<32>(hex).value(); }
std::string Word(std::string_view tail) { return std::string(64 - tail.size(), '0') + std::string(tail); }

// cast sig-event 'Transfer(address indexed from, address indexed to, uint256 value)'
constexpr std::string_view kTransferTopic =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
constexpr std::string_view kTransfer = "Transfer(address indexed from,address indexed to,uint256 value)";

Log TransferLog() {
  Log log;
  log.topics = {Topic(kTransferTopic), Topic(Word("5b38da6a701c568545dcfcb03fcb875f56beddc4")),
                Topic(Word("cd2a3d9f938e13cd947ec05abc7fe734df8dd826"))};
  log.data = HexDecode(Word("3e8")).value();
  return log;
}

TEST(DecodeLog, DecodesIndexedTopicsAndDataInDeclarationOrder) {
  auto v = DecodeLog(kTransfer, TransferLog());
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ(Hex0x((*v)[0].address.view()), "0x5b38da6a701c568545dcfcb03fcb875f56beddc4");
  EXPECT_EQ(Hex0x((*v)[1].address.view()), "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826");
  EXPECT_EQ((*v)[2], AbiValue::Uint(1000));
}

TEST(DecodeLog, ReturnsIndexedDynamicValuesAsTheirHash) {
  // cast sig-event 'Named(string indexed name, uint256 v)'; cast keccak alice
  Log log;
  log.topics = {Topic("0x1fc1ee74e64a4613da0ebad7aa1e41655ed6a50b1e27ec21849a5cd4db9381dd"),
                Topic("0x9c0257114eb9399a2985f8e75dad7600c5d89fe3824ffa99ec1c3eb8bf3b0501")};
  log.data = HexDecode(Word("7")).value();
  auto v = DecodeLog("Named(string indexed name, uint256 v)", log);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0], AbiValue::FixedBytes(log.topics[1].view()));
  EXPECT_EQ((*v)[1], AbiValue::Uint(7));
}

TEST(DecodeLog, RejectsWrongTopic0) {
  Log log = TransferLog();
  log.topics[0][0] ^= 1;
  EXPECT_EQ(DecodeLog(kTransfer, log).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeLog, RejectsWrongTopicCount) {
  Log log = TransferLog();
  log.topics.pop_back();
  EXPECT_EQ(DecodeLog(kTransfer, log).status().code(), absl::StatusCode::kInvalidArgument);
  log = TransferLog();
  log.topics.push_back(Hash32());
  EXPECT_EQ(DecodeLog(kTransfer, log).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecodeLog, RejectsDirtyIndexedAddressAndBadData) {
  Log log = TransferLog();
  log.topics[1][0] = 1;
  EXPECT_EQ(DecodeLog(kTransfer, log).status().code(), absl::StatusCode::kInvalidArgument);
  log = TransferLog();
  log.data.pop_back();
  EXPECT_EQ(DecodeLog(kTransfer, log).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
