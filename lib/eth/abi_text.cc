#include "lib/eth/abi_text.h"

#include <cctype>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"

namespace chainkms {
namespace {

// A parse failure at a column. `cut` failures are never retried as "end of list" (winnow's
// cut_err), the others let an enclosing list stop before the failing element.
struct ParseError {
  size_t pos = 0;
  std::string reason;
  bool cut = false;
};

template <typename T>
using Parsed = std::optional<T>;

bool IsHex(char c) { return HexDigitValue(c) >= 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// U256 from digits in `radix`; nullopt on a digit outside the radix or on overflow.
std::optional<U256> ParseRadix(std::string_view digits, int radix) {
  U256 v;
  for (char c : digits) {
    const int d = HexDigitValue(c);
    if (d < 0 || d >= radix) return std::nullopt;
    auto m = v.CheckedMul(U256(static_cast<uint64_t>(radix)));
    if (!m) return std::nullopt;
    auto a = m->CheckedAdd(U256(static_cast<uint64_t>(d)));
    if (!a) return std::nullopt;
    v = *a;
  }
  return v;
}

std::optional<U256> Pow10(size_t n) {
  U256 v(1);
  for (size_t i = 0; i < n; ++i) {
    auto m = v.CheckedMul(U256(10));
    if (!m) return std::nullopt;
    v = *m;
  }
  return v;
}

class TextParser {
 public:
  explicit TextParser(std::string_view s) : s_(s) {}

  absl::StatusOr<AbiValue> ParseAll(const AbiType& t) {
    Parsed<AbiValue> v = Value(t, '\0');
    if (v && pos_ != s_.size()) Fail(pos_, "");
    if (!v || err_) return Status();
    return std::move(*v);
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void Space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  std::nullopt_t Fail(size_t pos, std::string reason, bool cut = false) {
    err_ = ParseError{pos, std::move(reason), cut};
    return std::nullopt;
  }
  absl::Status Status() const {
    std::string msg = absl::StrCat("parser error:\n", std::string(s_), "\n",
                                   std::string(err_->pos, ' '), "^");
    if (!err_->reason.empty()) absl::StrAppend(&msg, "\n", err_->reason);
    return absl::InvalidArgumentError(msg);
  }

  Parsed<AbiValue> Value(const AbiType& t, char list_end) {
    switch (t.kind) {
      case AbiKind::kBool: {
        const size_t start = pos_;
        while (IsAlpha(Peek())) ++pos_;
        std::string_view w = s_.substr(start, pos_ - start);
        if (w == "true") return AbiValue::Bool(true);
        if (w == "false") return AbiValue::Bool(false);
        return Fail(pos_, "invalid boolean");
      }
      case AbiKind::kUint: {
        Parsed<U256> v = Uint(t.size);
        if (!v) return std::nullopt;
        return AbiValue::Uint(*v, t.size);
      }
      case AbiKind::kInt:
        return Int(t.size);
      case AbiKind::kAddress: {
        const size_t start = pos_;
        Parsed<Bytes> b = HexBytes(20, /*report_after=*/false);
        if (!b) return std::nullopt;
        if (b->size() != 20) return Fail(start, "invalid string length");
        return AbiValue::Address(*chainkms::Address::TryFrom(*b));
      }
      case AbiKind::kFixedBytes: {
        Parsed<Bytes> b = HexBytes(t.size, /*report_after=*/true);
        if (!b) return std::nullopt;
        if (b->size() != t.size) return Fail(pos_, "invalid string length", /*cut=*/true);
        return AbiValue::FixedBytes(*b);
      }
      case AbiKind::kBytes: {
        Parsed<Bytes> b = HexBytes(0, /*report_after=*/false);
        if (!b) return std::nullopt;
        return AbiValue::Bytes(*b);
      }
      case AbiKind::kString:
        return String(list_end);
      case AbiKind::kArray:
      case AbiKind::kFixedArray: {
        const size_t start = pos_;
        Parsed<std::vector<AbiValue>> items = List(t.components[0]);
        if (!items) return std::nullopt;
        if (t.kind == AbiKind::kArray) return AbiValue::Array(std::move(*items));
        if (items->size() != t.size) {
          return Fail(start, absl::StrCat("fixed array length mismatch: expected ", t.size,
                                          " elements, got ", items->size()));
        }
        return AbiValue::FixedArray(std::move(*items));
      }
      case AbiKind::kTuple: {
        Space();
        if (Peek() != '(') return Fail(pos_, "expected `(`");
        ++pos_;
        std::vector<AbiValue> items;
        for (size_t i = 0; i < t.components.size(); ++i) {
          if (i > 0) {
            Space();
            if (Peek() != ',') return Fail(pos_, "expected `,`");
            ++pos_;
          }
          Space();
          Parsed<AbiValue> v = Value(t.components[i], ')');
          if (!v) return std::nullopt;
          items.push_back(std::move(*v));
        }
        Space();
        if (Peek() != ')') return Fail(pos_, "expected `)`");
        ++pos_;
        return AbiValue::Tuple(std::move(items));
      }
    }
    return Fail(pos_, "unsupported type");
  }

  // "[" elements "]" as alloy's list parser reads them: the first element's error stands, a
  // later element that fails ends the list, which must then close (after an optional comma).
  Parsed<std::vector<AbiValue>> List(const AbiType& element) {
    if (Peek() != '[') return Fail(pos_, "expected `[`");
    ++pos_;
    Space();
    std::vector<AbiValue> items;
    if (Peek() != ']') {
      Parsed<AbiValue> first = Value(element, ']');
      if (!first) return std::nullopt;
      items.push_back(std::move(*first));
      while (Peek() == ',') {
        const size_t before_comma = pos_;
        ++pos_;
        Space();
        Parsed<AbiValue> v = Value(element, ']');
        if (!v) {
          if (err_->cut) return std::nullopt;
          err_.reset();
          pos_ = before_comma;
          break;
        }
        items.push_back(std::move(*v));
      }
    }
    if (Peek() == ',') ++pos_;
    Space();
    if (Peek() != ']') return Fail(pos_, "expected `]`", /*cut=*/true);
    ++pos_;
    return items;
  }

  Parsed<AbiValue> String(char list_end) {
    if (pos_ >= s_.size()) return AbiValue::String("");
    const char delim = Peek();
    if (delim == '"' || delim == '\'') {
      ++pos_;
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != delim) ++pos_;
      std::string_view body = s_.substr(start, pos_ - start);
      if (pos_ >= s_.size()) {
        return Fail(pos_, absl::StrCat("invalid string\nexpected `", std::string(1, delim), "`"),
                    /*cut=*/true);
      }
      ++pos_;
      return AbiValue::String(body);
    }
    const size_t start = pos_;
    if (list_end != '\0') {
      while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != list_end) ++pos_;
      if (pos_ == start) return Fail(pos_, "");
    } else {
      pos_ = s_.size();
    }
    std::string_view body = s_.substr(start, pos_ - start);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
      body.remove_suffix(1);
    }
    return AbiValue::String(body);
  }

  // Optional lowercase "0x", then hex digits; `want` (when nonzero) is the exact byte count the
  // caller needs, so the odd-length check comes first as in alloy's hex crate. alloy reports
  // bytesN errors after the digits (`report_after`), address and bytes errors at their start.
  Parsed<Bytes> HexBytes(size_t want, bool report_after) {
    const size_t start = pos_;
    const bool prefix = s_.substr(pos_, 2) == "0x";
    if (prefix) pos_ += 2;
    const size_t digits_start = pos_;
    while (IsHex(Peek())) ++pos_;
    std::string_view digits = s_.substr(digits_start, pos_ - digits_start);
    if (!prefix && digits.empty()) {
      return Fail(pos_, "expected hex digits or the `0x` prefix for an empty hex string");
    }
    if (digits.size() % 2 != 0) {
      return Fail(report_after ? pos_ : start, "odd number of digits", report_after);
    }
    if (want && digits.size() != 2 * want) return Bytes(digits.size() / 2);
    return HexDecode(digits, HexPrefix::kForbidden).value();
  }

  Parsed<AbiValue> Int(size_t bits) {
    const size_t start = pos_;
    bool negative = false;
    if (Peek() == '+' || Peek() == '-') {
      negative = Peek() == '-';
      ++pos_;
    }
    Parsed<U256> abs = Uint(bits);
    if (!abs) return std::nullopt;
    // Positive values need a free sign bit; negative ones may reach -2^(bits-1).
    const U256 limit = U256(1) << static_cast<int>(bits - 1);
    if (negative ? *abs > limit : abs->BitLength() > static_cast<int>(bits - 1)) {
      return Fail(start, "number too large to fit in target type");
    }
    return AbiValue::Int(negative ? U256(0).WrappingSub(*abs) : *abs, bits);
  }

  Parsed<U256> Uint(size_t bits) {
    int radix = 10;
    const std::string_view p2 = s_.substr(pos_, 2);
    if (p2 == "0x" || p2 == "0X" || p2 == "0b" || p2 == "0B" || p2 == "0o" || p2 == "0O") {
      radix = (p2[1] == 'x' || p2[1] == 'X') ? 16 : (p2[1] == 'b' || p2[1] == 'B') ? 2 : 8;
      pos_ += 2;
    }
    const size_t digits_start = pos_;
    while (radix == 10 ? IsDigit(Peek()) : IsHex(Peek())) ++pos_;
    if (pos_ == digits_start) return Fail(pos_, "expected at least one digit");
    std::string_view int_digits = s_.substr(digits_start, pos_ - digits_start);
    std::string_view fract;
    if (Peek() == '.') {
      ++pos_;
      const size_t f = pos_;
      while (IsDigit(Peek())) ++pos_;
      if (pos_ == f) return Fail(pos_, "expected at least one digit", /*cut=*/true);
      fract = s_.substr(f, pos_ - f);
    }
    for (char c : int_digits) {
      if (HexDigitValue(c) >= radix) {
        return Fail(pos_, absl::StrCat("digit ", std::string(1, c), " is out of range for base ", radix));
      }
    }
    std::optional<U256> intpart = ParseRadix(int_digits, radix);
    if (!intpart) return Fail(pos_, "the value is too large to fit the target type");
    long exp = 0;
    if (Peek() == 'e' || Peek() == 'E') {
      size_t q = pos_ + 1;
      bool neg = false;
      if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) {
        neg = s_[q] == '-';
        ++q;
      }
      const size_t e0 = q;
      long e = 0;
      while (q < s_.size() && IsDigit(s_[q]) && e < 100000) e = e * 10 + (s_[q++] - '0');
      if (q > e0) {
        exp = neg ? -e : e;
        pos_ = q;
      }
    }
    Space();
    const size_t unit_start = pos_;
    while (IsAlpha(Peek())) ++pos_;
    std::string_view unit = s_.substr(unit_start, pos_ - unit_start);
    long units = 0;
    if (unit == "ether") {
      units = 18;
    } else if (unit == "gwei" || unit == "nano" || unit == "nanoether") {
      units = 9;
    } else if (!unit.empty() && unit != "wei") {
      return Fail(pos_, "");
    }
    units += exp;
    if (units < 0) return Fail(pos_, "negative units not allowed");
    const auto overflow = [&] { return Fail(pos_, "number too large to fit in target type"); };
    std::optional<U256> value;
    if (!fract.empty()) {
      std::optional<U256> f = ParseRadix(fract, 10);
      if (!f) return overflow();
      if (units == 0 && !f->IsZero()) {
        return Fail(pos_, absl::StrCat("non-zero fraction .", f->ToDecimal(), " not allowed"));
      }
      if (fract.size() > static_cast<size_t>(units)) {
        return Fail(pos_, absl::StrCat("expected at most ", units, " decimals, got ", fract.size()));
      }
      auto ext = Pow10(fract.size());
      auto scale = Pow10(static_cast<size_t>(units) - fract.size());
      if (!ext || !scale) return overflow();
      auto m = intpart->CheckedMul(*ext);
      if (!m) return overflow();
      auto a = m->CheckedAdd(*f);
      if (!a) return overflow();
      value = a->CheckedMul(*scale);
    } else if (units > 0) {
      auto scale = Pow10(static_cast<size_t>(units));
      if (!scale) return overflow();
      value = intpart->CheckedMul(*scale);
    } else {
      value = intpart;
    }
    if (!value || value->BitLength() > static_cast<int>(bits)) return overflow();
    return value;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::optional<ParseError> err_;
};

// Decimal digits of |v| → "[1.234e9]" hint as foundry's to_exp_notation (4 significant
// digits, truncated, trailing zeros trimmed).
std::string ExpHint(const std::string& digits, bool negative) {
  std::string mantissa = digits.substr(0, 4);
  while (mantissa.size() > 1 && mantissa.back() == '0') mantissa.pop_back();
  if (mantissa.size() > 1) mantissa.insert(1, ".");
  return absl::StrCat(" [", negative ? "-" : "", mantissa, "e", digits.size() - 1, "]");
}

// Appends the UTF-8 sequence starting at s[i] (or U+FFFD for an invalid one, covering the
// maximal invalid prefix as Rust's from_utf8_lossy does); returns the code point or -1.
long NextCodePoint(std::string_view s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    ++i;
    return -1;
  }
  long cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  size_t k = i + 1;
  for (size_t n = 1; n < len; ++n, ++k) {
    const unsigned char lo_n = n == 1 ? lo : 0x80, hi_n = n == 1 ? hi : 0xBF;
    if (k >= s.size() || b(k) < lo_n || b(k) > hi_n) {
      i = k;
      return -1;
    }
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  i = k;
  return cp;
}

void AppendUtf8(std::string& out, long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string Utf8Lossy(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const long cp = NextCodePoint(s, i);
    AppendUtf8(out, cp < 0 ? 0xFFFD : cp);
  }
  return out;
}

void Format(const AbiValue& v, std::string& out) {
  switch (v.kind) {
    case AbiKind::kUint:
      out += FormatUintExp(v.number);
      return;
    case AbiKind::kInt:
      out += FormatIntExp(v.number);
      return;
    case AbiKind::kBool:
      out += v.AsBool() ? "true" : "false";
      return;
    case AbiKind::kAddress:
      out += ToChecksumAddress(v.address);
      return;
    case AbiKind::kFixedBytes:
    case AbiKind::kBytes:
      out += Hex0x(v.bytes);
      return;
    case AbiKind::kString:
      out += RustDebugString(v.AsString());
      return;
    case AbiKind::kArray:
    case AbiKind::kFixedArray:
    case AbiKind::kTuple: {
      const bool tuple = v.kind == AbiKind::kTuple;
      out += tuple ? '(' : '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        Format(v.items[i], out);
      }
      out += tuple ? ')' : ']';
      return;
    }
  }
}

nlohmann::json ToJson(const AbiValue& v) {
  switch (v.kind) {
    case AbiKind::kUint:
      if (auto small = v.number.ToU64()) return *small;
      return v.number.ToDecimal();
    case AbiKind::kInt: {
      const bool neg = v.IsNegative();
      const U256 abs = neg ? U256(0).WrappingSub(v.number) : v.number;
      if (auto small = abs.ToU64()) {
        if (!neg && *small <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(*small);
        if (neg && *small <= (uint64_t{1} << 63)) {
          return *small == (uint64_t{1} << 63) ? INT64_MIN : -static_cast<int64_t>(*small);
        }
      }
      return (neg ? "-" : "") + abs.ToDecimal();
    }
    case AbiKind::kBool:
      return v.AsBool();
    case AbiKind::kAddress:
      return ToChecksumAddress(v.address);
    case AbiKind::kFixedBytes:
    case AbiKind::kBytes:
      return Hex0x(v.bytes);
    case AbiKind::kString: {
      std::string s = Utf8Lossy(v.AsString());
      nlohmann::json parsed = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) return parsed;
      return s;
    }
    default: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : v.items) arr.push_back(ToJson(item));
      return arr;
    }
  }
}

}  // namespace

absl::StatusOr<AbiValue> ParseAbiValueText(const AbiType& type, std::string_view text) {
  TextParser p(text);
  return p.ParseAll(type);
}

absl::StatusOr<std::vector<AbiValue>> ParseAbiArgsText(std::span<const AbiType> types,
                                                       std::span<const std::string> args) {
  if (types.size() != args.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encode length mismatch: expected ", types.size(), " types, got ", args.size()));
  }
  std::vector<AbiValue> out;
  for (size_t i = 0; i < types.size(); ++i) {
    ASSIGN_OR_RETURN(AbiValue v, ParseAbiValueText(types[i], args[i]));
    out.push_back(std::move(v));
  }
  return out;
}

std::string FormatUintExp(const U256& v) {
  const std::string digits = v.ToDecimal();
  if (v < U256(10000)) return digits;
  return digits + ExpHint(digits, false);
}

std::string FormatIntExp(const U256& twos_complement) {
  const bool neg = twos_complement.Bit(255);
  const U256 abs = neg ? U256(0).WrappingSub(twos_complement) : twos_complement;
  const std::string digits = abs.ToDecimal();
  const std::string sign = neg ? "-" : "";
  if (abs < U256(10000)) return sign + digits;
  return sign + digits + ExpHint(digits, neg);
}

std::string RustDebugString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    long cp = NextCodePoint(s, i);
    if (cp < 0) cp = 0xFFFD;
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case 0:
        out += "\\0";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
          absl::StrAppend(&out, "\\u{", absl::Hex(cp), "}");
        } else {
          AppendUtf8(out, cp);
        }
    }
  }
  return out + "\"";
}

std::string FormatAbiValue(const AbiValue& v) {
  std::string out;
  Format(v, out);
  return out;
}

std::string FormatAbiValues(std::span<const AbiValue> values) {
  std::string out;
  for (const auto& v : values) {
    Format(v, out);
    out += '\n';
  }
  return out;
}

nlohmann::json AbiValuesToJson(std::span<const AbiValue> values) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& v : values) arr.push_back(ToJson(v));
  return arr;
}

}  // namespace chainkms
