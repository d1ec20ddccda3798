#include "cli/eth/args.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace chainkms::cli {
namespace {

bool Contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool LooksNumeric(std::string_view s) {
  return s.size() >= 2 && s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.');
}

}  // namespace

bool Args::Has(std::string_view flag) const {
  return bools_.find(flag) != bools_.end() || values_.find(flag) != values_.end();
}

std::optional<std::string> Args::Get(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const ArgSpec& spec) {
  Args out;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string tok = argv[i];
    const bool hyphen_ok = spec.hyphen_values_after >= 0 &&
                           out.positional_.size() >= static_cast<size_t>(spec.hyphen_values_after);
    if (only_positional || tok.size() < 2 || tok[0] != '-') {
      out.positional_.push_back(tok);
      continue;
    }
    if (tok == "--") {
      only_positional = true;
      continue;
    }
    std::string name = tok;
    std::optional<std::string> inline_value;
    if (tok.rfind("--", 0) == 0) {
      const size_t eq = tok.find('=');
      if (eq != std::string::npos) {
        name = tok.substr(0, eq);
        inline_value = tok.substr(eq + 1);
      }
    }
    for (const auto& [alias, full] : spec.aliases) {
      if (name == alias) name = std::string(full);
    }
    if (name == "-h") name = "--help";
    if (Contains(spec.value_flags, name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) {
          return absl::InvalidArgumentError(absl::StrCat("a value is required for '", name, "'"));
        }
        inline_value = argv[++i];
      }
      if (out.values_.count(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("the argument '", name, "' cannot be used multiple times"));
      }
      out.values_[name] = *inline_value;
      continue;
    }
    if (Contains(spec.bool_flags, name) || name == "--json" || name == "--help") {
      if (inline_value) {
        return absl::InvalidArgumentError(absl::StrCat("flag '", name, "' takes no value"));
      }
      out.bools_.insert(name);
      continue;
    }
    if (hyphen_ok || (LooksNumeric(tok) && hyphen_ok)) {
      out.positional_.push_back(tok);
      continue;
    }
    if (LooksNumeric(tok)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", tok, "' (to pass it as a value, use '-- ", tok, "')"));
    }
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", tok, "'"));
  }
  if (out.bools_.count("--help")) return out;
  if (out.positional_.size() > spec.max_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", out.positional_[spec.max_positional], "'"));
  }
  if (out.positional_.size() < spec.min_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing required argument; usage: ", std::string(spec.usage)));
  }
  return out;
}

}  // namespace chainkms::cli
