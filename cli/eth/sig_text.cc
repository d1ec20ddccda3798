#include "cli/eth/sig_text.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

namespace chainkms::cli {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '.';
}
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  absl::StatusOr<std::string> Parse(SigKind kind) {
    const std::string_view keyword = kind == SigKind::kFunction ? "function" : "event";
    if (s_.empty() || IsSpace(s_.front()) || IsSpace(s_.back())) return Fail("");
    if (s_.substr(0, keyword.size()) == keyword && s_.size() > keyword.size() &&
        IsSpace(s_[keyword.size()])) {
      pos_ = keyword.size();
      SkipSpace();
    }
    std::string name = Ident();
    if (name.empty()) return Fail("expected a name");
    SkipSpace();
    auto inputs = ParamList(/*allow_names=*/true);
    if (!inputs.ok()) return inputs.status();
    // After the inputs: modifiers, then at most one output list ("(..)" or "returns (..)"),
    // which must end the text.
    while (true) {
      SkipSpace();
      if (AtEnd()) break;
      if (kind == SigKind::kFunction && Peek() == '(') {
        auto out = ParamList(true);
        if (!out.ok()) return out.status();
        if (!AtEnd()) return Fail("");
        break;
      }
      const size_t word_start = pos_;
      std::string word = Ident();
      if (kind == SigKind::kEvent) {
        if (word == "anonymous") continue;
        pos_ = word_start;
        return Fail("");
      }
      if (word == "returns") {
        SkipSpace();
        auto out = ParamList(true);
        if (!out.ok()) return out.status();
        // Nothing may follow a returns list.
        if (!AtEnd()) return Fail("");
        break;
      }
      if (word == "external" || word == "public" || word == "internal" || word == "private" ||
          word == "view" || word == "pure" || word == "payable" || word == "nonpayable" ||
          word == "virtual" || word == "override") {
        continue;
      }
      if (word == "anonymous") return absl::InvalidArgumentError("functions cannot be anonymous");
      pos_ = word_start;
      return Fail("");
    }
    return name + *inputs;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(s_[pos_])) ++pos_;
  }
  std::string Ident() {
    const size_t start = pos_;
    if (AtEnd() || !IsIdentStart(s_[pos_])) return "";
    while (!AtEnd() && IsIdentChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  absl::Status Fail(std::string_view expected) const {
    std::string msg = absl::StrCat("parser error at column ", pos_);
    if (!expected.empty()) absl::StrAppend(&msg, ": ", std::string(expected));
    return absl::InvalidArgumentError(msg);
  }

  // "(" [param ("," param)* [","]] ")" -> canonical "(t1,t2)".
  absl::StatusOr<std::string> ParamList(bool allow_names) {
    if (Peek() != '(') return Fail("expected `(`");
    ++pos_;
    std::string out = "(";
    bool first = true;
    while (true) {
      SkipSpace();
      if (Peek() == ')') {
        ++pos_;
        break;
      }
      auto t = Param(allow_names);
      if (!t.ok()) return t.status();
      if (!first) out += ',';
      out += *t;
      first = false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ')') {
        ++pos_;
        break;
      }
      return Fail("expected `)`");
    }
    return out + ")";
  }

  absl::StatusOr<std::string> Param(bool allow_names) {
    auto t = Type();
    if (!t.ok()) return t.status();
    if (!allow_names) return t;
    for (int words = 0; words < 2; ++words) {
      const size_t save = pos_;
      SkipSpace();
      if (pos_ == save || !IsIdentStart(Peek())) {
        pos_ = save;
        break;
      }
      Ident();
    }
    return t;
  }

  absl::StatusOr<std::string> Type() {
    std::string base;
    if (Peek() == '(') {
      auto inner = ParamList(/*allow_names=*/false);
      if (!inner.ok()) return inner.status();
      base = *inner;
    } else {
      base = Ident();
      if (base.empty()) return Fail("");
      if (base == "tuple" && Peek() == '(') {
        auto inner = ParamList(false);
        if (!inner.ok()) return inner.status();
        base = *inner;
      } else if (std::count(base.begin(), base.end(), '.') == 1) {
        // alloy reads `Contract.Enum` as an enum, which the ABI encodes as uint8.
        base = "uint8";
      } else if (base.find('.') != std::string::npos) {
        return Fail("");
      } else if (base == "uint") {
        base = "uint256";
      } else if (base == "int") {
        base = "int256";
      } else if (base == "address") {
        // "address payable" is plain address.
        const size_t save = pos_;
        SkipSpace();
        if (s_.substr(pos_, 7) == "payable" &&
            (pos_ + 7 == s_.size() || !IsIdentChar(s_[pos_ + 7]))) {
          pos_ += 7;
        } else {
          pos_ = save;
        }
      }
    }
    while (Peek() == '[') {
      const size_t start = pos_;
      ++pos_;
      while (!AtEnd() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (Peek() != ']') return Fail("expected `]`");
      ++pos_;
      base += std::string(s_.substr(start, pos_ - start));
    }
    return base;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::string> CanonicalSignature(std::string_view text, SigKind kind) {
  auto out = Parser(text).Parse(kind);
  if (!out.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "could not parse ", kind == SigKind::kFunction ? "function" : "event", " signature: ",
        std::string(out.status().message())));
  }
  return out;
}

}  // namespace chainkms::cli
