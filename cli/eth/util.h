// Small cast-compatible helpers shared by the chainkms-eth subcommands: hex and address parsing
// with alloy's rules and wording, number parsing with units, and stdin fallbacks.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"

namespace chainkms::cli {

// Hex with an optional lowercase "0x" (an uppercase "0X" is not a prefix, as in alloy's hex).
// Errors: "odd number of digits", "invalid character 'z' at position N" (N after the prefix).
absl::StatusOr<Bytes> CastHexDecode(std::string_view s);

// A 20-byte address, "0x" optional, any letter case, no EIP-55 check (cast does not check).
// Errors are checked in alloy's order: odd length, then length, then characters.
absl::StatusOr<Address> CastParseAddress(std::string_view s);

// An unsigned number as cast's value parser reads it: decimal, 0x/0b/0o, scientific ("1.5e3"),
// units ("1ether", "2.5 gwei"). `bits` bounds the result (256 for U256).
absl::StatusOr<U256> ParseCastUint(std::string_view s, int bits = 256);

// A decimal (or 0x-hex) u64 such as a nonce or gas limit.
absl::StatusOr<uint64_t> ParseU64(std::string_view s, std::string_view field, bool allow_hex);

// The length (header + payload) of the first RLP item in `in`, so trailing bytes can be ignored
// as cast does. Errors: "input too short", "overflow".
absl::StatusOr<size_t> RlpFirstItemLength(ByteView in);

// All of stdin, raw.
std::string ReadStdinAll();
// The first line of stdin without its "\n" / "\r\n" (cast's unwrap_line).
std::string ReadStdinFirstLine();

// A U256 as Rust's Display plus cast's " [1.234e8]" annotation when it is 10000 or more.
std::string FormatUintWithExp(const U256& v, bool negative);

}  // namespace chainkms::cli
