// Typed command-line flags with CHAINKMS_* environment equivalents, validated at startup.
//
// Precedence is flag > environment > default. A flag named "max-concurrent-rpcs" is also read
// from CHAINKMS_MAX_CONCURRENT_RPCS. Validation errors are one line naming the flag and its
// environment variable: `--listen: "abc" is not host:port (CHAINKMS_LISTEN)`.
//
//   ServerConfig config;
//   FlagSet flags("chainkms-registry: on-chain governance over gRPC");
//   RegisterServerFlags(flags, &config);
//   flags.AddString("chains", &chains, "", "chain config file", NonEmpty());
//   absl::StatusOr<ParseOutcome> outcome = flags.Parse(argc, argv);
//   if (!outcome.ok()) { std::cerr << outcome.status().message() << "\n"; return 2; }
//   if (*outcome == ParseOutcome::kHelp) { std::cout << flags.Help(); return 0; }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/env.h"

namespace chainkms::server {

// A validator returns OkStatus or an error whose message completes the sentence
// `--flag: "<value>" <message>`, e.g. "is not host:port".
template <typename T>
using Validator = std::function<absl::Status(const T&)>;

// The environment seam (lib/common/env.h); tests pass MapEnv.
using ::chainkms::EnvLookup;
using ::chainkms::ProcessEnv;

enum class ParseOutcome { kRun, kHelp };

class FlagSet {
 public:
  explicit FlagSet(std::string summary);
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;
  ~FlagSet();

  // Each Add* stores the default in *target now and the parsed value on Parse. `name` is
  // lowercase with dashes ("metrics-listen").
  void AddString(std::string name, std::string* target, std::string default_value, std::string help,
                 Validator<std::string> validator = {});
  void AddInt(std::string name, int64_t* target, int64_t default_value, std::string help,
              Validator<int64_t> validator = {});
  void AddBool(std::string name, bool* target, bool default_value, std::string help);
  // Durations use absl syntax: "10s", "500ms", "1m".
  void AddDuration(std::string name, absl::Duration* target, absl::Duration default_value,
                   std::string help, Validator<absl::Duration> validator = {});

  // Accepts --name=value, --name value, and for bools --name / --name=false. Unknown flags and
  // positional arguments are errors. Returns kHelp on --help or -h (nothing else is validated).
  absl::StatusOr<ParseOutcome> Parse(int argc, const char* const* argv,
                                     const EnvLookup& env = ProcessEnv());

  // Usage text: summary, then one entry per flag with its env variable and default.
  std::string Help() const;

  // "metrics-listen" -> "CHAINKMS_METRICS_LISTEN".
  static std::string EnvName(std::string_view flag_name);

 private:
  struct Flag;
  std::string summary_;
  std::vector<std::unique_ptr<Flag>> flags_;
};

// Validators for common shapes.
Validator<std::string> IsHostPort();         // "127.0.0.1:50051", "[::1]:0", "localhost:8080"
Validator<std::string> IsHostPortOrEmpty();  // as above, or "" (feature off)
Validator<std::string> OneOf(std::vector<std::string> allowed);
Validator<std::string> NonEmpty();
Validator<int64_t> InRange(int64_t min, int64_t max);
Validator<absl::Duration> NonNegativeDuration();

// Splits "host:port" / "[v6]:port"; the port is 0..65535.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(std::string_view address);

// Flags every server has.
struct ServerConfig {
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9464";  // "" disables the /metrics endpoint
  int64_t max_concurrent_rpcs = 256;
  int64_t max_concurrent_streams = 64;  // server streams, limited apart from unary RPCs
  std::string log_level = "info";
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// Registers --listen, --metrics-listen, --max-concurrent-rpcs, --max-concurrent-streams,
// --log-level, --shutdown-grace.
// `defaults` gives a service its own ports (every service has distinct ones, so a laptop runs all
// four with no flags).
void RegisterServerFlags(FlagSet& flags, ServerConfig* config,
                         const ServerConfig& defaults = ServerConfig());

// Defaults for in-process tests: every port is 0 (the kernel picks one).
ServerConfig TestServerConfig();

}  // namespace chainkms::server
