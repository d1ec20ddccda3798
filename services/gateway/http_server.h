// A small HTTP/1.1 server over CivetWeb for the gateway's HTTP/JSON surface. It reads the whole
// request (refusing bodies over the limit with 413 before reading them), hands a plain HttpRequest
// to one handler function — run on the server's own worker threads with ordinary stacks, because
// Debian's CivetWeb gives its connection threads small fixed stacks (a JSON-heavy handler
// overflowed them under AddressSanitizer) — and writes its HttpResponse with the security headers
// every answer carries (nosniff, no-store, no referrer, frame-ancestors none). Counted in
// chainkms_http_requests_total / chainkms_http_latency_seconds by the route template the handler
// names, never by the raw path.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/sync.h"
#include "lib/server/metrics.h"

struct mg_context;
struct mg_connection;

namespace chainkms::gateway {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", …
  std::string path;                                          // URL-decoded, without the query
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote;  // the peer's address

  // The first header of that (lowercase) name, or "".
  std::string_view Header(std::string_view lower_name) const;
  // The URL-decoded value of a query parameter, or nullopt-like "" with found = false.
  bool QueryParam(std::string_view name, std::string* value) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "unmatched";  // the metrics label
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";
  int64_t threads = 8;
  int64_t max_body_bytes = 1 << 20;
  server::Metrics* metrics = nullptr;
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops accepting and waits for the requests in flight. Idempotent.
  void Stop();

 private:
  HttpServer(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  static int OnRequest(::mg_connection* conn, void* self);
  void Serve(::mg_connection* conn);
  // Runs handler_(req) on a worker thread and waits for it.
  HttpResponse Dispatch(const HttpRequest& req);
  void Work();

  struct Job {
    const HttpRequest* req;
    HttpResponse* resp;
    bool done = false;
  };

  HttpServerOptions options_;
  HttpHandler handler_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  chainkms::Mutex mu_;
  chainkms::CondVar work_cv_;  // a job queued, or stopping
  chainkms::CondVar done_cv_;  // a job done
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace chainkms::gateway
