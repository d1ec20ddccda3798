// ABI decoding of arbitrary bytes against a few type lists chosen by the first byte: never
// crashes or over-allocates; whatever decodes re-encodes and decodes to the same values.
#include <array>
#include <cstdlib>

#include "lib/eth/abi.h"

namespace {

const std::vector<std::vector<chainkms::AbiType>>& TypeLists() {
  static const auto* lists = [] {
    auto* out = new std::vector<std::vector<chainkms::AbiType>>();
    for (const char* sig : {
             "f((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))",
             "f(uint8,int16,bool,address,bytes4)", "f(bytes,string,uint256[])",
             "f(uint256[2][],(bool,string)[3])", "f(string[][],bytes[2])",
             "f((uint256,(bytes,address[])[])[])", "f(int256[],bytes32[4])"}) {
      const auto parsed = chainkms::ParseSignature(sig);
      if (!parsed.ok()) std::abort();
      out->push_back(parsed->InputTypes());
    }
    return out;
  }();
  return *lists;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& types = TypeLists()[data[0] % TypeLists().size()];
  auto values = chainkms::AbiDecode(types, chainkms::ByteView(data + 1, size - 1));
  if (!values.ok()) return 0;
  auto again = chainkms::AbiEncode(types, *values);
  if (!again.ok()) std::abort();
  auto round = chainkms::AbiDecode(types, *again);
  if (!round.ok() || *round != *values) std::abort();
  return 0;
}
