// U256: an unsigned 256-bit integer with checked arithmetic, for wei amounts, gas, nonces and
// ABI uint256 values.
//
//   ASSIGN_OR_RETURN(U256 fee, U256::FromDecimal("20000000000"));
//   std::optional<U256> total = fee.CheckedMul(U256(21000));  // nullopt on overflow
//   std::string s = total->ToDecimal();
//   Hash32 word = total->ToBigEndian();                          // ABI word
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms {

class U256 {
 public:
  constexpr U256() = default;
  constexpr U256(uint64_t v) : limbs_{v, 0, 0, 0} {}  // NOLINT(google-explicit-constructor)

  static U256 Max();

  // Big-endian bytes, at most 32 (leading zeros allowed; the value is what matters).
  static absl::StatusOr<U256> FromBigEndian(ByteView b);
  // Decimal digits only, no sign, no leading '+'; overflow is INVALID_ARGUMENT.
  static absl::StatusOr<U256> FromDecimal(std::string_view s);
  // "0x"-prefixed or bare hex digits (at most 64); odd length is allowed for quantities.
  static absl::StatusOr<U256> FromHex(std::string_view s);

  Hash32 ToBigEndian() const;
  // Minimal big-endian bytes (empty for zero), as RLP encodes integers.
  Bytes ToMinimalBigEndian() const;
  std::string ToDecimal() const;
  // "0x"-prefixed minimal hex ("0x0" for zero), as JSON-RPC quantities are written.
  std::string ToHexQuantity() const;

  bool IsZero() const { return (limbs_[0] | limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  // Number of significant bits (0 for zero).
  int BitLength() const;
  // The value when it fits in 64 bits.
  std::optional<uint64_t> ToU64() const;
  uint64_t low64() const { return limbs_[0]; }
  bool Bit(int i) const { return (limbs_[i / 64] >> (i % 64)) & 1; }

  std::optional<U256> CheckedAdd(const U256& o) const;
  std::optional<U256> CheckedSub(const U256& o) const;
  std::optional<U256> CheckedMul(const U256& o) const;
  // nullopt when dividing by zero.
  std::optional<U256> CheckedDiv(const U256& o) const;
  std::optional<U256> CheckedMod(const U256& o) const;

  // Modular (wrapping) arithmetic, for two's-complement work such as ABI intN.
  U256 WrappingAdd(const U256& o) const;
  U256 WrappingSub(const U256& o) const;
  U256 operator~() const;
  U256 operator<<(int n) const;
  U256 operator>>(int n) const;
  U256 operator&(const U256& o) const;
  U256 operator|(const U256& o) const;

  friend bool operator==(const U256&, const U256&) = default;
  friend std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i) {
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] <=> b.limbs_[i];
    }
    return std::strong_ordering::equal;
  }

  // Divides by a small non-zero divisor, returning the remainder (used for decimal output).
  // A zero divisor is a programming error and aborts.
  uint64_t DivModSmall(uint64_t divisor, U256* quotient) const;

 private:
  std::array<uint64_t, 4> limbs_{};  // little-endian limbs
};

}  // namespace chainkms
