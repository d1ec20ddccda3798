// decode-transaction as cast 1.7.1 does it (alloy's TxEnvelope::decode_2718), for types 0 to 4.
//
//   ASSIGN_OR_RETURN(Bytes raw, CastHexDecode(text));
//   ASSIGN_OR_RETURN(std::string out, CastDecodeTransaction(raw));  // cast's stdout, with "\n"
//
// Strict where alloy is: canonical RLP (lib's RlpDecode), integers without leading zeros and
// within their Rust widths (nonce, gas and chain id u64; fees u128; value, r and s U256), `to`,
// access-list and authorization addresses of 20 bytes, keys and blob hashes of 32, exact field
// counts, yParity 0/1, legacy v of 27, 28 or 35 + 2·chain_id + {0,1} with a u64 chain id.
// Lenient where alloy is: bytes after the first RLP item are ignored, r and s may be any 256-bit
// value, fees and gas are not compared, and `signer` is left out when the signature does not
// recover (zero or out-of-range r/s, high s). lib's DecodeTransaction is the validating decoder.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms::cli {

// cast's stdout for `raw`: the pretty JSON object, written again as one JSON string literal.
// INVALID_ARGUMENT (naming the field) for anything cast refuses.
absl::StatusOr<std::string> CastDecodeTransaction(ByteView raw);

}  // namespace chainkms::cli
