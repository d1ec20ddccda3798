#include "cli/chainkms/dotenv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace chainkms::cli {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }
bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The rest of a line after a closing quote may hold only whitespace and a comment.
bool RestIsBlank(std::string_view text, size_t from, size_t* line_end) {
  size_t i = from;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i < text.size() && text[i] == '#') {
    while (i < text.size() && text[i] != '\n') ++i;
  }
  if (i < text.size() && text[i] == '\r') ++i;
  if (i < text.size() && text[i] != '\n') return false;
  *line_end = i;
  return true;
}

}  // namespace

bool IsEnvKey(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

void SetEnv(EnvList& env, std::string key, std::string value) {
  for (auto& [k, v] : env) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  env.emplace_back(std::move(key), std::move(value));
}

absl::StatusOr<EnvList> ParseDotenv(std::string_view text) {
  EnvList out;
  size_t i = 0;
  int line = 1;
  auto count_lines = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < text.size(); ++k) line += text[k] == '\n' ? 1 : 0;
  };
  while (i < text.size()) {
    const size_t start = i;
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view raw = Trim(text.substr(i, eol - i));
    auto next_line = [&](size_t end) {
      count_lines(start, end + 1);
      i = end + 1;
    };
    if (raw.empty() || raw[0] == '#') {
      next_line(eol);
      continue;
    }
    size_t p = i;
    while (p < eol && IsSpace(text[p])) ++p;
    if (text.substr(p, 6) == "export" && p + 6 < eol && IsSpace(text[p + 6])) {
      p += 6;
      while (p < eol && IsSpace(text[p])) ++p;
    }
    const size_t key_start = p;
    while (p < eol && IsNameChar(text[p])) ++p;
    const std::string_view key = text.substr(key_start, p - key_start);
    size_t q = p;
    while (q < eol && IsSpace(text[q])) ++q;
    bool separated = false;
    if (q < eol && text[q] == '=') {
      separated = true;
      ++q;
    } else if (p < eol && text[p] == ':' && p + 1 < eol && IsSpace(text[p + 1])) {
      separated = true;
      q = p + 1;
    }
    if (key.empty() || !separated) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line, ": expected KEY=VALUE, got \"",
                                                     std::string(raw.substr(0, 40)),
                                                     raw.size() > 40 ? "…" : "", "\""));
    }
    if (!IsEnvKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line, ": \"", std::string(key),
                       "\" is not an env name ([A-Za-z_][A-Za-z0-9_]*)"));
    }
    while (q < eol && IsSpace(text[q])) ++q;
    if (q < text.size() && (text[q] == '\'' || text[q] == '"' || text[q] == '`')) {
      const char quote = text[q];
      size_t k = q + 1;
      while (k < text.size() && text[k] != quote)
        k += (text[k] == '\\' && k + 1 < text.size() && text[k + 1] == quote) ? 2 : 1;
      size_t end = 0;
      if (k < text.size() && RestIsBlank(text, k + 1, &end)) {
        std::string value(text.substr(q + 1, k - q - 1));
        if (quote == '"') {
          value = absl::StrReplaceAll(value, {{"\\n", "\n"}, {"\\r", "\r"}});
        }
        SetEnv(out, std::string(key), std::move(value));
        next_line(end);
        continue;
      }
    }
    // Unquoted (or a quote that does not close on its terms): up to a '#', trimmed; a value
    // that both starts and ends with the same quote loses them, as in dotenv.
    size_t hash = text.find('#', q);
    const size_t stop = hash == std::string_view::npos || hash > eol ? eol : hash;
    std::string_view value = Trim(text.substr(q, stop - q));
    if (value.size() >= 2 && (value[0] == '\'' || value[0] == '"' || value[0] == '`') &&
        value.back() == value[0]) {
      const bool dq = value[0] == '"';
      value = value.substr(1, value.size() - 2);
      SetEnv(out, std::string(key),
             dq ? absl::StrReplaceAll(std::string(value), {{"\\n", "\n"}, {"\\r", "\r"}})
                : std::string(value));
    } else {
      SetEnv(out, std::string(key), std::string(value));
    }
    next_line(eol);
  }
  return out;
}

}  // namespace chainkms::cli
