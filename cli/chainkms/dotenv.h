// .env files as the dotenv package (v16) reads them (DESIGN §5.4), for `chainkms envs encrypt`
// and `chainkms deploy -e`:
//   - `export ` before a key is ignored; the separator is `=` (spaces around it allowed) or `: `;
//   - values may be single-, double- or backtick-quoted, and quoted values may span lines;
//     `\n` and `\r` become a newline / carriage return only inside double quotes;
//   - in an unquoted value `#` starts a comment and surrounding whitespace is trimmed;
//   - the last of duplicate keys wins, keeping the position of the first.
// Stricter than dotenv where it would silently drop input: a non-blank, non-comment line with no
// separator, and a key outside ^[A-Za-z_][A-Za-z0-9_]*$, are INVALID_ARGUMENT naming the line.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace chainkms::cli {

using EnvList = std::vector<std::pair<std::string, std::string>>;

absl::StatusOr<EnvList> ParseDotenv(std::string_view text);

// True for ^[A-Za-z_][A-Za-z0-9_]*$.
bool IsEnvKey(std::string_view key);

// Adds or replaces (last wins, first position kept).
void SetEnv(EnvList& env, std::string key, std::string value);

}  // namespace chainkms::cli
