#include "lib/compose/deterministic_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/json_quote.h"

namespace chainkms::compose {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;

// UTF-8 → UTF-16 code units (the input is valid UTF-8: nlohmann checked it).
std::u16string Utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f;
      n = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

// An array index in JavaScript's sense: the canonical decimal of an integer in [0, 2^32 - 2].
bool IsArrayIndex(std::string_view key, uint64_t* value) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 4294967294ull) return false;
  *value = v;
  return true;
}

void Write(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out += "null";
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += JsNumberToString(static_cast<double>(v.get<int64_t>()));
      return;
    case json::value_t::number_unsigned:
      out += JsNumberToString(static_cast<double>(v.get<uint64_t>()));
      return;
    case json::value_t::number_float: {
      const double d = v.get<double>();
      out += std::isfinite(d) ? JsNumberToString(d) : "null";
      return;
    }
    case json::value_t::string:
      out += JsonQuote(v.get_ref<const std::string&>());
      return;
    case json::value_t::binary:
      out += "null";
      return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json& e : v) {
        if (!first) out += ',';
        first = false;
        Write(e, out);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      struct Key {
        const std::string* utf8;
        std::u16string utf16;
        bool index;
        uint64_t value;
      };
      std::vector<Key> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        Key k{&it.key(), Utf16(it.key()), false, 0};
        k.index = IsArrayIndex(it.key(), &k.value);
        keys.push_back(std::move(k));
      }
      std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        if (a.index != b.index) return a.index;
        if (a.index) return a.value < b.value;
        return a.utf16 < b.utf16;
      });
      out += '{';
      bool first = true;
      for (const Key& k : keys) {
        if (!first) out += ',';
        first = false;
        out += JsonQuote(*k.utf8);
        out += ':';
        Write(v.at(*k.utf8), out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string JsNumberToString(double v) {
  if (v == 0) return "0";  // and -0
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits and exponent: d.ddddde±X.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(e + 1));
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // the decimal point sits after n digits
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    const int x = n - 1;
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += absl::StrCat("e", x >= 0 ? "+" : "-", std::abs(x));
  }
  return sign + out;
}

absl::StatusOr<json> ParseStrictJson(std::string_view text, std::string_view what) {
  std::vector<std::set<std::string>> seen;
  std::string problem;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth >= kMaxDepth && problem.empty()) problem = "nested more than 64 levels";
    switch (event) {
      case json::parse_event_t::object_start:
        seen.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!seen.empty()) seen.pop_back();
        break;
      case json::parse_event_t::key:
        if (!seen.empty() && !seen.back().insert(parsed.get<std::string>()).second &&
            problem.empty()) {
          problem = "duplicate key \"" + parsed.get<std::string>() + "\"";
        }
        break;
      default:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text, cb, /*allow_exceptions=*/true);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), ": not JSON (", e.what(), ")"));
  }
  if (!problem.empty())
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": ", problem));
  return j;
}

absl::StatusOr<std::string> DeterministicJsonFromText(std::string_view text) {
  absl::StatusOr<json> j = ParseStrictJson(text, "json");
  if (!j.ok()) return j.status();
  return DeterministicJson(*j);
}

std::string DeterministicJson(const json& value) {
  std::string out;
  Write(value, out);
  return out;
}

}  // namespace chainkms::compose
