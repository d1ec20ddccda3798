#include "lib/common/env.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "lib/common/secret_bytes.h"

namespace chainkms {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvLookup MapEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

void UnsetProcessEnv(const std::string& name) {
  if (char* value = std::getenv(name.c_str()); value != nullptr) {
    SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(value), std::strlen(value)));
  }
  ::unsetenv(name.c_str());
}

}  // namespace chainkms
