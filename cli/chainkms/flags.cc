#include "cli/chainkms/flags.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace chainkms::cli {

std::optional<std::string> Flags::Get(std::string_view name, const char* env) const {
  if (auto it = values_.find(name); it != values_.end() && !it->second.empty()) {
    return it->second.back();
  }
  if (env != nullptr) {
    const char* v = std::getenv(env);
    if (v != nullptr && *v != '\0') return std::string(v);
  }
  return std::nullopt;
}

std::vector<std::string> Flags::All(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Flags::Has(std::string_view name) const {
  return bools_.contains(name) || values_.contains(name);
}

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec) {
  Flags f;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.size() < 2 || a[0] != '-' || a == "-") {
      if (f.positional_.size() >= spec.max_positional) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
      }
      f.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, a.starts_with("--") ? eq : std::string::npos);
    bool matched = false;
    for (std::string_view b : spec.bools) {
      if (name == b) {
        if (eq != std::string::npos && a.starts_with("--")) {
          return absl::InvalidArgumentError(absl::StrCat(std::string(b), " takes no value"));
        }
        f.bools_.insert(std::string(b));
        matched = true;
      }
    }
    for (const ValueFlag& v : spec.values) {
      if (matched || (name != v.name && (v.alias.empty() || name != v.alias))) continue;
      matched = true;
      std::string value;
      if (eq != std::string::npos && a.starts_with("--")) {
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(std::string(v.name), " needs a value"));
      }
      std::vector<std::string>& slot = f.values_[std::string(v.name)];
      if (!slot.empty() && !v.repeat) {
        return absl::InvalidArgumentError(
            absl::StrCat(std::string(v.name), " given more than once"));
      }
      slot.push_back(std::move(value));
    }
    if (!matched) return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return f;
}

absl::StatusOr<std::string> ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace chainkms::cli
