#include "services/gateway/http_server.h"

#include <civetweb.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace chainkms::gateway {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 465:
      return "Compose Hash Registration Required";
    case 466:
      return "Compose Hash Invalid Or Expired";
    case 467:
      return "Transaction Verification Failed";
    case 468:
      return "Compose Hash Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

// A header value we write: no CR/LF (no response splitting).
std::string Clean(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

bool HttpRequest::QueryParam(std::string_view name, std::string* value) const {
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    std::string key(kv.first.size() + 1, '\0');
    int n = mg_url_decode(kv.first.data(), static_cast<int>(kv.first.size()), key.data(),
                          static_cast<int>(key.size()), 1);
    if (n < 0) continue;
    key.resize(static_cast<size_t>(n));
    if (key != name) continue;
    std::string v(kv.second.size() + 1, '\0');
    n = mg_url_decode(kv.second.data(), static_cast<int>(kv.second.size()), v.data(),
                      static_cast<int>(v.size()), 1);
    if (n < 0) return false;
    v.resize(static_cast<size_t>(n));
    *value = std::move(v);
    return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler handler) {
  std::unique_ptr<HttpServer> self(new HttpServer(std::move(options), std::move(handler)));
  const std::string threads = std::to_string(self->options_.threads);
  const char* opts[] = {"listening_ports",
                        self->options_.listen.c_str(),
                        "num_threads",
                        threads.c_str(),
                        "request_timeout_ms",
                        "30000",
                        "enable_keep_alive",
                        "yes",
                        nullptr};
  for (int64_t i = 0; i < self->options_.threads; ++i) {
    self->workers_.emplace_back([raw = self.get()] { raw->Work(); });
  }
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // ours logs
  self->ctx_ = mg_start(&callbacks, nullptr, opts);
  if (self->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", self->options_.listen));
  }
  mg_set_request_handler(self->ctx_, "/", &HttpServer::OnRequest, self.get());
  mg_server_port ports[4];
  const int n = mg_get_server_ports(self->ctx_, 4, ports);
  if (n > 0) self->port_ = ports[0].port;
  return self;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);  // waits for the connection threads, hence for every dispatched job
    ctx_ = nullptr;
  }
  {
    chainkms::MutexLock l(&mu_);
    stopping_ = true;
  }
  work_cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void HttpServer::Work() {
  for (;;) {
    Job* job = nullptr;
    {
      chainkms::MutexLock l(&mu_);
      while (jobs_.empty() && !stopping_) work_cv_.Wait(&mu_);
      if (jobs_.empty()) return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    HttpResponse resp = handler_(*job->req);
    {
      chainkms::MutexLock l(&mu_);
      *job->resp = std::move(resp);
      job->done = true;
    }
    done_cv_.SignalAll();
  }
}

HttpResponse HttpServer::Dispatch(const HttpRequest& req) {
  HttpResponse resp;
  Job job{.req = &req, .resp = &resp};
  {
    chainkms::MutexLock l(&mu_);
    jobs_.push_back(&job);
  }
  work_cv_.Signal();
  chainkms::MutexLock l(&mu_);
  while (!job.done) done_cv_.Wait(&mu_);
  return resp;
}

int HttpServer::OnRequest(mg_connection* conn, void* self) {
  static_cast<HttpServer*>(self)->Serve(conn);
  return 1;
}

void HttpServer::Serve(mg_connection* conn) {
  const absl::Time start = absl::Now();
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest req;
  req.method = info->request_method != nullptr ? info->request_method : "";
  req.path = info->local_uri != nullptr ? info->local_uri : "";
  req.query = info->query_string != nullptr ? info->query_string : "";
  req.remote = info->remote_addr;
  for (int i = 0; i < info->num_headers; ++i) {
    req.headers.emplace_back(
        Lower(info->http_headers[i].name),
        info->http_headers[i].value != nullptr ? info->http_headers[i].value : "");
  }
  HttpResponse resp;
  bool too_large = info->content_length > options_.max_body_bytes;
  if (!too_large) {
    char buf[16384];
    int n;
    while ((n = mg_read(conn, buf, sizeof(buf))) > 0) {
      req.body.append(buf, static_cast<size_t>(n));
      if (static_cast<int64_t>(req.body.size()) > options_.max_body_bytes) {
        too_large = true;
        break;
      }
    }
  }
  if (too_large) {
    resp.status = 413;
    resp.route = "too_large";
    resp.body = absl::StrCat(R"({"detail":"request body larger than )", options_.max_body_bytes,
                             R"( bytes"})");
  } else {
    resp = Dispatch(req);
  }
  std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " ", StatusText(resp.status),
                                  "\r\nContent-Type: ", Clean(resp.content_type),
                                  "\r\nContent-Length: ", resp.body.size(),
                                  "\r\nX-Content-Type-Options: nosniff"
                                  "\r\nCache-Control: no-store"
                                  "\r\nReferrer-Policy: no-referrer");
  bool has_csp = false;
  for (const auto& [k, v] : resp.headers) {
    if (Lower(k) == "content-security-policy") has_csp = true;
    absl::StrAppend(&head, "\r\n", Clean(k), ": ", Clean(v));
  }
  if (!has_csp)
    absl::StrAppend(&head,
                    "\r\nContent-Security-Policy: default-src 'none'; frame-ancestors 'none'");
  if (too_large) absl::StrAppend(&head, "\r\nConnection: close");
  absl::StrAppend(&head, "\r\n\r\n");
  // Counted before the answer leaves: a client that saw it also sees it counted.
  if (options_.metrics != nullptr) {
    // Method names are the client's words: only the known ones become label values.
    static constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                    "PATCH", "DELETE", "OPTIONS"};
    std::string_view method = "OTHER";
    for (std::string_view m : kMethods) {
      if (req.method == m) method = m;
    }
    options_.metrics->RecordHttp(resp.route, method, resp.status, absl::Now() - start);
  }
  // One write: headers and body in one segment (two small writes meet Nagle and delayed ACK,
  // 40 ms per keep-alive request).
  if (req.method != "HEAD") head += resp.body;
  mg_write(conn, head.data(), head.size());
}

}  // namespace chainkms::gateway
