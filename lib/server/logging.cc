#include "lib/server/logging.h"

#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"

namespace chainkms::server {
namespace {

std::string Json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendField(std::string* out, std::string_view key, const nlohmann::json& value) {
  absl::StrAppend(out, ",", Json(std::string(key)), ":", Json(value));
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("log level \"", std::string(text), "\" is not one of debug, info, warn, error"));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool RequestContext::IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string RequestContext::NewRequestId() {
  // Request ids only correlate log lines; they need to be unique, not unpredictable.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[i] = kHex[v & 0xf];
  return id;
}

RequestContext RequestContext::FromServerContext(const grpc::ServerContextBase& context) {
  RequestContext rc;
  const auto& metadata = context.client_metadata();
  auto it =
      metadata.find(grpc::string_ref(kRequestIdMetadataKey.data(), kRequestIdMetadataKey.size()));
  if (it != metadata.end()) {
    std::string_view id(it->second.data(), it->second.size());
    if (IsValidRequestId(id)) rc.request_id = std::string(id);
  }
  if (rc.request_id.empty()) rc.request_id = NewRequestId();
  return rc;
}

Logger::Logger()
    : Logger([](std::string_view line) {
        std::string with_newline = absl::StrCat(std::string(line), "\n");
        std::fwrite(with_newline.data(), 1, with_newline.size(), stderr);
      }) {}

Logger::Logger(Sink sink, LogLevel level) : level_(level), sink_(std::move(sink)) {}

Logger& Logger::Default() {
  static Logger* logger = new Logger();
  return *logger;
}

void Logger::SetLevel(LogLevel level) { level_.store(level); }
LogLevel Logger::level() const { return level_.load(); }

std::string Logger::Format(absl::Time ts, LogLevel level, std::string_view msg,
                           const LogFields& fields, const RequestContext* request) {
  std::string out = absl::StrCat(
      "{\"ts\":", Json(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone())),
      ",\"level\":", Json(std::string(LogLevelName(level))), ",\"msg\":", Json(std::string(msg)));
  if (request != nullptr) {
    AppendField(&out, "request_id", request->request_id);
    if (!request->method.empty()) AppendField(&out, "method", request->method);
  }
  for (const auto& [key, value] : fields) AppendField(&out, key, value);
  out += "}";
  return out;
}

void Logger::Log(LogLevel level, std::string_view msg, const LogFields& fields,
                 const RequestContext* request) {
  if (!Enabled(level)) return;
  std::string line = Format(absl::Now(), level, msg, fields, request);
  chainkms::MutexLock lock(&mu_);
  sink_(line);
}

void Logger::LogRpc(const RequestContext& request, std::string_view code, absl::Duration latency,
                    const LogFields& fields) {
  LogLevel level = code == "OK" ? LogLevel::kInfo : LogLevel::kWarn;
  if (code == "INTERNAL" || code == "UNKNOWN" || code == "DATA_LOSS") level = LogLevel::kError;
  if (!Enabled(level)) return;
  LogFields all = {{"code", std::string(code)},
                   {"latency_ms", absl::ToDoubleMilliseconds(latency)}};
  all.insert(all.end(), fields.begin(), fields.end());
  Log(level, "rpc", all, &request);
}

std::string Redact(std::string_view) { return "[redacted]"; }

std::string RedactKeepPrefix(std::string_view value, size_t keep) {
  if (value.size() <= keep) return Redact(value);
  return absl::StrCat(std::string(value.substr(0, keep)), "…[redacted ", value.size(), " chars]");
}

std::string RedactUrl(std::string_view url) {
  std::string_view scheme;
  std::string_view rest = url;
  if (size_t p = url.find("://"); p != std::string_view::npos) {
    scheme = url.substr(0, p + 3);
    rest = url.substr(p + 3);
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  return absl::StrCat(std::string(scheme), std::string(authority));
}

}  // namespace chainkms::server
