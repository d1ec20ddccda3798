#include "lib/eth/rlp.h"

#include <gtest/gtest.h>

#include <string>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }

absl::StatusCode DecodeCode(std::string_view hex) { return RlpDecode(H(hex)).status().code(); }

TEST(RlpEncodeTest, EncodesSingleBytesBelow0x80AsThemselves) {
  EXPECT_EQ(RlpEncodeBytes(H("00")), H("00"));
  EXPECT_EQ(RlpEncodeBytes(H("7f")), H("7f"));
  EXPECT_EQ(RlpEncodeBytes(H("80")), H("8180"));
}

TEST(RlpEncodeTest, EncodesShortAndLongStrings) {
  EXPECT_EQ(RlpEncodeBytes({}), H("80"));
  EXPECT_EQ(RlpEncodeBytes(AsBytes("dog")), H("83646f67"));
  Bytes s55(55, 0xaa);
  EXPECT_EQ(RlpEncodeBytes(s55)[0], 0xb7);
  Bytes s56(56, 0xaa);
  Bytes e56 = RlpEncodeBytes(s56);
  EXPECT_EQ(e56[0], 0xb8);
  EXPECT_EQ(e56[1], 56);
  EXPECT_EQ(e56.size(), 58u);
  Bytes s1024(1024, 0x01);
  Bytes e1024 = RlpEncodeBytes(s1024);
  EXPECT_EQ(Bytes(e1024.begin(), e1024.begin() + 3), H("b90400"));
}

TEST(RlpEncodeTest, EncodesIntegersMinimally) {
  EXPECT_EQ(RlpEncodeU64(0), H("80"));
  EXPECT_EQ(RlpEncodeU64(1), H("01"));
  EXPECT_EQ(RlpEncodeU64(127), H("7f"));
  EXPECT_EQ(RlpEncodeU64(128), H("8180"));
  EXPECT_EQ(RlpEncodeU64(1000), H("8203e8"));
  EXPECT_EQ(RlpEncodeU64(UINT64_MAX), H("88ffffffffffffffff"));
  EXPECT_EQ(RlpEncodeU256(U256(0)), H("80"));
  EXPECT_EQ(RlpEncodeU256(U256(0x400)), H("820400"));
  EXPECT_EQ(RlpEncodeU256(U256::Max()),
            H("a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
  EXPECT_EQ(RlpEncodeU256(U256(1) << 64), H("89010000000000000000"));
}

TEST(RlpEncodeTest, EncodesNestedListsFromTreeAndFromParts) {
  // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
  RlpItem empty = RlpItem::List({});
  RlpItem one = RlpItem::List({empty});
  RlpItem three = RlpItem::List({empty, one, RlpItem::List({empty, one})});
  EXPECT_EQ(RlpEncode(three), H("c7c0c1c0c3c0c1c0"));
  EXPECT_EQ(RlpEncodeList({RlpEncodeBytes(AsBytes("cat")), RlpEncodeBytes(AsBytes("dog"))}),
            H("c88363617483646f67"));
  EXPECT_EQ(RlpEncodeList({}), H("c0"));
}

TEST(RlpEncoderTest, StreamingEncoderMatchesTreeEncoding) {
  RlpEncoder e;
  e.BeginList();
  e.AddString("cat");
  e.BeginList();
  e.AddU64(1024);
  e.AddU256(U256(0));
  e.EndList();
  e.AddRaw(H("c0"));
  e.AddBytes(Bytes(60, 0x11));
  e.EndList();
  Bytes got = std::move(e).Finish();
  RlpItem tree = RlpItem::List({RlpItem::String(AsBytes("cat")),
                                RlpItem::List({RlpItem::String(H("0400")), RlpItem()}),
                                RlpItem::List({}), RlpItem::String(Bytes(60, 0x11))});
  EXPECT_EQ(got, RlpEncode(tree));
  EXPECT_EQ(got[0], 0xf8);  // payload over 55 bytes: long-form list header
}

TEST(RlpDecodeTest, DecodesStringsAndLists) {
  auto item = RlpDecode(H("c88363617483646f67"));
  ASSERT_TRUE(item.ok()) << item.status();
  ASSERT_TRUE(item->is_list());
  ASSERT_EQ(item->items().size(), 2u);
  EXPECT_EQ(item->items()[1].bytes(), Bytes(AsBytes("dog").begin(), AsBytes("dog").end()));
  auto single = RlpDecode(H("05"));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->bytes(), H("05"));
  EXPECT_FALSE(single->is_list());
}

TEST(RlpDecodeTest, RoundTripsLongPayloads) {
  RlpItem big = RlpItem::List({RlpItem::String(Bytes(70000, 0x42)), RlpItem::String(Bytes{})});
  auto back = RlpDecode(RlpEncode(big));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, big);
}

TEST(RlpDecodeTest, RejectsEmptyInput) { EXPECT_EQ(DecodeCode(""), absl::StatusCode::kInvalidArgument); }

TEST(RlpDecodeTest, RejectsTrailingBytes) {
  EXPECT_EQ(DecodeCode("0505"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode("c000"), absl::StatusCode::kInvalidArgument);
}

TEST(RlpDecodeTest, RejectsNonCanonicalSingleByte) {
  auto s = RlpDecode(H("8105"));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("non-canonical single byte"), std::string::npos);
}

TEST(RlpDecodeTest, RejectsLongFormForShortPayload) {
  EXPECT_EQ(DecodeCode("b801ff"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode("f803112233"), absl::StatusCode::kInvalidArgument);
}

TEST(RlpDecodeTest, RejectsLengthWithLeadingZero) {
  EXPECT_EQ(DecodeCode("b900400102"), absl::StatusCode::kInvalidArgument);
}

TEST(RlpDecodeTest, RejectsTruncatedInput) {
  EXPECT_EQ(DecodeCode("83646f"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode("b8"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCode("bfffffffffffffffff00"), absl::StatusCode::kInvalidArgument);
}

TEST(RlpDecodeTest, RejectsListWhosePayloadDoesNotSplitIntoItems) {
  // The list says 2 bytes of payload but its only item claims 3.
  EXPECT_EQ(DecodeCode("c2836400"), absl::StatusCode::kInvalidArgument);
}

TEST(RlpDecodeTest, RejectsNestingBeyondTheLimit) {
  Bytes enc = {0xc0};
  for (int i = 0; i < kRlpMaxDepth + 5; ++i) {
    RlpEncoder e;
    e.BeginList();
    e.AddRaw(enc);
    e.EndList();
    enc = std::move(e).Finish();
  }
  EXPECT_EQ(RlpDecode(enc).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes shallow = {0xc0};
  for (int i = 0; i < 100; ++i) {
    RlpEncoder e;
    e.BeginList();
    e.AddRaw(shallow);
    e.EndList();
    shallow = std::move(e).Finish();
  }
  EXPECT_TRUE(RlpDecode(shallow).ok());
}

TEST(RlpItemTest, ReadsCanonicalIntegers) {
  EXPECT_EQ(RlpItem().AsU64().value(), 0u);
  EXPECT_EQ(RlpItem::String(H("0400")).AsU64().value(), 1024u);
  EXPECT_EQ(RlpItem::String(Bytes(32, 0xff)).AsU256().value(), U256::Max());
}

TEST(RlpItemTest, RejectsIntegerWithLeadingZero) {
  auto s = RlpItem::String(H("0001")).AsU256("nonce");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("nonce"), std::string::npos);
  EXPECT_EQ(RlpItem::String(H("00")).AsU64().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RlpItemTest, RejectsIntegerLongerThan32Bytes) {
  EXPECT_EQ(RlpItem::String(Bytes(33, 0x01)).AsU256().status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RlpItemTest, RejectsU64Overflow) {
  EXPECT_EQ(RlpItem::String(H("010000000000000000")).AsU64().status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RlpItem::String(H("ffffffffffffffff")).AsU64().value(), UINT64_MAX);
}

TEST(RlpItemTest, RejectsListAsInteger) {
  EXPECT_EQ(RlpItem::List({}).AsU64().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainkms
