// The gateway's HTTP API as the `chainkms` CLI uses it (docs/gateway.md, Phala Cloud-compatible
// routes under /api/v1), and where the CLI finds it:
//   --api-url / CHAINKMS_API_URL, --api-key / CHAINKMS_API_KEY, else the profile (--profile /
//   CHAINKMS_PROFILE, default "default") in $XDG_CONFIG_HOME/chainkms/config.toml (default
//   ~/.config/chainkms/config.toml):
//
//     [default]
//     api_url = "http://127.0.0.1:8080/api/v1"
//     api_key = "ck_…"
//
// Errors carry a one-line message and, where one helps, a hint (WithHint / HintOf): the CLI
// prints "error: <message>" and "hint: <hint>".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/chainkms/flags.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {

// A hint for the user travels with the status as a payload.
absl::Status WithHint(absl::Status status, std::string_view hint);
std::string HintOf(const absl::Status& status);

struct ApiSettings {
  std::string url;  // ends in /api/v1
  std::string key;  // may be empty (commit-update needs none)
};

// Flags, then environment, then the profile. INVALID_ARGUMENT for a malformed config file or an
// unknown --profile; FAILED_PRECONDITION (with a hint) when no API URL is known at all.
absl::StatusOr<ApiSettings> ResolveApiSettings(const Flags& flags);

// Parses the small TOML subset of config.toml: [section] headers and key = "string" lines;
// comments with #. Returns section → key → value.
absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> ParseConfigToml(
    std::string_view text);

struct ApiResponse {
  long status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string raw;
};

class ApiClient {
 public:
  explicit ApiClient(ApiSettings settings) : settings_(std::move(settings)) {}

  // Sends one request; any HTTP status is an answer. UNAVAILABLE when the gateway cannot be
  // reached (with a hint naming the URL's host).
  absl::StatusOr<ApiResponse> Send(
      std::string_view method, std::string_view path,
      const std::optional<nlohmann::json>& body = std::nullopt,
      const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  // Send, then a non-2xx answer becomes an error (ApiErrorStatus).
  absl::StatusOr<nlohmann::json> Call(
      std::string_view method, std::string_view path,
      const std::optional<nlohmann::json>& body = std::nullopt,
      const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

  const ApiSettings& settings() const { return settings_; }
  // Requests sent so far (for --debug and the bench).
  int requests() const { return requests_; }

 private:
  ApiSettings settings_;
  mutable int requests_ = 0;
};

// A non-2xx answer as a status with the gateway's message and error code, and a hint for the
// codes a user can act on (401 key, 466 token → "run --prepare-only again", 468 not allowed…).
absl::Status ApiErrorStatus(const ApiResponse& r);

// The `details` of a structured error as field → value.
std::map<std::string, nlohmann::json> ErrorDetails(const nlohmann::json& body);

}  // namespace chainkms::cli
