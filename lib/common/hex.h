// Strict hexadecimal conversion.
//
// Decoding rejects odd length and any character outside [0-9a-fA-F]; nothing is padded.
// The "0x"/"0X" prefix is governed by HexPrefix: kOptional accepts both forms, kRequired
// demands it, kForbidden rejects it. "" and "0x" decode to empty bytes.
//
//   ASSIGN_OR_RETURN(Bytes b, HexDecode("0xdeadbeef"));
//   ASSIGN_OR_RETURN(Hash32 h, ParseHash32(s, "compose_hash"));  // exactly 32 bytes or error
//   std::string s = HexEncode(b, /*prefix=*/true);                // "0xdeadbeef"
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms {

enum class HexPrefix { kOptional, kRequired, kForbidden };

// Decodes `hex`. Errors are INVALID_ARGUMENT and name `field` when given.
absl::StatusOr<Bytes> HexDecode(std::string_view hex, HexPrefix prefix = HexPrefix::kOptional,
                                std::string_view field = "hex");

// Decodes exactly N bytes (2N hex digits); shorter or longer input is INVALID_ARGUMENT.
template <size_t N>
absl::StatusOr<FixedBytes<N>> HexDecodeFixed(std::string_view hex, std::string_view field = "hex",
                                             HexPrefix prefix = HexPrefix::kOptional);

inline absl::StatusOr<Hash32> ParseHash32(std::string_view hex, std::string_view field = "hash") {
  return HexDecodeFixed<32>(hex, field);
}

// Lowercase hex of `b`, with "0x" when `prefix`.
std::string HexEncode(ByteView b, bool prefix = false);
inline std::string Hex0x(ByteView b) { return HexEncode(b, true); }

// True when `s` begins with "0x" or "0X".
inline bool HasHexPrefix(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// Value of one hex digit, or -1.
int HexDigitValue(char c);

}  // namespace chainkms
