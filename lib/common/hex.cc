#include "lib/common/hex.h"

#include "absl/strings/str_cat.h"

namespace chainkms {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<Bytes> HexDecode(std::string_view hex, HexPrefix prefix, std::string_view field) {
  const bool has_prefix = HasHexPrefix(hex);
  if (prefix == HexPrefix::kRequired && !has_prefix) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": hex must start with 0x"));
  }
  if (prefix == HexPrefix::kForbidden && has_prefix) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": hex must not start with 0x"));
  }
  if (has_prefix) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": odd number of hex digits (", hex.size(), ")"));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      const size_t bad = hi < 0 ? 2 * i : 2 * i + 1;
      return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": invalid hex character at position ",
                                                     bad + (has_prefix ? 2 : 0)));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

template <size_t N>
absl::StatusOr<FixedBytes<N>> HexDecodeFixed(std::string_view hex, std::string_view field,
                                             HexPrefix prefix) {
  auto b = HexDecode(hex, prefix, field);
  if (!b.ok()) return b.status();
  if (b->size() != N) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": expected ", N, " bytes, got ", b->size()));
  }
  return *FixedBytes<N>::TryFrom(*b);
}

template absl::StatusOr<FixedBytes<20>> HexDecodeFixed<20>(std::string_view, std::string_view,
                                                           HexPrefix);
template absl::StatusOr<FixedBytes<32>> HexDecodeFixed<32>(std::string_view, std::string_view,
                                                           HexPrefix);
template absl::StatusOr<FixedBytes<65>> HexDecodeFixed<65>(std::string_view, std::string_view,
                                                           HexPrefix);
template absl::StatusOr<FixedBytes<33>> HexDecodeFixed<33>(std::string_view, std::string_view,
                                                           HexPrefix);
template absl::StatusOr<FixedBytes<64>> HexDecodeFixed<64>(std::string_view, std::string_view,
                                                           HexPrefix);

std::string HexEncode(ByteView b, bool prefix) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(b.size() * 2 + (prefix ? 2 : 0));
  size_t o = 0;
  if (prefix) {
    out[o++] = '0';
    out[o++] = 'x';
  }
  for (uint8_t c : b) {
    out[o++] = kDigits[c >> 4];
    out[o++] = kDigits[c & 0xf];
  }
  return out;
}

}  // namespace chainkms
