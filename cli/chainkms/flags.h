// Flags of the `chainkms` subcommands: `--flag value`, `--flag=value`, short aliases (`-c`),
// repeatable value flags (`-e A=1 -e .env`), boolean flags, positionals, `--`, and an
// environment-variable fallback per flag (`--private-key` ← PRIVATE_KEY).
//
//   FlagSpec spec{.values = {{"--compose", "-c"}, {"--env", "-e", /*repeat=*/true}},
//                 .bools = {"--json", "--wait"}};
//   ASSIGN_OR_RETURN(Flags f, ParseFlags(args, spec));
//   std::optional<std::string> rpc = f.Get("--rpc-url", "ETH_RPC_URL");
//
// Errors (INVALID_ARGUMENT) name the flag: unknown flags, a value flag without its value, a
// non-repeatable flag given twice, too many positionals.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace chainkms::cli {

struct ValueFlag {
  std::string_view name;        // "--compose"
  std::string_view alias = {};  // "-c"
  bool repeat = false;          // may be given more than once
};

struct FlagSpec {
  std::vector<ValueFlag> values = {};
  std::vector<std::string_view> bools = {};  // "--json", or "--json|-j" is not supported: list both
  size_t max_positional = 0;
};

class Flags {
 public:
  // The last value of `name`, else the environment variable `env` when set and non-empty.
  std::optional<std::string> Get(std::string_view name, const char* env = nullptr) const;
  // Every value of a repeatable flag, in order.
  std::vector<std::string> All(std::string_view name) const;
  bool Has(std::string_view name) const;  // a bool flag given, or a value flag given
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args,
                                          const FlagSpec& spec);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::set<std::string, std::less<>> bools_;
  std::vector<std::string> positional_;
};

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec);

// The whole file, or NOT_FOUND naming `path`.
absl::StatusOr<std::string> ReadFileText(const std::string& path);

}  // namespace chainkms::cli
