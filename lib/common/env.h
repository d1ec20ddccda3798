// Environment seam: code that reads the process environment takes an EnvLookup, so tests pass a
// map instead of mutating the real environment.
//
//   std::optional<std::string> v = env("CHAINKMS_LISTEN");  // env = ProcessEnv() in main
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace chainkms {

// Looks up an environment variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment (getenv).
EnvLookup ProcessEnv();

// A fixed map (tests).
EnvLookup MapEnv(std::map<std::string, std::string> values);

// Removes `name` from the process environment, wiping its value first (a secret read once at
// startup must not linger in /proc/<pid>/environ or reach child processes).
void UnsetProcessEnv(const std::string& name);

}  // namespace chainkms
