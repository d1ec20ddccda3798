// ethereum-tests RLPTests: every valid case must encode to `out` and survive decode + re-encode;
// every invalid case must be rejected by the strict decoder.
#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/eth/rlp.h"
#include "tests/vectors/vectors.h"

namespace chainkms {
namespace {

// Arbitrary-size decimal to minimal big-endian bytes (one vector is 2^256, beyond U256).
absl::StatusOr<Bytes> DecimalToBigEndian(const std::string& dec) {
  Bytes be;  // little-endian while accumulating
  for (char ch : dec) {
    if (ch < '0' || ch > '9') return absl::InvalidArgumentError("bad decimal");
    unsigned carry = static_cast<unsigned>(ch - '0');
    for (uint8_t& b : be) {
      const unsigned v = b * 10u + carry;
      b = static_cast<uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    if (carry != 0) be.push_back(static_cast<uint8_t>(carry));
  }
  return Bytes(be.rbegin(), be.rend());
}

// `in` is a JSON string ("#<decimal>" marks a big integer), an integer or a nested array.
absl::StatusOr<RlpItem> ItemFromJson(const nlohmann::json& in) {
  if (in.is_array()) {
    std::vector<RlpItem> items;
    for (const auto& e : in) {
      auto item = ItemFromJson(e);
      if (!item.ok()) return item.status();
      items.push_back(*std::move(item));
    }
    return RlpItem::List(std::move(items));
  }
  if (in.is_number_unsigned()) return RlpItem::String(U256(in.get<uint64_t>()).ToMinimalBigEndian());
  if (in.is_string()) {
    const std::string s = in.get<std::string>();
    if (!s.empty() && s[0] == '#') {
      auto v = DecimalToBigEndian(s.substr(1));
      if (!v.ok()) return v.status();
      return RlpItem::String(*v);
    }
    return RlpItem::String(AsBytes(s));
  }
  return absl::InvalidArgumentError("unsupported `in` value");
}

TEST(RlpVectorsTest, ValidCasesEncodeAndRoundTrip) {
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/RLPTests/rlptest.json");
  ASSERT_FALSE(j.empty());
  for (const auto& [name, c] : j.items()) {
    SCOPED_TRACE(name);
    bool ok = false;
    auto item = ItemFromJson(c.at("in"));
    auto want = HexDecode(c.at("out").get<std::string>());
    if (item.ok() && want.ok()) {
      const Bytes got = RlpEncode(*item);
      auto back = RlpDecode(*want);
      ok = got == *want && back.ok() && RlpEncode(*back) == *want;
      EXPECT_EQ(HexEncode(got), HexEncode(*want));
      EXPECT_TRUE(back.ok()) << back.status();
    }
    EXPECT_TRUE(ok);
    vectors::CountVectorCase("RLPTests/rlptest", ok);
  }
}

TEST(RlpVectorsTest, InvalidCasesAreRejected) {
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/RLPTests/invalidRLPTest.json");
  ASSERT_FALSE(j.empty());
  for (const auto& [name, c] : j.items()) {
    SCOPED_TRACE(name);
    auto raw = HexDecode(c.at("out").get<std::string>());
    bool ok = !raw.ok() || RlpDecode(*raw).status().code() == absl::StatusCode::kInvalidArgument;
    EXPECT_TRUE(ok);
    vectors::CountVectorCase("RLPTests/invalidRLPTest", ok);
  }
}

}  // namespace
}  // namespace chainkms
