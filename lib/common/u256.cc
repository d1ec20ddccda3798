#include "lib/common/u256.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"

namespace chainkms {

using u128 = unsigned __int128;

U256 U256::Max() { return ~U256(0); }

absl::StatusOr<U256> U256::FromBigEndian(ByteView b) {
  if (b.size() > 32) {
    return absl::InvalidArgumentError(absl::StrCat("integer of ", b.size(), " bytes exceeds 256 bits"));
  }
  U256 v;
  for (size_t i = 0; i < b.size(); ++i) {
    const size_t bit_byte = b.size() - 1 - i;  // byte index from the least significant end
    v.limbs_[bit_byte / 8] |= static_cast<uint64_t>(b[i]) << (8 * (bit_byte % 8));
  }
  return v;
}

absl::StatusOr<U256> U256::FromDecimal(std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError("empty decimal integer");
  U256 v;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(absl::StrCat("invalid decimal digit '", std::string(1, c), "'"));
    }
    auto m = v.CheckedMul(U256(10));
    if (!m) return absl::InvalidArgumentError("decimal integer exceeds 256 bits");
    auto a = m->CheckedAdd(U256(static_cast<uint64_t>(c - '0')));
    if (!a) return absl::InvalidArgumentError("decimal integer exceeds 256 bits");
    v = *a;
  }
  return v;
}

absl::StatusOr<U256> U256::FromHex(std::string_view s) {
  if (HasHexPrefix(s)) s.remove_prefix(2);
  if (s.empty()) return absl::InvalidArgumentError("empty hex integer");
  size_t first = s.find_first_not_of('0');
  if (first == std::string_view::npos) return U256();
  s.remove_prefix(first);
  if (s.size() > 64) return absl::InvalidArgumentError("hex integer exceeds 256 bits");
  U256 v;
  for (size_t i = 0; i < s.size(); ++i) {
    const int d = HexDigitValue(s[s.size() - 1 - i]);
    if (d < 0) return absl::InvalidArgumentError("invalid hex digit");
    v.limbs_[i / 16] |= static_cast<uint64_t>(d) << (4 * (i % 16));
  }
  return v;
}

Hash32 U256::ToBigEndian() const {
  Hash32 out;
  for (int i = 0; i < 32; ++i) {
    out[31 - i] = static_cast<uint8_t>(limbs_[i / 8] >> (8 * (i % 8)));
  }
  return out;
}

Bytes U256::ToMinimalBigEndian() const {
  Hash32 full = ToBigEndian();
  auto it = std::find_if(full.begin(), full.end(), [](uint8_t c) { return c != 0; });
  return Bytes(it, full.end());
}

uint64_t U256::DivModSmall(uint64_t divisor, U256* quotient) const {
  if (divisor == 0) std::abort();
  U256 q;
  u128 rem = 0;
  for (int i = 3; i >= 0; --i) {
    u128 cur = (rem << 64) | limbs_[i];
    q.limbs_[i] = static_cast<uint64_t>(cur / divisor);
    rem = cur % divisor;
  }
  if (quotient) *quotient = q;
  return static_cast<uint64_t>(rem);
}

std::string U256::ToDecimal() const {
  if (IsZero()) return "0";
  std::string out;
  U256 v = *this;
  while (!v.IsZero()) {
    // Peel 19 digits at a time.
    uint64_t r = v.DivModSmall(10000000000000000000ULL, &v);
    for (int i = 0; i < 19; ++i) {
      out.push_back(static_cast<char>('0' + r % 10));
      r /= 10;
      if (v.IsZero() && r == 0) break;
    }
  }
  while (out.size() > 1 && out.back() == '0') out.pop_back();
  std::reverse(out.begin(), out.end());
  return out;
}

std::string U256::ToHexQuantity() const {
  if (IsZero()) return "0x0";
  std::string h = HexEncode(ToMinimalBigEndian());
  if (h[0] == '0') h.erase(0, 1);
  return "0x" + h;
}

int U256::BitLength() const {
  for (int i = 3; i >= 0; --i) {
    if (limbs_[i] != 0) return i * 64 + 64 - __builtin_clzll(limbs_[i]);
  }
  return 0;
}

std::optional<uint64_t> U256::ToU64() const {
  if (limbs_[1] | limbs_[2] | limbs_[3]) return std::nullopt;
  return limbs_[0];
}

U256 U256::WrappingAdd(const U256& o) const {
  U256 r;
  u128 carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 s = static_cast<u128>(limbs_[i]) + o.limbs_[i] + carry;
    r.limbs_[i] = static_cast<uint64_t>(s);
    carry = s >> 64;
  }
  return r;
}

U256 U256::WrappingSub(const U256& o) const { return WrappingAdd((~o).WrappingAdd(U256(1))); }

std::optional<U256> U256::CheckedAdd(const U256& o) const {
  U256 r = WrappingAdd(o);
  if (r < *this) return std::nullopt;
  return r;
}

std::optional<U256> U256::CheckedSub(const U256& o) const {
  if (o > *this) return std::nullopt;
  return WrappingSub(o);
}

std::optional<U256> U256::CheckedMul(const U256& o) const {
  std::array<uint64_t, 8> wide{};
  for (int i = 0; i < 4; ++i) {
    u128 carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 cur = static_cast<u128>(limbs_[i]) * o.limbs_[j] + wide[i + j] + carry;
      wide[i + j] = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
    wide[i + 4] = static_cast<uint64_t>(carry);
  }
  if (wide[4] | wide[5] | wide[6] | wide[7]) return std::nullopt;
  U256 r;
  for (int i = 0; i < 4; ++i) r.limbs_[i] = wide[i];
  return r;
}

std::optional<U256> U256::CheckedDiv(const U256& o) const {
  if (o.IsZero()) return std::nullopt;
  if (auto small = o.ToU64(); small) {
    U256 q;
    DivModSmall(*small, &q);
    return q;
  }
  // Shift-subtract long division; divisors above 64 bits are rare here.
  U256 q, r;
  for (int i = BitLength() - 1; i >= 0; --i) {
    r = r << 1;
    if (Bit(i)) r.limbs_[0] |= 1;
    if (r >= o) {
      r = r.WrappingSub(o);
      q.limbs_[i / 64] |= 1ULL << (i % 64);
    }
  }
  return q;
}

std::optional<U256> U256::CheckedMod(const U256& o) const {
  auto q = CheckedDiv(o);
  if (!q) return std::nullopt;
  return WrappingSub(*q->CheckedMul(o));
}

U256 U256::operator~() const {
  U256 r;
  for (int i = 0; i < 4; ++i) r.limbs_[i] = ~limbs_[i];
  return r;
}

U256 U256::operator<<(int n) const {
  if (n <= 0) return *this;
  if (n >= 256) return U256();
  U256 r;
  const int limb = n / 64, bits = n % 64;
  for (int i = 3; i >= limb; --i) {
    uint64_t v = limbs_[i - limb] << bits;
    if (bits && i - limb - 1 >= 0) v |= limbs_[i - limb - 1] >> (64 - bits);
    r.limbs_[i] = v;
  }
  return r;
}

U256 U256::operator>>(int n) const {
  if (n <= 0) return *this;
  if (n >= 256) return U256();
  U256 r;
  const int limb = n / 64, bits = n % 64;
  for (int i = 0; i + limb < 4; ++i) {
    uint64_t v = limbs_[i + limb] >> bits;
    if (bits && i + limb + 1 < 4) v |= limbs_[i + limb + 1] << (64 - bits);
    r.limbs_[i] = v;
  }
  return r;
}

U256 U256::operator&(const U256& o) const {
  U256 r;
  for (int i = 0; i < 4; ++i) r.limbs_[i] = limbs_[i] & o.limbs_[i];
  return r;
}

U256 U256::operator|(const U256& o) const {
  U256 r;
  for (int i = 0; i < 4; ++i) r.limbs_[i] = limbs_[i] | o.limbs_[i];
  return r;
}

}  // namespace chainkms
