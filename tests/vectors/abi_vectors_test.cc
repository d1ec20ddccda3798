// ethereum-tests ABITests/basic_abi_tests.json: each case gives Solidity types, JSON arguments
// and the expected encoding (bare hex). Strings for bytes/bytesN are the raw ASCII bytes, as in
// the Solidity wiki example the file comes from. Each case must encode byte for byte and decode
// back to the same values.
#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "lib/common/hex.h"
#include "lib/eth/abi.h"
#include "lib/eth/address.h"
#include "tests/vectors/vectors.h"

namespace chainkms {
namespace {

absl::StatusOr<AbiValue> FromJson(const AbiType& t, const nlohmann::json& j) {
  switch (t.kind) {
    case AbiKind::kUint:
      return AbiValue::Uint(U256(j.get<uint64_t>()), t.size);
    case AbiKind::kInt:
      return AbiValue::Int64(j.get<int64_t>(), t.size);
    case AbiKind::kBool:
      return AbiValue::Bool(j.get<bool>());
    case AbiKind::kAddress: {
      auto a = ParseAddress(j.get<std::string>());
      if (!a.ok()) return a.status();
      return AbiValue::Address(*a);
    }
    case AbiKind::kFixedBytes:
    case AbiKind::kBytes:
    case AbiKind::kString: {
      const std::string s = j.get<std::string>();
      if (t.kind == AbiKind::kString) return AbiValue::String(s);
      return t.kind == AbiKind::kBytes ? AbiValue::Bytes(AsBytes(s)) : AbiValue::FixedBytes(AsBytes(s));
    }
    default: {
      std::vector<AbiValue> items;
      for (size_t i = 0; i < j.size(); ++i) {
        const AbiType& et = t.kind == AbiKind::kTuple ? t.components[i] : t.components[0];
        auto v = FromJson(et, j[i]);
        if (!v.ok()) return v.status();
        items.push_back(std::move(*v));
      }
      if (t.kind == AbiKind::kTuple) return AbiValue::Tuple(std::move(items));
      if (t.kind == AbiKind::kFixedArray) return AbiValue::FixedArray(std::move(items));
      return AbiValue::Array(std::move(items));
    }
  }
}

TEST(AbiVectorsTest, BasicAbiTestsEncodeAndDecodeByteForByte) {
  const nlohmann::json j = vectors::LoadVectorJson("ethereum-tests/ABITests/basic_abi_tests.json");
  ASSERT_FALSE(j.empty());
  for (const auto& [name, c] : j.items()) {
    SCOPED_TRACE(name);
    std::vector<AbiType> types;
    std::vector<AbiValue> values;
    bool parsed = true;
    for (size_t i = 0; i < c.at("types").size(); ++i) {
      auto t = ParseAbiType(c["types"][i].get<std::string>());
      auto v = t.ok() ? FromJson(*t, c.at("args")[i]) : t.status();
      parsed = parsed && t.ok() && v.ok();
      if (!parsed) break;
      types.push_back(*t);
      values.push_back(*v);
    }
    const std::string want = c.at("result").get<std::string>();
    auto enc = parsed ? AbiEncode(types, values) : absl::StatusOr<Bytes>(absl::UnknownError(""));
    auto dec = parsed ? AbiDecode(types, *HexDecode(want))
                      : absl::StatusOr<std::vector<AbiValue>>(absl::UnknownError(""));
    const bool passed = enc.ok() && HexEncode(*enc) == want && dec.ok() && *dec == values;
    EXPECT_TRUE(passed) << (enc.ok() ? HexEncode(*enc) : enc.status().ToString());
    vectors::CountVectorCase("ABITests", passed);
  }
}

}  // namespace
}  // namespace chainkms
