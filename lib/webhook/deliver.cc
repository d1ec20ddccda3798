#include "lib/webhook/deliver.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/webhook/target.h"

namespace chainkms::webhook {
namespace {

struct ConnectGuard {
  bool allow_private = false;
  std::string refused;  // why the last address was refused
};

curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* guard = static_cast<ConnectGuard*>(clientp);
  char ip[INET6_ADDRSTRLEN] = {0};
  if (address->family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr, ip,
              sizeof(ip));
  } else if (address->family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr, ip,
              sizeof(ip));
  } else {
    guard->refused = "not an IP address";
    return CURL_SOCKET_BAD;
  }
  absl::Status s = CheckWebhookAddress(ip, guard->allow_private);
  if (!s.ok()) {
    guard->refused = std::string(s.message());
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

DeliveryResult DeliverWebhook(const DeliveryRequest& request, const DeliveryOptions& options) {
  DeliveryResult result;
  absl::StatusOr<WebhookUrl> url = CheckWebhookUrl(request.url, options.allow_private);
  if (!url.ok()) {
    result.error = absl::StrCat("target refused: ", std::string(url.status().message()));
    return result;
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.error = "could not initialise libcurl";
    return result;
  }
  curl_slist* raw_headers = curl_slist_append(nullptr, "Content-Type: application/json");
  raw_headers = curl_slist_append(raw_headers, "User-Agent: chainkms-webhook/1");
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  for (const auto& [name, value] : request.headers) {
    raw_headers = curl_slist_append(raw_headers, absl::StrCat(name, ": ", value).c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
  ConnectGuard guard{.allow_private = options.allow_private};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard);
  const CURLcode code = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.http_status = static_cast<int>(status);
  if (code != CURLE_OK) {
    if (!guard.refused.empty()) {
      result.error = absl::StrCat("target refused: ", guard.refused);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      result.error = absl::StrCat("timed out after ", absl::FormatDuration(options.timeout));
    } else {
      result.error = curl_easy_strerror(code);
    }
    return result;
  }
  if (status >= 300 && status < 400) {
    result.error = absl::StrCat("HTTP ", status, " redirect (redirects are not followed)");
  } else if (status < 200 || status >= 300) {
    result.error = absl::StrCat("HTTP ", status);
  }
  return result;
}

}  // namespace chainkms::webhook
