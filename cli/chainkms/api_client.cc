#include "cli/chainkms/api_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace chainkms::cli {
namespace {

constexpr char kHintPayload[] = "chainkms.cli/hint";

size_t Append(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() + size * n > (size_t{16} << 20)) return 0;  // oversized: abort the transfer
  s->append(data, size * n);
  return size * n;
}

std::string ConfigPath() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/chainkms/config.toml");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.config/chainkms/config.toml");
}

std::string NormalizeUrl(std::string url) {
  while (url.ends_with("/")) url.pop_back();
  if (!url.ends_with("/api/v1")) url += "/api/v1";
  return url;
}

absl::StatusCode CodeForHttp(long status) {
  switch (status) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return absl::StatusCode::kUnauthenticated;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAlreadyExists;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

absl::Status WithHint(absl::Status status, std::string_view hint) {
  if (!status.ok() && !hint.empty()) status.SetPayload(kHintPayload, absl::Cord(std::string(hint)));
  return status;
}

std::string HintOf(const absl::Status& status) {
  absl::optional<absl::Cord> c = status.GetPayload(kHintPayload);
  return c ? std::string(*c) : std::string();
}

absl::StatusOr<std::map<std::string, std::map<std::string, std::string>>> ParseConfigToml(
    std::string_view text) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::string section;
  int n = 0;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++n;
    std::string line(absl::StripAsciiWhitespace(raw));
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        return absl::InvalidArgumentError(absl::StrCat("config.toml line ", n, ": bad section"));
      }
      section = std::string(absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)));
      for (const char* prefix : {"profile.", "profiles."}) {
        if (section.starts_with(prefix)) section = section.substr(std::string(prefix).size());
      }
      out[section];
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.toml line ", n, ": expected key = \"value\""));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (value.size() < 2 || (value.front() != '"' && value.front() != '\'') ||
        value.back() != value.front()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.toml line ", n, ": the value of ", key, " must be a quoted string"));
    }
    out[section][key] = value.substr(1, value.size() - 2);
  }
  return out;
}

absl::StatusOr<ApiSettings> ResolveApiSettings(const Flags& flags) {
  ApiSettings s;
  std::optional<std::string> url = flags.Get("--api-url", "CHAINKMS_API_URL");
  std::optional<std::string> key = flags.Get("--api-key", "CHAINKMS_API_KEY");
  const std::string profile = flags.Get("--profile", "CHAINKMS_PROFILE").value_or("default");
  if (!url || !key) {
    const std::string path = ConfigPath();
    absl::StatusOr<std::string> text = ReadFileText(path);
    if (text.ok()) {
      auto config = ParseConfigToml(*text);
      if (!config.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
      }
      auto it = config->find(profile);
      if (it == config->end() && flags.Get("--profile", "CHAINKMS_PROFILE")) {
        return absl::InvalidArgumentError(absl::StrCat("no profile [", profile, "] in ", path));
      }
      if (it != config->end()) {
        if (!url && it->second.contains("api_url")) url = it->second["api_url"];
        if (!key && it->second.contains("api_key")) key = it->second["api_key"];
      }
    } else if (flags.Get("--profile", "CHAINKMS_PROFILE")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--profile ", profile, ": ", path, " not found"));
    }
  }
  if (!url) {
    return WithHint(absl::FailedPreconditionError("no API URL"),
                    "pass --api-url (or set CHAINKMS_API_URL), e.g. http://127.0.0.1:8080/api/v1");
  }
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return absl::InvalidArgumentError("--api-url must start with http:// or https://");
  }
  s.url = NormalizeUrl(*url);
  s.key = key.value_or("");
  return s;
}

absl::StatusOr<ApiResponse> ApiClient::Send(
    std::string_view method, std::string_view path, const std::optional<nlohmann::json>& body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  static const bool kInit = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!kInit) return absl::InternalError("libcurl did not initialise");
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return absl::InternalError("libcurl: no handle");
  const std::string url = absl::StrCat(settings_.url, std::string(path));
  const std::string method_s(method);
  const std::string payload = body ? body->dump() : std::string();
  curl_slist* list = nullptr;
  auto add = [&](const std::string& h) { list = curl_slist_append(list, h.c_str()); };
  add("Accept: application/json");
  if (body) add("Content-Type: application/json");
  if (!settings_.key.empty()) add("X-API-Key: " + settings_.key);
  for (const auto& [k, v] : headers) add(absl::StrCat(k, ": ", v));
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> list_owner(list, curl_slist_free_all);
  std::string out;
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_s.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  if (body || method == "POST" || method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  ++requests_;
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return WithHint(absl::UnavailableError(absl::StrCat("cannot reach the API at ", settings_.url,
                                                        ": ", curl_easy_strerror(rc))),
                    "is the gateway running? check --api-url / CHAINKMS_API_URL");
  }
  ApiResponse r;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.raw = std::move(out);
  r.body = nlohmann::json::parse(r.raw, nullptr, /*allow_exceptions=*/false);
  if (r.body.is_discarded()) r.body = nullptr;
  return r;
}

absl::StatusOr<nlohmann::json> ApiClient::Call(
    std::string_view method, std::string_view path, const std::optional<nlohmann::json>& body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  absl::StatusOr<ApiResponse> r = Send(method, path, body, headers);
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) return ApiErrorStatus(*r);
  return std::move(r->body);
}

std::map<std::string, nlohmann::json> ErrorDetails(const nlohmann::json& body) {
  std::map<std::string, nlohmann::json> out;
  if (!body.is_object() || !body.contains("detail") || !body["detail"].is_object()) return out;
  const nlohmann::json& d = body["detail"];
  if (!d.contains("details") || !d["details"].is_array()) return out;
  for (const nlohmann::json& item : d["details"]) {
    if (item.is_object() && item.contains("field") && item["field"].is_string()) {
      out[item["field"].get<std::string>()] = item.value("value", nlohmann::json());
    }
  }
  return out;
}

absl::Status ApiErrorStatus(const ApiResponse& r) {
  std::string message, code;
  if (r.body.is_object() && r.body.contains("detail")) {
    const nlohmann::json& d = r.body["detail"];
    if (d.is_string()) message = d.get<std::string>();
    if (d.is_object()) {
      if (d.contains("message") && d["message"].is_string()) message = d["message"];
      if (d.contains("error_code") && d["error_code"].is_string()) code = d["error_code"];
      auto details = ErrorDetails(r.body);
      if (auto it = details.find("field"); it == details.end()) {
        for (const auto& [field, value] : details) {
          if (value.is_string() && code == "ERR-02-008") {
            absl::StrAppend(&message, " (", field, ": ", value.get<std::string>(), ")");
          }
        }
      }
    }
  }
  if (message.empty()) message = absl::StrCat("the API answered HTTP ", r.status);
  std::string text = absl::StrCat(message, " [HTTP ", r.status, code.empty() ? "" : " ", code, "]");
  absl::Status s(CodeForHttp(r.status), text);
  switch (r.status) {
    case 401:
      return WithHint(s,
                      "check --api-key / CHAINKMS_API_KEY (keys look like ck_<16 hex>_<64 hex>)");
    case 404:
      return WithHint(s,
                      "check the CVM id (chainkms cvms list) and that the key's workspace owns it");
    case 429:
      return WithHint(s, "rate limited: wait a moment and run the command again");
    case 466:
      return WithHint(
          s, "the commit token is invalid, expired, superseded or used: run --prepare-only again");
    case 467:
      return WithHint(
          s,
          "pass the hash of the transaction that called addComposeHash on the app contract, "
          "or --transaction-hash already-registered");
    case 468:
      return WithHint(s,
                      "the compose hash is not allowed on chain yet: the owner must call "
                      "addComposeHash(bytes32) first");
    default:
      return s;
  }
}

}  // namespace chainkms::cli
