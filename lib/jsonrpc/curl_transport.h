// CurlTransport: JsonRpcTransport over HTTP(S) with libcurl.
//
// Easy handles are pooled (a mutex-protected stack), so concurrent callers each get their own
// handle and a sequential caller keeps reusing one kept-alive connection. Redirects are never
// followed, proxies from the environment are ignored, signals are never used (NOSIGNAL), and the
// response body is capped. Describe() never shows credentials: user:pass, the query and path
// segments of 16+ characters (API keys such as infura's /v3/<key>) are replaced.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<CurlTransport> t,
//                    CurlTransport::Create({.url = "http://127.0.0.1:8545"}));
//   JsonRpcClient rpc(t);
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/transport.h"

namespace chainkms {

class CurlTransport final : public JsonRpcTransport {
 public:
  struct Options {
    std::string url{};  // http:// or https://; may hold credentials or an API key
    absl::Duration connect_timeout = absl::Seconds(5);
    absl::Duration total_timeout = absl::Seconds(30);
    size_t max_response_bytes = size_t{16} << 20;  // larger bodies are UNAVAILABLE
    size_t max_idle_handles = 16;                  // pooled handles (and connections) kept
  };

  // INVALID_ARGUMENT when the URL does not parse or is not http(s); the message never holds it.
  static absl::StatusOr<std::shared_ptr<CurlTransport>> Create(Options options);

  // Prefer Create; a bad URL here makes every Post fail with INVALID_ARGUMENT.
  explicit CurlTransport(Options options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // 2xx → body. HTTP 429 → RESOURCE_EXHAUSTED; 5xx, other non-2xx, connect failures, timeouts
  // and oversized bodies → UNAVAILABLE. Connect failures and 429 are marked WasNotDelivered.
  absl::StatusOr<std::string> Post(std::string_view body) override;
  std::string Describe() const override { return description_; }

  // A GET of `path_and_query` under the URL, with the same rules (no redirects, no proxies, the
  // body cap, the same error mapping). Response header names are lower-cased.
  struct HttpResponse {
    std::string body;
    std::map<std::string, std::string> headers;
  };
  absl::StatusOr<HttpResponse> Get(std::string_view path_and_query);

  // Handles created so far (each owns at most one connection): for tests of reuse.
  size_t handles_created() const;

 private:
  absl::StatusOr<HttpResponse> Perform(const std::string& url, bool post, std::string_view body);
  void* Acquire();             // CURL*
  void Release(void* handle);  // CURL*

  const Options options_;
  const std::string description_;
  absl::Status url_status_;
  void* headers_ = nullptr;  // curl_slist*, immutable after construction
  mutable chainkms::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
  size_t created_ ABSL_GUARDED_BY(mu_) = 0;
};

// scheme://host[:port]/path with user:pass, query and fragment removed and every path segment
// of 16 characters or more (API keys) shown as "***". Unparsable URLs describe as "<invalid url>".
std::string RedactUrl(std::string_view url);

}  // namespace chainkms
