#include "services/gateway/rest_api.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/server/logging.h"
#include "lib/server/status.h"
#include "services/gateway/confirm_page.h"
#include "services/gateway/rest_internal.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace rest {

namespace {

struct ErrorShape {
  int status;
  std::string code;  // error_code
};

// Our reasons that have a Phala Cloud error code and HTTP status.
std::optional<ErrorShape> PhalaShape(std::string_view reason) {
  if (reason == "HASH_REGISTRATION_REQUIRED") return ErrorShape{465, "ERR-01-005"};
  if (reason == "HASH_INVALID_OR_EXPIRED") return ErrorShape{466, "ERR-01-006"};
  if (reason == "TRANSACTION_VERIFICATION_FAILED") return ErrorShape{467, "ERR-01-007"};
  if (reason == "HASH_NOT_ALLOWED") return ErrorShape{468, "ERR-01-008"};
  if (reason == "CVM_NOT_FOUND") return ErrorShape{404, "ERR-03-001"};
  if (reason == "CVM_APP_ID_CONFLICT") return ErrorShape{409, "ERR-03-007"};
  if (reason == "INVALID_FIELD") return ErrorShape{400, "ERR-02-008"};
  return std::nullopt;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

HttpResponse Render(absl::StatusCode code, std::string message, const std::string& reason,
                    const std::map<std::string, std::string>& metadata) {
  std::optional<ErrorShape> shape = PhalaShape(reason);
  int status = shape.has_value() ? shape->status : HttpStatusOf(code);
  if (reason == "OVERLOADED") status = 503;
  // 5xx bodies never carry a backend's words (addresses, internals): one plain sentence.
  if (status >= 500) {
    message = status == 503   ? "a backend service is unavailable; retry with backoff"
              : status == 504 ? "the request took too long; retry"
              : status == 501 ? "not offered by this gateway"
                              : "internal error";
    if (reason == "OVERLOADED") message = "the gateway is overloaded; retry with backoff";
  }
  json detail = {{"error_code", shape.has_value() ? shape->code
                                : reason.empty()  ? std::string(absl::StatusCodeToString(code))
                                                  : reason},
                 {"message", message}};
  json details = json::array();
  if (status < 500) {
    for (const auto& [k, v] : metadata) details.push_back({{"field", k}, {"value", v}});
  }
  detail["details"] = details;
  HttpResponse resp = Json(status, {{"detail", detail}});
  if (status == 429) {
    int64_t ms = 1000;
    auto it = metadata.find("retry_after_ms");
    if (it != metadata.end()) (void)absl::SimpleAtoi(it->second, &ms);
    resp.headers.emplace_back("Retry-After",
                              std::to_string(std::max<int64_t>(1, (ms + 999) / 1000)));
  }
  if (status == 503) resp.headers.emplace_back("Retry-After", "1");
  return resp;
}

bool IsSegmentChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == '~';
}

struct Route {
  const char* method;
  const char* pattern;  // after /api/v1; "*" matches one segment
  const char* name;     // the metrics label
  Handler handler;
  bool needs_key = true;
};

constexpr Route kRoutes[] = {
    {"POST", "/cvms/provision", "/api/v1/cvms/provision", ProvisionCvm},
    {"POST", "/cvms", "/api/v1/cvms", CommitCvmProvision},
    {"GET", "/cvms", "/api/v1/cvms", ListCvms},
    {"GET", "/cvms/*", "/api/v1/cvms/{cvm}", GetCvm},
    {"GET", "/cvms/*/compose_file", "/api/v1/cvms/{cvm}/compose_file", GetComposeFile},
    {"PATCH", "/cvms/*", "/api/v1/cvms/{cvm}", PatchCvm},
    {"POST", "/cvms/*/commit-update", "/api/v1/cvms/{cvm}/commit-update", CommitCvmUpdate, false},
    {"POST", "/cvms/*/is-allowed", "/api/v1/cvms/{cvm}/is-allowed", IsAllowed},
    {"GET", "/kms", "/api/v1/kms", ListKms},
    {"GET", "/kms/*", "/api/v1/kms/{kms}", GetKms},
    {"GET", "/kms/*/pubkey/*", "/api/v1/kms/{kms}/pubkey/{app_id}", GetKmsPubkey},
    {"GET", "/apps/*/device-allowlist", "/api/v1/apps/{app_id}/device-allowlist", DeviceAllowlist},
    {"GET", "/workspace/webhooks", "/api/v1/workspace/webhooks", ListWebhooks},
    {"POST", "/workspace/webhooks", "/api/v1/workspace/webhooks", CreateWebhook},
    {"DELETE", "/workspace/webhooks/*", "/api/v1/workspace/webhooks/{id}", DeleteWebhook},
    {"POST", "/workspace/webhooks/*/rotate-secret", "/api/v1/workspace/webhooks/{id}/rotate-secret",
     RotateWebhook},
    {"GET", "/workspace/webhooks/*/deliveries", "/api/v1/workspace/webhooks/{id}/deliveries",
     ListDeliveries},
};

bool Matches(std::string_view pattern, const std::vector<std::string>& segs) {
  std::vector<absl::string_view> want =
      absl::StrSplit(absl::string_view(pattern.data() + 1, pattern.size() - 1), '/');
  if (want.size() != segs.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] != "*" && want[i] != segs[i]) return false;
  }
  return true;
}

}  // namespace

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse Error(const absl::Status& status) {
  std::optional<Reason> reason = ReasonOf(status);
  std::map<std::string, std::string> md;
  for (const auto& [k, v] : MetadataOf(status)) md[k] = v;
  return Render(status.code(), std::string(status.message()),
                reason.has_value() ? std::string(ReasonName(*reason)) : "", md);
}

HttpResponse Error(const grpc::Status& status) {
  std::string reason;
  std::map<std::string, std::string> md;
  if (!status.error_details().empty()) {
    absl::StatusOr<server::DecodedDetails> d = server::DecodeStatusDetails(status.error_details());
    if (d.ok()) {
      reason = d->reason;
      md = d->metadata;
    }
  }
  return Render(static_cast<absl::StatusCode>(status.error_code()), status.error_message(), reason,
                md);
}

HttpResponse BadField(std::string_view field, std::string_view what) {
  return Error(InvalidFieldError(field, what));
}

absl::StatusOr<json> BodyObject(const HttpRequest& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidFieldError("body", "is not valid JSON");
  }
  if (!j.is_object()) return InvalidFieldError("body", "must be a JSON object");
  return j;
}

absl::Status ReadString(const json& obj, std::string_view key, std::string* out, bool* present) {
  auto it = obj.find(std::string(key));
  if (present != nullptr) *present = false;
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return InvalidFieldError(key, "must be a string");
  *out = it->get<std::string>();
  if (present != nullptr) *present = true;
  return absl::OkStatus();
}

absl::Status ReadBool(const json& obj, std::string_view key, std::optional<bool>* out) {
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) return InvalidFieldError(key, "must be true or false");
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadStrings(const json& obj, std::string_view key, std::vector<std::string>* out,
                         bool* present) {
  auto it = obj.find(std::string(key));
  if (present != nullptr) *present = false;
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return InvalidFieldError(key, "must be an array of strings");
  out->clear();
  for (const json& v : *it) {
    if (!v.is_string()) return InvalidFieldError(key, "must be an array of strings");
    out->push_back(v.get<std::string>());
  }
  if (present != nullptr) *present = true;
  return absl::OkStatus();
}

absl::Status ReadUint(const json& obj, std::string_view key, std::optional<uint64_t>* out) {
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return InvalidFieldError(key, "must be a non-negative integer");
  }
  *out = it->get<uint64_t>();
  return absl::OkStatus();
}

absl::StatusOr<std::string> HexBytes(std::string_view value, std::string_view field) {
  absl::StatusOr<Bytes> b = HexDecode(value);
  if (!b.ok()) return InvalidFieldError(field, "must be hex (0x optional)");
  return std::string(b->begin(), b->end());
}

absl::StatusOr<std::string> HexField(std::string_view value, size_t n, std::string_view field) {
  absl::StatusOr<std::string> raw = HexBytes(value, field);
  if (!raw.ok()) return raw.status();
  if (raw->size() != n) {
    return InvalidFieldError(
        field, absl::StrCat("must be ", n, " bytes (", 2 * n, " hex digits), got ", raw->size()));
  }
  return raw;
}

std::string Hex0x(const std::string& raw) {
  return HexEncode(ByteView(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), true);
}
std::string HexPlain(const std::string& raw) {
  return HexEncode(ByteView(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), false);
}

}  // namespace rest

HttpResponse RestApi::Handle(const HttpRequest& req) {
  std::string request_id(req.Header("x-request-id"));
  if (!server::RequestContext::IsValidRequestId(request_id)) {
    request_id = server::RequestContext::NewRequestId();
  }
  const absl::Time start = absl::Now();
  auto finish = [&](HttpResponse r) {
    r.headers.emplace_back("X-Request-Id", request_id);
    // One line per request, with the id the backends log too (never the raw path or query: they
    // may hold commit tokens).
    const server::RequestContext rc{.request_id = request_id, .method = ""};
    std::string method = "OTHER";
    for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      if (req.method == m) method = m;
    }
    server::Logger::Default().Log(r.status >= 500   ? server::LogLevel::kError
                                  : r.status >= 400 ? server::LogLevel::kWarn
                                                    : server::LogLevel::kInfo,
                                  "http",
                                  {{"http_method", method},
                                   {"route", r.route.empty() ? std::string("unmatched") : r.route},
                                   {"status", r.status},
                                   {"latency_ms", absl::ToDoubleMilliseconds(absl::Now() - start)}},
                                  &rc);
    std::string_view origin = req.Header("origin");
    if (!origin.empty()) {
      for (const std::string& o : options_.cors_origins) {
        if (o == "*" || o == origin) {
          r.headers.emplace_back("Access-Control-Allow-Origin",
                                 o == "*" ? "*" : std::string(origin));
          r.headers.emplace_back("Vary", "Origin");
          break;
        }
      }
    }
    return r;
  };

  // The global concurrency limit, as for gRPC calls.
  server::ConcurrencyLimiter::Permit permit;
  if (gateway_.serving().unary != nullptr) {
    permit = gateway_.serving().unary->TryAcquire();
    if (!permit) {
      HttpResponse r = rest::Error(server::OverloadedError(
          "gateway is at its concurrent request limit; retry with backoff"));
      r.route = "overloaded";
      return finish(r);
    }
  }
  // The confirm page, outside /api/v1: GET /cvms/{cvm}/confirm-update?token=…
  {
    std::vector<std::string> parts = absl::StrSplit(req.path, '/');
    if (parts.size() == 4 && parts[0].empty() && parts[1] == "cvms" &&
        parts[3] == "confirm-update") {
      HttpResponse r;
      if (req.method != "GET" && req.method != "HEAD") {
        r = rest::Json(405, {{"detail", "method not allowed"}});
      } else if (parts[2].empty() || parts[2].size() > 200 ||
                 !std::all_of(parts[2].begin(), parts[2].end(), rest::IsSegmentChar)) {
        r = rest::BadField("path", "has a segment with characters outside [A-Za-z0-9._~-]");
      } else {
        absl::StatusOr<CallScope> scope =
            gateway_.AdmitOptionalKey("", req.remote, request_id, absl::InfiniteFuture(), nullptr);
        if (!scope.ok()) {
          r = rest::Error(scope.status());
        } else {
          rest::Call call{.http = req,
                          .segments = {"cvms", parts[2]},
                          .scope = *std::move(scope),
                          .gateway = gateway_};
          r = rest::ConfirmPage(call);
        }
      }
      r.route = "/cvms/{cvm}/confirm-update";
      return finish(r);
    }
  }
  constexpr std::string_view kPrefix = "/api/v1";
  if (req.path.size() > 2048 || !req.path.starts_with(kPrefix) ||
      (req.path.size() > kPrefix.size() && req.path[kPrefix.size()] != '/')) {
    HttpResponse r = rest::Json(404, {{"detail", "not found"}});
    return finish(r);
  }
  std::vector<std::string> segs;
  for (absl::string_view s :
       absl::StrSplit(req.path.substr(kPrefix.size()), '/', absl::SkipEmpty())) {
    if (s.size() > 200 || !std::all_of(s.begin(), s.end(), rest::IsSegmentChar)) {
      HttpResponse r =
          rest::BadField("path", "has a segment with characters outside [A-Za-z0-9._~-]");
      return finish(r);
    }
    segs.emplace_back(s);
  }
  if (req.method == "OPTIONS") {
    if (options_.cors_origins.empty()) {
      HttpResponse r = rest::Json(405, {{"detail", "method not allowed"}});
      return finish(r);
    }
    HttpResponse r;
    r.status = 204;
    r.route = "preflight";
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE"},
                 {"Access-Control-Allow-Headers",
                  "Content-Type, X-API-Key, X-Phala-Version, X-Prepare-Only, X-Compose-Hash, "
                  "X-Transaction-Hash, X-Request-Id"},
                 {"Access-Control-Max-Age", "600"}};
    return finish(r);
  }
  const rest::Route* route = nullptr;
  bool path_known = false;
  for (const rest::Route& r : rest::kRoutes) {
    if (!rest::Matches(r.pattern, segs)) continue;
    path_known = true;
    if (req.method == r.method || (req.method == "HEAD" && std::string_view(r.method) == "GET")) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) {
    HttpResponse r = path_known ? rest::Json(405, {{"detail", "method not allowed"}})
                                : rest::Json(404, {{"detail", "not found"}});
    return finish(r);
  }
  absl::StatusOr<CallScope> scope =
      route->needs_key
          ? gateway_.Admit(req.Header("x-api-key"), request_id, absl::InfiniteFuture(), nullptr)
          : gateway_.AdmitOptionalKey(req.Header("x-api-key"), req.remote, request_id,
                                      absl::InfiniteFuture(), nullptr);
  HttpResponse r;
  if (!scope.ok()) {
    r = rest::Error(scope.status());
  } else {
    rest::Call call{
        .http = req, .segments = std::move(segs), .scope = *std::move(scope), .gateway = gateway_};
    r = route->handler(call);
  }
  r.route = route->name;
  return finish(r);
}

}  // namespace chainkms::gateway
