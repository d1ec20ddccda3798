// ABI decoding the way cast's decode-abi / decode-calldata / decode-error read data: lenient
// (alloy with validation off). Trailing bytes are ignored, dirty high bytes of uint8/address/bool
// words are kept or ignored as cast does (uint8 word 0x1ff prints 511, bool word 2 is true).
// lib/eth's AbiDecode is strict on purpose, so this lives beside the CLI.
#pragma once

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_type.h"

namespace chainkms::cli {

// Errors: "ABI decoding failed: buffer overrun while deserializing".
absl::StatusOr<std::vector<AbiValue>> LenientAbiDecode(std::span<const AbiType> types, ByteView data);

// Solidity's abi.encodePacked (cast abi-encode --packed).
absl::StatusOr<Bytes> AbiEncodePacked(std::span<const AbiType> types, std::span<const AbiValue> values);

}  // namespace chainkms::cli
