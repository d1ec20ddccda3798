#include "cli/eth/json_text.h"

#include <cctype>

#include "lib/common/hex.h"

namespace chainkms::cli {
namespace {

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  std::optional<JsonNode> ParseAll() {
    auto v = Value(0);
    Space();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void Space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Literal(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  std::optional<std::string> String() {
    if (pos_ >= s_.size() || s_[pos_] != '"') return std::nullopt;
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c == '\\') {
        if (pos_ >= s_.size()) return std::nullopt;
        const char e = s_[pos_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case 'b': c = '\b'; break;
          case 'f': c = '\f'; break;
          case '"': case '\\': case '/': c = e; break;
          case 'u': {
            if (pos_ + 4 > s_.size()) return std::nullopt;
            unsigned v = 0;
            for (int k = 0; k < 4; ++k) {
              const int d = HexDigitValue(s_[pos_++]);
              if (d < 0) return std::nullopt;
              v = v * 16 + static_cast<unsigned>(d);
            }
            if (v < 0x80) {
              c = static_cast<char>(v);
            } else {
              out += '?';  // only hex text matters to to-rlp; any non-ASCII fails hex decoding
              continue;
            }
            break;
          }
          default:
            return std::nullopt;
        }
      }
      out += c;
    }
    if (pos_ >= s_.size()) return std::nullopt;
    ++pos_;
    return out;
  }
  std::optional<JsonNode> Value(int depth) {
    if (depth > 256) return std::nullopt;
    Space();
    if (pos_ >= s_.size()) return std::nullopt;
    JsonNode n;
    const char c = s_[pos_];
    if (Literal("null")) return n;
    if (Literal("true") || Literal("false")) {
      n.kind = JsonNode::kBool;
      return n;
    }
    if (c == '"') {
      auto str = String();
      if (!str) return std::nullopt;
      n.kind = JsonNode::kString;
      n.text = *str;
      return n;
    }
    if (c == '[' || c == '{') {
      const bool obj = c == '{';
      n.kind = obj ? JsonNode::kObject : JsonNode::kArray;
      ++pos_;
      Space();
      if (pos_ < s_.size() && s_[pos_] == (obj ? '}' : ']')) {
        ++pos_;
        return n;
      }
      while (true) {
        if (obj) {
          Space();
          if (!String()) return std::nullopt;
          Space();
          if (pos_ >= s_.size() || s_[pos_] != ':') return std::nullopt;
          ++pos_;
        }
        auto item = Value(depth + 1);
        if (!item) return std::nullopt;
        n.items.push_back(std::move(*item));
        Space();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == (obj ? '}' : ']')) {
          ++pos_;
          return n;
        }
        return std::nullopt;
      }
    }
    // number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      const size_t d = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return pos_ > d;
    };
    const size_t int_start = pos_;
    if (!digits()) return std::nullopt;
    if (s_[int_start] == '0' && pos_ - int_start > 1) return std::nullopt;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return std::nullopt;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return std::nullopt;
    }
    n.kind = JsonNode::kNumber;
    n.text = std::string(s_.substr(start, pos_ - start));
    return n;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<JsonNode> ParseJsonKeepingNumbers(std::string_view text) {
  return JsonReader(text).ParseAll();
}

}  // namespace chainkms::cli
