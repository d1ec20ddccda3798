// Structured JSON logs: one object per line on stderr, with request ids for RPCs.
//
// Every line has ts (RFC 3339 UTC), level and msg; RPC lines add request_id, method, code and
// latency_ms; callers add their own fields. Secrets never reach a log: callers pass only fields
// that are safe to publish (addresses, hashes, chain ids, counts) and wrap anything else in
// Redact()/RedactUrl() before logging it. Private keys, root keys, tokens, passwords and env
// values are never fields, not even redacted.
//
//   RequestContext rc = RequestContext::FromServerContext(*server_context);
//   Logger::Default().Info("app deployed", {{"app_id", app.ToHex()}, {"chain_id", 8453}}, &rc);
//   // {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"app deployed","request_id":"9f..",
//   //  "method":"/chainkms.v1.Registry/DeployApp","app_id":"0x..","chain_id":8453}
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/sync.h"
#include "nlohmann/json.hpp"

namespace grpc {
class ServerContextBase;
}

namespace chainkms::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn", "error".
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text);
std::string_view LogLevelName(LogLevel level);

using LogFields = std::vector<std::pair<std::string, nlohmann::json>>;

inline constexpr std::string_view kRequestIdMetadataKey = "x-request-id";

// Per-RPC identity for logs. The id comes from the incoming `x-request-id` metadata when it is
// 1-64 characters of [A-Za-z0-9._-], else it is 16 random hex characters.
struct RequestContext {
  std::string request_id;
  std::string method;  // "/package.Service/Method"

  static RequestContext FromServerContext(const grpc::ServerContextBase& context);
  static bool IsValidRequestId(std::string_view id);
  static std::string NewRequestId();
};

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;  // line without trailing newline

  // Writes to stderr at kInfo.
  Logger();
  explicit Logger(Sink sink, LogLevel level = LogLevel::kInfo);

  // The process-wide logger services use.
  static Logger& Default();

  void SetLevel(LogLevel level);
  LogLevel level() const;
  bool Enabled(LogLevel level) const { return level >= level_.load(); }

  void Log(LogLevel level, std::string_view msg, const LogFields& fields = {},
           const RequestContext* request = nullptr);
  void Debug(std::string_view msg, const LogFields& fields = {},
             const RequestContext* rc = nullptr) {
    Log(LogLevel::kDebug, msg, fields, rc);
  }
  void Info(std::string_view msg, const LogFields& fields = {},
            const RequestContext* rc = nullptr) {
    Log(LogLevel::kInfo, msg, fields, rc);
  }
  void Warn(std::string_view msg, const LogFields& fields = {},
            const RequestContext* rc = nullptr) {
    Log(LogLevel::kWarn, msg, fields, rc);
  }
  void Error(std::string_view msg, const LogFields& fields = {},
             const RequestContext* rc = nullptr) {
    Log(LogLevel::kError, msg, fields, rc);
  }

  // The one line logged per finished RPC (by the server interceptor).
  void LogRpc(const RequestContext& request, std::string_view code, absl::Duration latency,
              const LogFields& fields = {});

  // Formats a line without writing it (tests, and callers with their own sink).
  static std::string Format(absl::Time ts, LogLevel level, std::string_view msg,
                            const LogFields& fields, const RequestContext* request);

 private:
  std::atomic<LogLevel> level_;
  chainkms::Mutex mu_;
  Sink sink_ ABSL_GUARDED_BY(mu_);
};

// "[redacted]" — for a value whose presence matters but whose content must not be logged.
std::string Redact(std::string_view secret);
// Keeps the first `keep` characters: "0x1234…[redacted 66 chars]". For identifiers that are
// sensitive in full (API tokens with a public prefix); never for key material.
std::string RedactKeepPrefix(std::string_view value, size_t keep);
// "https://user:pw@host:8545/v2/KEY?x=y" -> "https://host:8545": RPC endpoints often carry API
// keys in the path or query, so only scheme, host and port are safe to log or label.
std::string RedactUrl(std::string_view url);

}  // namespace chainkms::server
