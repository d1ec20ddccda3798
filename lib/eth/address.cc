#include "lib/eth/address.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/rlp.h"

namespace chainkms {
namespace {

// Nibble i of the keccak256 of the lowercase hex decides the case of hex character i.
bool ChecksumWantsUpper(const Hash32& h, size_t i) {
  const uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
  return nibble >= 8;
}

}  // namespace

absl::StatusOr<Address> ParseAddress(std::string_view s, std::string_view field) {
  const std::string f(field);
  std::string_view digits = HasHexPrefix(s) ? s.substr(2) : s;
  if (digits.size() != 40) {
    return absl::InvalidArgumentError(
        absl::StrCat(f, ": expected 40 hex digits, got ", digits.size()));
  }
  bool has_lower = false;
  bool has_upper = false;
  for (char c : digits) {
    if (HexDigitValue(c) < 0) return absl::InvalidArgumentError(absl::StrCat(f, ": not hex"));
    has_lower |= (c >= 'a' && c <= 'f');
    has_upper |= (c >= 'A' && c <= 'F');
  }
  auto a = HexDecodeFixed<20>(digits, field, HexPrefix::kForbidden);
  if (!a.ok()) return a.status();
  if (has_lower && has_upper && ToChecksumAddress(*a).substr(2) != digits) {
    return absl::InvalidArgumentError(absl::StrCat(f, ": invalid EIP-55 checksum"));
  }
  return *a;
}

std::string ToChecksumAddress(const Address& a) {
  std::string lower = HexEncode(a.view());
  const Hash32 h = Keccak256(AsBytes(lower));
  for (size_t i = 0; i < lower.size(); ++i) {
    if (lower[i] >= 'a' && ChecksumWantsUpper(h, i)) lower[i] = static_cast<char>(lower[i] - 32);
  }
  return "0x" + lower;
}

Address ComputeCreateAddress(const Address& sender, uint64_t nonce) {
  RlpEncoder e(32);
  e.BeginList();
  e.AddBytes(sender.view());
  e.AddU64(nonce);
  e.EndList();
  const Hash32 h = Keccak256(std::move(e).Finish());
  return *Address::TryFrom(ByteView(h.bytes).subspan(12));
}

}  // namespace chainkms
