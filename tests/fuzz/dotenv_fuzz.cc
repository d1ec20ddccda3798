// The .env parser on arbitrary bytes: never crashes; every key it returns is a valid env name and
// appears once; and writing the result back as single-quoted lines (for values a single-quoted
// dotenv value can hold: no quote, no backslash) parses to the same list.
#include <cstdlib>
#include <set>
#include <string>

#include "cli/chainkms/dotenv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using chainkms::cli::EnvList;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<EnvList> env = chainkms::cli::ParseDotenv(text);
  if (!env.ok()) return 0;
  std::set<std::string> keys;
  std::string again;
  bool representable = true;
  for (const auto& [k, v] : *env) {
    if (!chainkms::cli::IsEnvKey(k) || !keys.insert(k).second) std::abort();
    if (v.find_first_of("'\\") != std::string::npos) representable = false;
    again += k + "='" + v + "'\n";
  }
  if (representable) {
    absl::StatusOr<EnvList> back = chainkms::cli::ParseDotenv(again);
    if (!back.ok() || *back != *env) std::abort();
  }
  return 0;
}
