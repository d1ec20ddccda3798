// The main() of every service: flags → Config → Run, with the exit codes operators script
// against (0 ok or --help, 2 bad flags or config, 1 the server failed).
//
//   int Main(int argc, char** argv) {
//     return server::ServiceMain<Config>(argc, argv, {
//         .name = "chainkms-kms", .summary = "...", .register_flags = RegisterFlags,
//         .finish = [](Config* c) { return FinishConfig(c); },
//         .run = [](const Config& c) { return Run(c); }});
//   }
//
// ParseServiceFlags is the same parse for tests: the Config a command line (and environment)
// gives, or the error Main would print.
#pragma once

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/common/env.h"
#include "lib/server/config.h"
#include "lib/server/logging.h"

namespace chainkms::server {

template <typename Config>
struct ServiceMainSpec {
  std::string name;     // "chainkms-kms": names the failure line
  std::string summary;  // the first line of --help
  std::function<void(FlagSet&, Config*)> register_flags;
  std::function<absl::Status(Config*)> finish;  // validation after parsing
  std::function<absl::Status(const Config&)> run;
};

// `args` without the program name. nullopt on --help (its text in *help when given).
template <typename Config>
absl::StatusOr<std::optional<Config>> ParseServiceFlags(const ServiceMainSpec<Config>& spec,
                                                        const std::vector<std::string>& args,
                                                        const EnvLookup& env = ProcessEnv(),
                                                        std::string* help = nullptr) {
  Config config;
  FlagSet flags(spec.summary);
  spec.register_flags(flags, &config);
  std::vector<const char*> argv = {spec.name.c_str()};
  for (const std::string& a : args) argv.push_back(a.c_str());
  absl::StatusOr<ParseOutcome> outcome =
      flags.Parse(static_cast<int>(argv.size()), argv.data(), env);
  if (!outcome.ok()) return outcome.status();
  if (*outcome == ParseOutcome::kHelp) {
    if (help != nullptr) *help = flags.Help();
    return std::optional<Config>();
  }
  if (absl::Status s = spec.finish(&config); !s.ok()) return s;
  return std::optional<Config>(std::move(config));
}

template <typename Config>
int ServiceMain(int argc, char** argv, const ServiceMainSpec<Config>& spec) {
  std::string help;
  absl::StatusOr<std::optional<Config>> config =
      ParseServiceFlags(spec, std::vector<std::string>(argv + 1, argv + argc), ProcessEnv(), &help);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (!config->has_value()) {
    std::cout << help;
    return 0;
  }
  if (absl::Status s = spec.run(**config); !s.ok()) {
    Logger::Default().Error(spec.name + " failed", {{"error", std::string(s.message())}});
    return 1;
  }
  return 0;
}

}  // namespace chainkms::server
