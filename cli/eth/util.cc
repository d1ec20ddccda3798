#include "cli/eth/util.h"

#include <cstdio>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"

namespace chainkms::cli {
namespace {

std::string_view StripLower0x(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && s[1] == 'x') s.remove_prefix(2);
  return s;
}

absl::Status BadChar(char c, size_t pos) {
  return absl::InvalidArgumentError(absl::StrCat("invalid character '", std::string(1, c),
                                                 "' at position ", pos));
}

int UnitExponent(std::string_view u) {
  if (u == "wei") return 0;
  if (u == "kwei" || u == "babbage") return 3;
  if (u == "mwei" || u == "lovelace") return 6;
  if (u == "gwei" || u == "nano" || u == "shannon") return 9;
  if (u == "twei" || u == "micro" || u == "szabo") return 12;
  if (u == "pwei" || u == "milli" || u == "finney") return 15;
  if (u == "ether") return 18;
  return -1;
}

absl::StatusOr<U256> ParseRadix(std::string_view digits, int radix) {
  if (digits.empty()) return absl::InvalidArgumentError("expected at least one digit");
  U256 v;
  for (char c : digits) {
    const int d = HexDigitValue(c);
    if (d < 0 || d >= radix) return absl::InvalidArgumentError(absl::StrCat("invalid digit: ", std::string(1, c)));
    auto m = v.CheckedMul(U256(static_cast<uint64_t>(radix)));
    if (!m) return absl::InvalidArgumentError("number too large to fit in target type");
    auto a = m->CheckedAdd(U256(static_cast<uint64_t>(d)));
    if (!a) return absl::InvalidArgumentError("number too large to fit in target type");
    v = *a;
  }
  return v;
}

}  // namespace

absl::StatusOr<Bytes> CastHexDecode(std::string_view s) {
  s = StripLower0x(s);
  if (s.size() % 2 != 0) return absl::InvalidArgumentError("odd number of digits");
  Bytes out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(s[2 * i]);
    const int lo = HexDigitValue(s[2 * i + 1]);
    if (hi < 0) return BadChar(s[2 * i], 2 * i);
    if (lo < 0) return BadChar(s[2 * i + 1], 2 * i + 1);
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

absl::StatusOr<Address> CastParseAddress(std::string_view s) {
  const std::string_view digits = StripLower0x(s);
  if (digits.size() % 2 != 0) return absl::InvalidArgumentError("odd number of digits");
  if (digits.size() != 40) return absl::InvalidArgumentError("invalid string length");
  auto b = CastHexDecode(digits);
  if (!b.ok()) return b.status();
  return *Address::TryFrom(*b);
}

absl::StatusOr<U256> ParseCastUint(std::string_view s, int bits) {
  const absl::Status too_large = absl::InvalidArgumentError("number too large to fit in target type");
  U256 v;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'b' || s[1] == 'B' ||
                                       s[1] == 'o' || s[1] == 'O')) {
    const char r = static_cast<char>(s[1] | 0x20);
    std::string_view digits = s.substr(2);
    // Leading zeros never overflow: "0x000…01" with more than 64 digits is fine.
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    auto parsed = ParseRadix(digits, r == 'x' ? 16 : r == 'b' ? 2 : 8);
    if (!parsed.ok()) return parsed.status();
    v = *parsed;
  } else {
    size_t i = 0;
    std::string int_part, frac_part;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') int_part += s[i++];
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') frac_part += s[i++];
    }
    if (int_part.empty() && frac_part.empty()) {
      return absl::InvalidArgumentError("expected at least one digit");
    }
    int exp = 0;
    if (i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E') &&
        ((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == '-')) {
      ++i;
      if (i < s.size() && s[i] == '-') return absl::InvalidArgumentError("negative units not allowed");
      std::string e;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') e += s[i++];
      if (e.empty() || e.size() > 4) return absl::InvalidArgumentError("invalid exponent");
      exp = std::stoi(e);
    }
    std::string_view rest = s.substr(i);
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    if (!rest.empty()) {
      const int u = UnitExponent(rest);
      if (u < 0) return absl::InvalidArgumentError(absl::StrCat("invalid unit: ", std::string(rest)));
      exp += u;
    }
    if (exp > 100) return too_large;
    // value = int_part * 10^exp + frac_part * 10^(exp - len(frac)); extra fraction digits must be 0.
    std::string frac_kept = frac_part.substr(0, std::min<size_t>(frac_part.size(), exp));
    for (size_t k = frac_kept.size(); k < frac_part.size(); ++k) {
      if (frac_part[k] != '0') {
        return absl::InvalidArgumentError(
            absl::StrCat("non-zero fraction .", frac_part.substr(frac_kept.size()), " not allowed"));
      }
    }
    std::string digits = int_part + frac_kept + std::string(exp - frac_kept.size(), '0');
    size_t nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    if (digits.size() > 78) return too_large;
    auto parsed = ParseRadix(digits, 10);
    if (!parsed.ok()) return too_large;
    v = *parsed;
  }
  if (bits < 256 && v.BitLength() > bits) return too_large;
  return v;
}

absl::StatusOr<uint64_t> ParseU64(std::string_view s, std::string_view field, bool allow_hex) {
  const std::string f(field);
  int radix = 10;
  if (allow_hex && s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  }
  if (radix == 10 && !s.empty() && s[0] == '+') s.remove_prefix(1);  // Rust's u64 parser allows it
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat(f, ": expected a number"));
  auto v = ParseRadix(s, radix);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(f, ": ", v.status().message()));
  auto small = v->ToU64();
  if (!small) return absl::InvalidArgumentError(absl::StrCat(f, ": number too large to fit in u64"));
  return *small;
}

// The length of the first RLP item in `in` (header + payload), so trailing bytes can be ignored
// as cast does; RlpDecode then checks canonical form on exactly that item.
absl::StatusOr<size_t> RlpFirstItemLength(ByteView in) {
  const absl::Status short_input = absl::InvalidArgumentError("input too short");
  if (in.empty()) return short_input;
  const uint8_t b = in[0];
  if (b < 0x80) return 1;
  size_t header = 1, len = 0;
  if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
    len = b <= 0xb7 ? b - 0x80 : b - 0xc0;
  } else {
    const size_t len_of_len = b <= 0xbf ? b - 0xb7 : b - 0xf7;
    if (in.size() < 1 + len_of_len) return short_input;
    if (len_of_len > 8) return absl::InvalidArgumentError("overflow");
    for (size_t i = 0; i < len_of_len; ++i) len = (len << 8) | in[1 + i];
    header += len_of_len;
  }
  if (len > in.size() - header) return short_input;
  return header + len;
}

std::string ReadStdinAll() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

std::string ReadStdinFirstLine() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string FormatUintWithExp(const U256& v, bool negative) {
  const std::string digits = v.ToDecimal();
  std::string out = negative ? "-" + digits : digits;
  if (v < U256(10000)) return out;
  std::string mantissa = digits.substr(0, 4);
  while (mantissa.size() > 1 && mantissa.back() == '0') mantissa.pop_back();
  if (mantissa.size() > 1) mantissa.insert(1, ".");
  return absl::StrCat(out, " [", negative ? "-" : "", mantissa, "e", digits.size() - 1, "]");
}

}  // namespace chainkms::cli
