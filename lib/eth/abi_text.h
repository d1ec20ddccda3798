// Text form of ABI values, byte-compatible with Foundry cast 1.7.1: parsing arguments the way
// `cast abi-encode`/`cast calldata` do, formatting the way `cast decode-abi`/`decode-calldata`/
// `decode-error` print (see cli/CAST_SPEC.md §4–5).
//
//   ASSIGN_OR_RETURN(AbiType t, ParseAbiType("(uint256,string[])"));
//   ASSIGN_OR_RETURN(AbiValue v, ParseAbiValueText(t, "(1ether, [a, \"b c\"])"));
//   FormatAbiValue(v);  // "(1000000000000000000 [1e18], [\"a\", \"b c\"])"
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "lib/common/u256.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_type.h"

namespace chainkms {

// Grammar of alloy's DynSolType::coerce_str: integers in decimal/0x/0b/0o, with ".5", "e3" and
// ether/gwei/nano/nanoether/wei units; intN with +/-; true/false; hex for address/bytes/bytesN
// (lowercase optional 0x; bytesN exact length; address checksum not checked); strings raw with
// trailing whitespace trimmed or in "…"/'…'; [a, b] arrays with optional trailing comma;
// (a, b) tuples. Errors are INVALID_ARGUMENT with cast's text: "parser error:\n<text>\n<caret>
// [\n<reason>]". Deliberate deviation: an intN below -2^(N-1) (cast 1.7.1 accepts int8 -129 and
// encodes it unwrapped) is rejected as "number too large to fit in target type".
absl::StatusOr<AbiValue> ParseAbiValueText(const AbiType& type, std::string_view text);
// One text argument per type; a count mismatch is
// "encode length mismatch: expected N types, got M".
absl::StatusOr<std::vector<AbiValue>> ParseAbiArgsText(std::span<const AbiType> types,
                                                       std::span<const std::string> args);

// cast's display form: uint/int in decimal with a " [1.234e8]" hint from 10000 up, EIP-55
// addresses, 0x-hex bytes, strings Rust-debug-quoted, "[a, b]" arrays, "(a, b)" tuples.
std::string FormatAbiValue(const AbiValue& v);
// One line per value, each ending in "\n" (cast decode-abi output).
std::string FormatAbiValues(std::span<const AbiValue> values);
// "1234567890 [1.234e9]"; "9999".
std::string FormatUintExp(const U256& v);
// Same for a two's complement 256-bit signed value: "-1234567890 [-1.234e9]".
std::string FormatIntExp(const U256& twos_complement);
// A string as Rust's {:?} prints it: quoted, escapes \" \\ \n \r \t \0 and \u{..} for other
// control characters; invalid UTF-8 becomes U+FFFD.
std::string RustDebugString(std::string_view s);

// cast --json form of decoded values: a JSON array; numbers that fit 64 bits as JSON numbers,
// larger ones as decimal strings; tuples as arrays; strings holding a JSON object as objects.
nlohmann::json AbiValuesToJson(std::span<const AbiValue> values);

}  // namespace chainkms
