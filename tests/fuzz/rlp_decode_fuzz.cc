// Strict RLP decoding of arbitrary bytes: never crashes, and anything accepted is canonical, so
// re-encoding gives back exactly the input.
#include <cstdlib>

#include "lib/eth/rlp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  chainkms::ByteView in(data, size);
  auto item = chainkms::RlpDecode(in);
  if (!item.ok()) return 0;
  chainkms::Bytes again = chainkms::RlpEncode(*item);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  return 0;
}
