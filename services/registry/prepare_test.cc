#include "services/registry/prepare.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/abi_type.h"
#include "nlohmann/json.hpp"

namespace chainkms::registry {
namespace {

Address AddrByte(uint8_t b) {
  Address a;
  a[19] = b;
  return a;
}

Hash32 Filled(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}

Bytes Calldata(std::string_view selector_hex, uint8_t fill) {
  Bytes out = *HexDecode(selector_hex);
  Hash32 arg = Filled(fill);
  out.insert(out.end(), arg.begin(), arg.end());
  return out;
}

// The two calls every cast cross-check below uses:
//   T=0x00000000000000000000000000000000000000aa  D=0xdfc77223 ‖ 0x33×32 (addComposeHash)
//   T2=0x…bb  D2=0x2a819728 ‖ 0x44×32 (addDevice)  P=0x22×32 (predecessor)  S=0x11×32 (salt)
PreparedCall Call1() {
  return {.to = AddrByte(0xaa), .data = Calldata("dfc77223", 0x33),
          .function_signature = "addComposeHash(bytes32)"};
}
PreparedCall Call2() {
  return {.to = AddrByte(0xbb), .data = Calldata("2a819728", 0x44),
          .function_signature = "addDevice(bytes32)"};
}

TEST(TimelockTest, SelectorsMatchOpenZeppelinTimelockController) {
  // cast sig '<signature>'
  EXPECT_EQ(Hex0x(Selector(timelock_sig::kSchedule)->view()), "0x01d5062a");
  EXPECT_EQ(Hex0x(Selector(timelock_sig::kExecute)->view()), "0x134008d3");
  EXPECT_EQ(Hex0x(Selector(timelock_sig::kScheduleBatch)->view()), "0x8f2a0bb0");
  EXPECT_EQ(Hex0x(Selector(timelock_sig::kExecuteBatch)->view()), "0xe38335e5");
}

TEST(TimelockTest, SingleCallScheduleExecuteAndOperationIdMatchCast) {
  std::vector<PreparedCall> calls = {Call1()};
  absl::StatusOr<TimelockCalls> tl = BuildTimelockCalls(
      calls, {.timelock = AddrByte(0x77), .delay_seconds = 3600, .salt = Filled(0x11),
              .predecessor = Filled(0x22)});
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_EQ(tl->timelock, AddrByte(0x77));
  // cast calldata 'schedule(address,uint256,bytes,bytes32,bytes32,uint256)' $T 0 $D $P $S 3600
  EXPECT_EQ(Hex0x(tl->schedule_data),
            "0x01d5062a"
            "00000000000000000000000000000000000000000000000000000000000000aa"
            "0000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000c0"
            "2222222222222222222222222222222222222222222222222222222222222222"
            "1111111111111111111111111111111111111111111111111111111111111111"
            "0000000000000000000000000000000000000000000000000000000000000e10"
            "0000000000000000000000000000000000000000000000000000000000000024"
            "dfc7722333333333333333333333333333333333333333333333333333333333"
            "3333333300000000000000000000000000000000000000000000000000000000");
  // cast calldata 'execute(address,uint256,bytes,bytes32,bytes32)' $T 0 $D $P $S
  EXPECT_EQ(Hex0x(tl->execute_data),
            "0x134008d3"
            "00000000000000000000000000000000000000000000000000000000000000aa"
            "0000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "2222222222222222222222222222222222222222222222222222222222222222"
            "1111111111111111111111111111111111111111111111111111111111111111"
            "0000000000000000000000000000000000000000000000000000000000000024"
            "dfc7722333333333333333333333333333333333333333333333333333333333"
            "3333333300000000000000000000000000000000000000000000000000000000");
  // cast keccak $(cast abi-encode 'f(address,uint256,bytes,bytes32,bytes32)' $T 0 $D $P $S)
  EXPECT_EQ(Hex0x(tl->operation_id.view()),
            "0x6e9ed636f46bb39f2a66e62f827e4e3f4b7cc1f8d9f8e78ce10ee07bc221b60e");
}

TEST(TimelockTest, SeveralCallsUseBatchFormsMatchingCast) {
  std::vector<PreparedCall> calls = {Call1(), Call2()};
  absl::StatusOr<TimelockCalls> tl = BuildTimelockCalls(
      calls, {.timelock = AddrByte(0x77), .delay_seconds = 86400, .salt = Filled(0x11),
              .predecessor = Filled(0x22)});
  ASSERT_TRUE(tl.ok()) << tl.status();
  const std::string arrays =
      "0000000000000000000000000000000000000000000000000000000000000002"
      "00000000000000000000000000000000000000000000000000000000000000aa"
      "00000000000000000000000000000000000000000000000000000000000000bb"
      "0000000000000000000000000000000000000000000000000000000000000002"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000002"
      "0000000000000000000000000000000000000000000000000000000000000040"
      "00000000000000000000000000000000000000000000000000000000000000a0"
      "0000000000000000000000000000000000000000000000000000000000000024"
      "dfc7722333333333333333333333333333333333333333333333333333333333"
      "3333333300000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000024"
      "2a81972844444444444444444444444444444444444444444444444444444444"
      "4444444400000000000000000000000000000000000000000000000000000000";
  const std::string p = std::string(64, '2');
  const std::string s = std::string(64, '1');
  // cast calldata 'scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)'
  //   "[$T,$T2]" "[0,0]" "[$D,$D2]" $P $S 86400
  EXPECT_EQ(Hex0x(tl->schedule_data),
            "0x8f2a0bb0"
            "00000000000000000000000000000000000000000000000000000000000000c0"
            "0000000000000000000000000000000000000000000000000000000000000120"
            "0000000000000000000000000000000000000000000000000000000000000180" +
                p + s +
                "0000000000000000000000000000000000000000000000000000000000015180" + arrays);
  // cast calldata 'executeBatch(address[],uint256[],bytes[],bytes32,bytes32)'
  //   "[$T,$T2]" "[0,0]" "[$D,$D2]" $P $S
  EXPECT_EQ(Hex0x(tl->execute_data),
            "0xe38335e5"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000100"
            "0000000000000000000000000000000000000000000000000000000000000160" +
                p + s + arrays);
  // cast keccak $(cast abi-encode 'f(address[],uint256[],bytes[],bytes32,bytes32)'
  //   "[$T,$T2]" "[0,0]" "[$D,$D2]" $P $S)
  EXPECT_EQ(Hex0x(tl->operation_id.view()),
            "0xa05b14ef508a21b34c7a64d1de180b3b5e1e7ed07e1f856bad7f51db75c086f3");
}

TEST(TimelockTest, NoCallsIsInvalidArgument) {
  EXPECT_EQ(BuildTimelockCalls({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UnsignedTxTest, SigningHashEqualsLibEthSigningHash) {
  TxSuggestion s{.nonce = 7, .gas_limit = 60000,
                 .fees = {.max_fee_per_gas = U256(3'000'000'000), .max_priority_fee_per_gas = U256(1'000'000'000)}};
  absl::StatusOr<UnsignedTx> tx = BuildUnsignedTransaction(31337, Call1(), s);
  ASSERT_TRUE(tx.ok()) << tx.status();
  EXPECT_EQ(tx->chain_id, 31337u);
  EXPECT_EQ(tx->to, AddrByte(0xaa));
  EXPECT_TRUE(tx->value.IsZero());
  EXPECT_EQ(tx->nonce, 7u);
  EXPECT_EQ(tx->signing_payload[0], 0x02);
  EXPECT_EQ(Keccak256(tx->signing_payload), tx->signing_hash);
  EXPECT_EQ(*SigningHash(tx->ToTransaction()), tx->signing_hash);
}

TEST(UnsignedTxTest, ZeroChainIdIsInvalidArgument) {
  EXPECT_EQ(BuildUnsignedTransaction(0, Call1(), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UnsignedTxTest, PriorityFeeAboveMaxFeeIsInvalidArgument) {
  TxSuggestion s{.fees = {.max_fee_per_gas = U256(1), .max_priority_fee_per_gas = U256(2)}};
  EXPECT_EQ(BuildUnsignedTransaction(1, Call1(), s).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SafeBatchTest, BatchHasTransactionBuilderFormatAndChecksum) {
  std::vector<PreparedCall> calls = {Call1()};
  std::string text = SafeTransactionBuilderJson(
      {.chain_id = 8453, .safe = AddrByte(0xcc), .created_at_ms = 1700000000123,
       .name = "anything", .description = "add a compose hash"},
      calls);
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["version"], "1.0");
  EXPECT_EQ(j["chainId"], "8453");
  EXPECT_EQ(j["createdAt"], 1700000000123);
  EXPECT_EQ(j["meta"]["txBuilderVersion"], "1.16.5");
  EXPECT_EQ(j["meta"]["createdFromSafeAddress"], "0x00000000000000000000000000000000000000cc");
  EXPECT_EQ(j["meta"]["createdFromOwnerAddress"], "");
  ASSERT_EQ(j["transactions"].size(), 1u);
  EXPECT_EQ(j["transactions"][0]["to"], "0x00000000000000000000000000000000000000AA");
  EXPECT_EQ(j["transactions"][0]["value"], "0");
  EXPECT_EQ(j["transactions"][0]["data"], Hex0x(Call1().data));
  EXPECT_TRUE(j["transactions"][0]["contractMethod"].is_null());
  EXPECT_TRUE(j["transactions"][0]["contractInputsValues"].is_null());
  // The Transaction Builder's own algorithm (safe-react-apps tx-builder checksum.ts) run in
  // node with ethers' keccak256 over the same batch gives:
  EXPECT_EQ(j["meta"]["checksum"],
            "0x0917a86afe0485d756a1ad05c007b28b362e0938230a09a22a68635cb0c73323");
  EXPECT_EQ(Hex0x(SafeBatchChecksum(text)->view()), j["meta"]["checksum"]);
}

TEST(SafeBatchTest, ChecksumIgnoresTheBatchName) {
  std::vector<PreparedCall> calls = {Call1(), Call2()};
  auto a = nlohmann::json::parse(SafeTransactionBuilderJson({.chain_id = 1, .name = "a"}, calls));
  auto b = nlohmann::json::parse(SafeTransactionBuilderJson({.chain_id = 1, .name = "b"}, calls));
  EXPECT_EQ(a["meta"]["checksum"], b["meta"]["checksum"]);
  auto c = nlohmann::json::parse(SafeTransactionBuilderJson({.chain_id = 2, .name = "a"}, calls));
  EXPECT_NE(a["meta"]["checksum"], c["meta"]["checksum"]);
}

TEST(SafeBatchTest, ChecksumOfNonObjectIsInvalidArgument) {
  EXPECT_EQ(SafeBatchChecksum("[1]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SafeBatchChecksum("{").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PrepareTest, WithTimelockTheSafeBatchHoldsTheScheduleCall) {
  PrepareInput in{.chain_id = 31337, .calls = {Call1(), Call2()},
                  .suggestions = {{.nonce = 3}, {.nonce = 4}},
                  .timelock = TimelockParams{.timelock = AddrByte(0x77), .delay_seconds = 60}};
  absl::StatusOr<PrepareOutput> out = Prepare(in);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->transactions.size(), 2u);
  EXPECT_EQ(out->transactions[1].nonce, 4u);
  EXPECT_EQ(out->transactions[1].to, AddrByte(0xbb));
  ASSERT_TRUE(out->timelock.has_value());
  nlohmann::json j = nlohmann::json::parse(out->safe_transaction_builder_json);
  ASSERT_EQ(j["transactions"].size(), 1u);
  EXPECT_EQ(j["transactions"][0]["to"], "0x0000000000000000000000000000000000000077");
  EXPECT_EQ(j["transactions"][0]["data"], Hex0x(out->timelock->schedule_data));
  EXPECT_EQ(j["chainId"], "31337");
}

TEST(PrepareTest, WithoutTimelockTheSafeBatchHoldsTheDirectCalls) {
  absl::StatusOr<PrepareOutput> out = Prepare({.chain_id = 1, .calls = {Call1(), Call2()}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->timelock.has_value());
  nlohmann::json j = nlohmann::json::parse(out->safe_transaction_builder_json);
  ASSERT_EQ(j["transactions"].size(), 2u);
  EXPECT_EQ(j["transactions"][1]["data"], Hex0x(Call2().data));
}

TEST(PrepareTest, NoCallsOrMismatchedSuggestionsAreInvalidArgument) {
  EXPECT_EQ(Prepare({.chain_id = 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare({.chain_id = 1, .calls = {Call1()}, .suggestions = {{}, {}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms::registry
