// A small command-line parser for chainkms-eth subcommands: positionals, `--flag value`,
// `--flag=value`, boolean flags, short aliases and `--`.
//
//   ArgSpec spec{.value_flags = {"--nonce"}, .max_positional = 1};
//   ASSIGN_OR_RETURN(Args args, ParseArgs(argv, spec));
//   std::optional<std::string> nonce = args.Get("--nonce");
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace chainkms::cli {

struct ArgSpec {
  std::vector<std::string_view> value_flags = {};  // long names, e.g. "--nonce"
  std::vector<std::string_view> bool_flags = {};   // e.g. "--legacy"
  std::vector<std::pair<std::string_view, std::string_view>> aliases = {};  // e.g. {"-i", "--input"}
  size_t min_positional = 0;
  size_t max_positional = static_cast<size_t>(-1);
  // Tokens such as "-1" that are not flags count as positionals once this many positionals
  // have been seen (clap's allow_hyphen_values on trailing ARGS). -1: never.
  int hyphen_values_after = -1;
  std::string_view usage;  // e.g. "keccak [DATA]"
};

class Args {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view flag) const;
  std::optional<std::string> Get(std::string_view flag) const;

 private:
  friend absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const ArgSpec& spec);
  std::vector<std::string> positional_;
  std::map<std::string, std::string, std::less<>> values_;
  std::set<std::string, std::less<>> bools_;
};

// Global flags accepted by every subcommand: --json, -h/--help.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const ArgSpec& spec);

}  // namespace chainkms::cli
