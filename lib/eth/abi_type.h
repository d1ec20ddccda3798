// Solidity ABI types and human-readable signatures: parsing, canonical form, selectors and
// event topics.
//
//   ASSIGN_OR_RETURN(AbiSignature f, ParseSignature("transfer(address to, uint amount)"));
//   f.Canonical();                       // "transfer(address,uint256)"
//   FunctionSelector s = SelectorOf(f);  // a9059cbb
//   ASSIGN_OR_RETURN(Hash32 t, EventTopic("Transfer(address indexed,address indexed,uint256)"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms {

using FunctionSelector = FixedBytes<4>;

enum class AbiKind {
  kUint,
  kInt,
  kAddress,
  kBool,
  kFixedBytes,
  kBytes,
  kString,
  kArray,       // T[]
  kFixedArray,  // T[k]
  kTuple,
};

struct AbiType {
  AbiKind kind = AbiKind::kUint;
  // Bits for kUint/kInt, bytes for kFixedBytes, element count for kFixedArray, else 0.
  size_t size = 0;
  // The element type for arrays (exactly one), the members for tuples.
  std::vector<AbiType> components;

  static AbiType Uint(size_t bits = 256) { return {AbiKind::kUint, bits, {}}; }
  static AbiType Int(size_t bits = 256) { return {AbiKind::kInt, bits, {}}; }
  static AbiType Address() { return {AbiKind::kAddress, 0, {}}; }
  static AbiType Bool() { return {AbiKind::kBool, 0, {}}; }
  static AbiType FixedBytes(size_t n) { return {AbiKind::kFixedBytes, n, {}}; }
  static AbiType Bytes() { return {AbiKind::kBytes, 0, {}}; }
  static AbiType String() { return {AbiKind::kString, 0, {}}; }
  static AbiType Array(AbiType element) { return {AbiKind::kArray, 0, {std::move(element)}}; }
  static AbiType FixedArray(AbiType element, size_t n) {
    return {AbiKind::kFixedArray, n, {std::move(element)}};
  }
  static AbiType Tuple(std::vector<AbiType> members) {
    return {AbiKind::kTuple, 0, std::move(members)};
  }

  // "uint256", "(bool,string)[2]": the form hashed into selectors.
  std::string Canonical() const;
  // Dynamic types are encoded out of line behind a 32-byte offset.
  bool IsDynamic() const;
  // Bytes the type occupies in the head of its enclosing tuple (32 for dynamic types).
  size_t HeadSize() const;
  // uint, int, address, bool and bytesN: the types an event topic holds directly.
  bool IsValueType() const;

  friend bool operator==(const AbiType&, const AbiType&) = default;
};

// Limits that keep parsing and decoding bounded whatever the input.
inline constexpr size_t kMaxAbiTypeDepth = 32;
inline constexpr size_t kMaxFixedArrayLength = 1 << 20;

// Parses one type such as "uint", "bytes32[]", "(address,string[])[2]" or
// "tuple(uint256,bool)". Rejects T[0], empty tuples, unknown names and sizes like uint7.
absl::StatusOr<AbiType> ParseAbiType(std::string_view text);

struct AbiParam {
  AbiType type;
  std::string name;  // empty when the signature gives none
  bool indexed = false;
};

struct AbiSignature {
  std::string name;
  std::vector<AbiParam> inputs;
  std::vector<AbiParam> outputs;  // from "f(a)(b)" or "f(a) returns (b)"

  // "name(t1,t2)" over the inputs, canonical types, no names.
  std::string Canonical() const;
  std::vector<AbiType> InputTypes() const;
  std::vector<AbiType> OutputTypes() const;
};

// Parses "name(type [indexed|memory|calldata|storage] [name], ...)" with an optional leading
// "function "/"event "/"error " keyword, an optional output list ("(…)", ": (…)" or
// "returns (…)") and an optional trailing "anonymous". Surrounding whitespace is rejected,
// as cast does.
absl::StatusOr<AbiSignature> ParseSignature(std::string_view text);

// keccak256(canonical)[0:4].
FunctionSelector SelectorOf(const AbiSignature& sig);
absl::StatusOr<FunctionSelector> Selector(std::string_view signature);
// keccak256(canonical), the topic0 of a non-anonymous event.
Hash32 EventTopicOf(const AbiSignature& sig);
absl::StatusOr<Hash32> EventTopic(std::string_view signature);

}  // namespace chainkms
