#include "lib/eth/abi_type.h"

#include <cctype>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"

namespace chainkms {
namespace {

// Bound on a type's static encoded size so head arithmetic can never overflow size_t.
constexpr size_t kMaxStaticSize = size_t{1} << 32;

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c));
}

class SigParser {
 public:
  explicit SigParser(std::string_view text) : s_(text) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  std::string_view Identifier() {
    const size_t start = pos_;
    if (pos_ < s_.size() && IsIdentStart(s_[pos_])) {
      ++pos_;
      while (pos_ < s_.size() && (IsIdentChar(s_[pos_]) || s_[pos_] == '.')) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }
  // Consumes `word` only when it is a whole identifier at the cursor.
  bool ConsumeKeyword(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    const size_t after = pos_ + word.size();
    if (after < s_.size() && IsIdentChar(s_[after])) return false;
    pos_ = after;
    return true;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("signature \"", std::string(s_), "\": ", std::string(what), " at column ", pos_));
  }

  absl::StatusOr<AbiType> Type(size_t depth) {
    if (depth > kMaxAbiTypeDepth) return Error("types nested too deeply");
    AbiType t;
    if (Peek() == '(' || ConsumeKeyword("tuple")) {
      SkipSpace();
      ASSIGN_OR_RETURN(std::vector<AbiParam> members, ParamList(depth + 1, /*allow_names=*/true));
      if (members.empty()) return Error("empty tuple type");
      t.kind = AbiKind::kTuple;
      for (auto& m : members) t.components.push_back(std::move(m.type));
    } else {
      const size_t start = pos_;
      std::string_view id = Identifier();
      if (id.empty()) return Error("expected a type");
      ASSIGN_OR_RETURN(t, Elementary(id, start));
      if (t.kind == AbiKind::kAddress) {
        const size_t save = pos_;
        SkipSpace();
        if (!ConsumeKeyword("payable")) pos_ = save;
      }
    }
    for (;;) {
      const size_t save = pos_;
      SkipSpace();
      if (!Consume('[')) {
        pos_ = save;
        break;
      }
      if (++depth > kMaxAbiTypeDepth) return Error("types nested too deeply");
      SkipSpace();
      if (Consume(']')) {
        t = AbiType::Array(std::move(t));
        continue;
      }
      size_t n = 0;
      bool any = false;
      while (std::isdigit(static_cast<unsigned char>(Peek()))) {
        n = n * 10 + static_cast<size_t>(Peek() - '0');
        ++pos_;
        any = true;
        if (n > kMaxFixedArrayLength) return Error("fixed array length too large");
      }
      SkipSpace();
      if (!any || !Consume(']')) return Error("expected array length and `]`");
      if (n == 0) return Error("fixed array length must be positive");
      t = AbiType::FixedArray(std::move(t), n);
    }
    if (StaticSize(t) > kMaxStaticSize) return Error("type too large");
    return t;
  }

  // "(p1, p2, ...)" with the cursor on '('.
  absl::StatusOr<std::vector<AbiParam>> ParamList(size_t depth, bool allow_names) {
    if (!Consume('(')) return Error("expected `(`");
    std::vector<AbiParam> out;
    SkipSpace();
    if (Consume(')')) return out;
    for (;;) {
      SkipSpace();
      AbiParam p;
      ASSIGN_OR_RETURN(p.type, Type(depth));
      // Modifiers and a parameter name, in any reasonable order.
      for (;;) {
        const size_t save = pos_;
        SkipSpace();
        if (ConsumeKeyword("indexed")) {
          p.indexed = true;
        } else if (ConsumeKeyword("memory") || ConsumeKeyword("calldata") ||
                   ConsumeKeyword("storage")) {
        } else if (allow_names && p.name.empty() && IsIdentStart(Peek())) {
          p.name = std::string(Identifier());
        } else {
          pos_ = save;
          break;
        }
      }
      out.push_back(std::move(p));
      SkipSpace();
      if (Consume(')')) return out;
      if (!Consume(',')) return Error("expected `,` or `)`");
    }
  }

  static size_t StaticSize(const AbiType& t) {
    switch (t.kind) {
      case AbiKind::kFixedArray: {
        const size_t e = StaticSize(t.components[0]);
        if (e > kMaxStaticSize) return e;
        return t.size > std::numeric_limits<size_t>::max() / (e + 1) ? kMaxStaticSize + 1
                                                                     : e * t.size;
      }
      case AbiKind::kTuple: {
        size_t sum = 0;
        for (const auto& c : t.components) {
          sum += StaticSize(c);
          if (sum > kMaxStaticSize) return sum;
        }
        return sum;
      }
      default:
        return 32;
    }
  }

 private:
  absl::StatusOr<AbiType> Elementary(std::string_view id, size_t start) {
    auto sized = [&](std::string_view prefix, size_t* n) {
      if (id.substr(0, prefix.size()) != prefix) return false;
      std::string_view digits = id.substr(prefix.size());
      if (digits.empty() || digits.size() > 3 || digits[0] == '0') return false;
      size_t v = 0;
      for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        v = v * 10 + static_cast<size_t>(c - '0');
      }
      *n = v;
      return true;
    };
    if (id == "uint") return AbiType::Uint(256);
    if (id == "int") return AbiType::Int(256);
    if (id == "address") return AbiType::Address();
    if (id == "bool") return AbiType::Bool();
    if (id == "bytes") return AbiType::Bytes();
    if (id == "string") return AbiType::String();
    size_t n = 0;
    if (sized("uint", &n) && n % 8 == 0 && n <= 256) return AbiType::Uint(n);
    if (sized("int", &n) && n % 8 == 0 && n <= 256) return AbiType::Int(n);
    if (sized("bytes", &n) && n <= 32) return AbiType::FixedBytes(n);
    pos_ = start;
    return Error(absl::StrCat("unknown type `", std::string(id), "`"));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string JoinCanonical(const std::vector<AbiParam>& params) {
  std::string out = "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out += ',';
    out += params[i].type.Canonical();
  }
  return out + ")";
}

std::vector<AbiType> TypesOf(const std::vector<AbiParam>& params) {
  std::vector<AbiType> out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(p.type);
  return out;
}

}  // namespace

std::string AbiType::Canonical() const {
  switch (kind) {
    case AbiKind::kUint:
      return absl::StrCat("uint", size);
    case AbiKind::kInt:
      return absl::StrCat("int", size);
    case AbiKind::kAddress:
      return "address";
    case AbiKind::kBool:
      return "bool";
    case AbiKind::kFixedBytes:
      return absl::StrCat("bytes", size);
    case AbiKind::kBytes:
      return "bytes";
    case AbiKind::kString:
      return "string";
    case AbiKind::kArray:
      return components[0].Canonical() + "[]";
    case AbiKind::kFixedArray:
      return absl::StrCat(components[0].Canonical(), "[", size, "]");
    case AbiKind::kTuple: {
      std::string out = "(";
      for (size_t i = 0; i < components.size(); ++i) {
        if (i) out += ',';
        out += components[i].Canonical();
      }
      return out + ")";
    }
  }
  return "";
}

bool AbiType::IsDynamic() const {
  switch (kind) {
    case AbiKind::kBytes:
    case AbiKind::kString:
    case AbiKind::kArray:
      return true;
    case AbiKind::kFixedArray:
      return components[0].IsDynamic();
    case AbiKind::kTuple:
      for (const auto& c : components) {
        if (c.IsDynamic()) return true;
      }
      return false;
    default:
      return false;
  }
}

size_t AbiType::HeadSize() const { return IsDynamic() ? 32 : SigParser::StaticSize(*this); }

bool AbiType::IsValueType() const {
  switch (kind) {
    case AbiKind::kUint:
    case AbiKind::kInt:
    case AbiKind::kAddress:
    case AbiKind::kBool:
    case AbiKind::kFixedBytes:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<AbiType> ParseAbiType(std::string_view text) {
  SigParser p(text);
  ASSIGN_OR_RETURN(AbiType t, p.Type(0));
  if (!p.AtEnd()) return p.Error("unexpected trailing characters");
  return t;
}

std::string AbiSignature::Canonical() const { return name + JoinCanonical(inputs); }
std::vector<AbiType> AbiSignature::InputTypes() const { return TypesOf(inputs); }
std::vector<AbiType> AbiSignature::OutputTypes() const { return TypesOf(outputs); }

absl::StatusOr<AbiSignature> ParseSignature(std::string_view text) {
  SigParser p(text);
  for (std::string_view kw : {"function", "event", "error"}) {
    const size_t save = p.pos();
    if (!p.ConsumeKeyword(kw)) continue;
    const size_t before_space = p.pos();
    p.SkipSpace();
    // "event(uint256)" is a function named event, not the keyword.
    if (p.pos() == before_space || !IsIdentStart(p.Peek())) p.set_pos(save);
    break;
  }
  AbiSignature sig;
  sig.name = std::string(p.Identifier());
  if (sig.name.empty()) return p.Error("expected a name");
  p.SkipSpace();
  ASSIGN_OR_RETURN(sig.inputs, p.ParamList(0, /*allow_names=*/true));
  // Visibility and mutability words from a pasted Solidity declaration carry no ABI meaning.
  for (;;) {
    const size_t save = p.pos();
    p.SkipSpace();
    bool any = false;
    for (std::string_view w : {"external", "public", "internal", "private", "view", "pure",
                               "payable", "nonpayable", "virtual", "override"}) {
      if (p.ConsumeKeyword(w)) {
        any = true;
        break;
      }
    }
    if (!any) {
      p.set_pos(save);
      break;
    }
  }
  size_t save = p.pos();
  p.SkipSpace();
  const bool colon = p.Consume(':');
  p.SkipSpace();
  const bool returns = p.ConsumeKeyword("returns");
  p.SkipSpace();
  if (p.Peek() == '(') {
    ASSIGN_OR_RETURN(sig.outputs, p.ParamList(0, /*allow_names=*/true));
  } else if (colon || returns) {
    return p.Error("expected an output list");
  } else {
    p.set_pos(save);
  }
  save = p.pos();
  p.SkipSpace();
  if (!p.ConsumeKeyword("anonymous")) p.set_pos(save);
  if (!p.AtEnd()) return p.Error("unexpected trailing characters");
  return sig;
}

FunctionSelector SelectorOf(const AbiSignature& sig) {
  const Hash32 h = Keccak256(AsBytes(sig.Canonical()));
  FunctionSelector out;
  std::copy(h.begin(), h.begin() + 4, out.begin());
  return out;
}

absl::StatusOr<FunctionSelector> Selector(std::string_view signature) {
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSignature(signature));
  return SelectorOf(sig);
}

Hash32 EventTopicOf(const AbiSignature& sig) { return Keccak256(AsBytes(sig.Canonical())); }

absl::StatusOr<Hash32> EventTopic(std::string_view signature) {
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSignature(signature));
  return EventTopicOf(sig);
}

}  // namespace chainkms
