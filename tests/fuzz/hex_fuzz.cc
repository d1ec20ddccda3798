// Hex decoding of arbitrary text: never crashes, and whatever decodes re-encodes to the same digits.
#include <cstdlib>
#include <string_view>

#include "absl/strings/ascii.h"
#include "lib/common/hex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = chainkms::HexDecode(text);
  if (!decoded.ok()) return 0;
  std::string digits(chainkms::HasHexPrefix(text) ? text.substr(2) : text);
  if (chainkms::HexEncode(*decoded) != absl::AsciiStrToLower(digits)) std::abort();
  return 0;
}
