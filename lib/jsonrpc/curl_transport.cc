#include "lib/jsonrpc/curl_transport.h"

#include <curl/curl.h>

#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/status_macros.h"

namespace chainkms {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

CurlString UrlPart(CURLU* u, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, 0) != CURLUE_OK) return nullptr;
  return CurlString(out);
}

absl::Status ValidateUrl(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  const std::string s(url);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("rpc url: does not parse");
  }
  CurlString scheme = UrlPart(u.get(), CURLUPART_SCHEME);
  const std::string_view sch = scheme ? scheme.get() : "";
  if (sch != "http" && sch != "https") {
    return absl::InvalidArgumentError("rpc url: scheme must be http or https");
  }
  return absl::OkStatus();
}

struct Sink {
  std::string body;
  size_t limit = 0;
  bool overflow = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->body.size() + len > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, len);
  return len;
}

// One response header line → headers[lower-case name] = value (trimmed).
size_t Header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const std::string_view line(data, size * n);  // NOLINT(bugprone-suspicious-stringview-data-usage)
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    (*headers)[absl::AsciiStrToLower(std::string(line.substr(0, colon)))] =
        std::string(absl::StripAsciiWhitespace(
            absl::string_view(line.data() + colon + 1, line.size() - colon - 1)));
  }
  return size * n;
}

long Millis(absl::Duration d) {  // NOLINT(google-runtime-int): curl takes long
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return ms < 1 ? 1 : static_cast<long>(ms);  // NOLINT(google-runtime-int)
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  GlobalInit();
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  const std::string s(url);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) return "<invalid url>";
  CurlString scheme = UrlPart(u.get(), CURLUPART_SCHEME);
  CurlString host = UrlPart(u.get(), CURLUPART_HOST);
  CurlString port = UrlPart(u.get(), CURLUPART_PORT);
  CurlString path = UrlPart(u.get(), CURLUPART_PATH);
  if (!scheme || !host) return "<invalid url>";
  std::string out = absl::StrCat(scheme.get(), "://", host.get());
  if (port) absl::StrAppend(&out, ":", port.get());
  std::string p = path ? path.get() : "/";
  std::vector<std::string> segments = absl::StrSplit(p, '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i].size() >= 16 ? "***" : segments[i];
  }
  return out;
}

CurlTransport::CurlTransport(Options options)
    : options_(std::move(options)), description_(RedactUrl(options_.url)) {
  GlobalInit();
  url_status_ = ValidateUrl(options_.url);
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, "Accept: application/json");
  h = curl_slist_append(h, "Expect:");  // no 100-continue round trip for large bodies
  headers_ = h;
}

absl::StatusOr<std::shared_ptr<CurlTransport>> CurlTransport::Create(Options options) {
  GlobalInit();
  if (absl::Status s = ValidateUrl(options.url); !s.ok()) return s;
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.total_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("rpc timeouts must be positive");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("rpc max_response_bytes must be positive");
  }
  return std::make_shared<CurlTransport>(std::move(options));
}

CurlTransport::~CurlTransport() {
  chainkms::MutexLock l(&mu_);
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
  idle_.clear();
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

size_t CurlTransport::handles_created() const {
  chainkms::MutexLock l(&mu_);
  return created_;
}

void* CurlTransport::Acquire() {
  {
    chainkms::MutexLock l(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();  // most recently used: its connection is the likeliest alive
      idle_.pop_back();
      return h;
    }
    ++created_;
  }
  return curl_easy_init();
}

void CurlTransport::Release(void* handle) {
  {
    chainkms::MutexLock l(&mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

absl::StatusOr<std::string> CurlTransport::Post(std::string_view body) {
  ASSIGN_OR_RETURN(HttpResponse r, Perform(options_.url, /*post=*/true, body));
  return std::move(r.body);
}

absl::StatusOr<CurlTransport::HttpResponse> CurlTransport::Get(std::string_view path_and_query) {
  std::string base = options_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return Perform(absl::StrCat(base, std::string(path_and_query)), /*post=*/false, {});
}

absl::StatusOr<CurlTransport::HttpResponse> CurlTransport::Perform(const std::string& url,
                                                                   bool post,
                                                                   std::string_view body) {
  if (!url_status_.ok()) return url_status_;
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  // Handles are reused for their connections only; every option is set anew for each request.
  curl_easy_reset(curl);
  Sink sink;
  sink.limit = options_.max_response_bytes;
  HttpResponse response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Millis(options_.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Millis(options_.total_timeout));
  if (post) {
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(curl);
  long http = 0;  // NOLINT(google-runtime-int): curl's type
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  long connects = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  curl_off_t connect_time = 0;
  curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_time);
  // Detach the stack buffers before the handle goes back to the pool.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, nullptr);
  Release(curl);

  if (rc != CURLE_OK) {
    if (sink.overflow) {
      return absl::UnavailableError(absl::StrCat("rpc ", description_, ": response larger than ",
                                                 options_.max_response_bytes, " bytes"));
    }
    // curl's messages name host and port, never the user, password or path.
    const std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    absl::Status s = absl::UnavailableError(absl::StrCat("rpc ", description_, ": ", detail));
    const bool never_connected =
        rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        (rc == CURLE_OPERATION_TIMEDOUT && connect_time == 0 && http == 0 && connects > 0);
    return never_connected ? MarkNotDelivered(std::move(s)) : s;
  }
  if (http == 429) {
    return MarkNotDelivered(absl::ResourceExhaustedError(
        absl::StrCat("rpc ", description_, ": HTTP 429 (rate limited)")));
  }
  if (http < 200 || http > 299) {
    return absl::UnavailableError(absl::StrCat("rpc ", description_, ": HTTP ", http));
  }
  response.body = std::move(sink.body);
  return response;
}

}  // namespace chainkms
