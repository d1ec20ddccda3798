// Solidity ABI encoding and strict decoding of values, and call data (selector ‖ arguments).
//
//   ASSIGN_OR_RETURN(Bytes data, EncodeCall("addComposeHash(bytes32)", {AbiValue::FixedBytes(h)}));
//   ASSIGN_OR_RETURN(std::vector<AbiValue> out,
//                    AbiDecode({AbiType::Bool(), AbiType::String()}, return_data));
//   bool allowed = out[0].AsBool();
//
// Decoding is strict: truncated data, out-of-range offsets and lengths, uintN with bits above
// N, intN not sign-extended, bool other than 0/1, addresses with dirty upper bytes, and nonzero
// padding after bytesN, bytes or string are INVALID_ARGUMENT. The padding after bytes/string
// must be present and zero (the encoder always writes it; dirty padding means a broken or
// hostile encoder). Bytes after the last value the encoding reaches are ignored, as Solidity
// does. Work and memory are bounded by the input size (offsets that alias the same data many
// times are rejected) and nesting by kMaxAbiTypeDepth.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/eth/abi_type.h"

namespace chainkms {

// One ABI value. `kind`/`size` mirror AbiType (bits for ints, N for bytesN, k for T[k]); the
// element type of arrays is not stored, so encoding takes the types alongside the values.
struct AbiValue {
  AbiKind kind = AbiKind::kUint;
  size_t size = 0;
  // kUint: the value; kInt: two's complement over 256 bits (-1 is all ones, for any N);
  // kBool: 0 or 1.
  U256 number;
  chainkms::Address address;
  // kFixedBytes (exactly `size` bytes), kBytes, kString (UTF-8 as received, not validated).
  chainkms::Bytes bytes;
  // kArray, kFixedArray, kTuple.
  std::vector<AbiValue> items;

  static AbiValue Uint(const U256& v, size_t bits = 256);
  // `twos_complement` is the 256-bit two's complement of the signed value.
  static AbiValue Int(const U256& twos_complement, size_t bits = 256);
  static AbiValue Int64(int64_t v, size_t bits = 256);
  static AbiValue Bool(bool v);
  static AbiValue Address(const chainkms::Address& a);
  static AbiValue FixedBytes(ByteView b);  // bytesN with N = b.size()
  static AbiValue Bytes(ByteView b);
  static AbiValue String(std::string_view s);
  static AbiValue Array(std::vector<AbiValue> items);
  static AbiValue FixedArray(std::vector<AbiValue> items);
  static AbiValue Tuple(std::vector<AbiValue> items);

  bool AsBool() const { return !number.IsZero(); }
  std::string AsString() const { return std::string(bytes.begin(), bytes.end()); }
  // True for a kInt whose two's complement value is negative.
  bool IsNegative() const { return kind == AbiKind::kInt && number.Bit(255); }

  friend bool operator==(const AbiValue&, const AbiValue&) = default;
};

// Encodes `values` as the tuple `types` (the argument encoding of a call). The values must
// match the types: kind, ranges of uintN/intN, exact bytesN length, fixed array lengths.
absl::StatusOr<Bytes> AbiEncode(std::span<const AbiType> types, std::span<const AbiValue> values);
absl::StatusOr<std::vector<AbiValue>> AbiDecode(std::span<const AbiType> types, ByteView data);

// selector ‖ AbiEncode(inputs, values).
absl::StatusOr<Bytes> EncodeCall(std::string_view signature, std::span<const AbiValue> values);
absl::StatusOr<Bytes> EncodeCall(const AbiSignature& sig, std::span<const AbiValue> values);
// Checks the 4-byte selector against the signature, then decodes the inputs.
absl::StatusOr<std::vector<AbiValue>> DecodeCall(std::string_view signature, ByteView calldata);
absl::StatusOr<std::vector<AbiValue>> DecodeCall(const AbiSignature& sig, ByteView calldata);

// Decodes one 32-byte word as a value type (uint/int/address/bool/bytesN) with the strict
// checks above; used for event topics.
absl::StatusOr<AbiValue> DecodeWord(const AbiType& type, const Hash32& word);

}  // namespace chainkms
