#include "lib/eth/revert.h"

#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }
std::string Word(std::string_view tail) { return std::string(64 - tail.size(), '0') + std::string(tail); }

TEST(DecodeRevert, ReadsErrorString) {
  // cast calldata 'Error(string)' 'Compose hash not allowed'
  auto r = DecodeRevert(H("0x08c379a0" + Word("20") + Word("18") +
                          "436f6d706f73652068617368206e6f7420616c6c6f7765640000000000000000"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, RevertKind::kErrorString);
  EXPECT_EQ(r->message, "Compose hash not allowed");
  EXPECT_EQ(r->Describe(), "reverted: Compose hash not allowed");
}

TEST(DecodeRevert, ReadsPanicWithItsMeaning) {
  auto r = DecodeRevert(H("0x4e487b71" + Word("11")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, RevertKind::kPanic);
  EXPECT_EQ(r->panic_code, U256(0x11));
  EXPECT_EQ(r->Describe(), "panic 0x11: arithmetic overflow or underflow");
}

TEST(PanicDescription, NamesEverySolidityPanicCode) {
  EXPECT_EQ(PanicDescription(0x01), "assertion failed");
  EXPECT_EQ(PanicDescription(0x11), "arithmetic overflow or underflow");
  EXPECT_EQ(PanicDescription(0x12), "division or modulo by zero");
  EXPECT_EQ(PanicDescription(0x21), "conversion to an invalid enum value");
  EXPECT_EQ(PanicDescription(0x22), "access to an incorrectly encoded storage byte array");
  EXPECT_EQ(PanicDescription(0x31), "pop() on an empty array");
  EXPECT_EQ(PanicDescription(0x32), "array index out of bounds");
  EXPECT_EQ(PanicDescription(0x41), "out of memory (allocation too large)");
  EXPECT_EQ(PanicDescription(0x51), "call to a zero-initialized internal function");
  EXPECT_EQ(PanicDescription(0x99), "unknown panic code");
  EXPECT_EQ(PanicDescription(U256::Max()), "unknown panic code");
}

TEST(DecodeRevert, MatchesCustomErrorBySelector) {
  // cast calldata 'OwnableUnauthorizedAccount(address)' 0x5b38da6a701c568545dcfcb03fcb875f56beddc4
  const Bytes data = H("0x118cdaa70000000000000000000000005b38da6a701c568545dcfcb03fcb875f56beddc4");
  std::vector<std::string> errors{"InvalidOwner()", "error OwnableUnauthorizedAccount(address account)"};
  auto r = DecodeRevert(data, errors);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, RevertKind::kCustom);
  EXPECT_EQ(r->error_signature, "OwnableUnauthorizedAccount(address)");
  ASSERT_EQ(r->args.size(), 1u);
  EXPECT_EQ(r->Describe(), "OwnableUnauthorizedAccount(0x5B38Da6a701c568545dCfcB03FcB875f56beddC4)");
  EXPECT_EQ(r->raw, data);
}

TEST(DecodeRevert, ReportsUnknownAndEmptyData) {
  auto unknown = DecodeRevert(H("0xdeadbeef"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->kind, RevertKind::kUnknown);
  EXPECT_EQ(unknown->Describe(), "reverted with unknown data 0xdeadbeef");
  auto shorter = DecodeRevert(H("0x08c379"));
  EXPECT_EQ(shorter->kind, RevertKind::kUnknown);
  auto empty = DecodeRevert({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->kind, RevertKind::kEmpty);
  EXPECT_EQ(empty->Describe(), "reverted without data");
}

TEST(DecodeRevert, TreatsMalformedErrorBodyAsUnknown) {
  auto r = DecodeRevert(H("0x08c379a0" + Word("20") + Word("ff")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, RevertKind::kUnknown);
  auto p = DecodeRevert(H("0x4e487b71" + std::string(10, '0')));
  EXPECT_EQ(p->kind, RevertKind::kUnknown);
}

TEST(DecodeRevert, RejectsUnparsableCustomSignature) {
  std::vector<std::string> errors{"Broken(uint7)"};
  EXPECT_EQ(DecodeRevert(H("0xdeadbeef"), errors).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
