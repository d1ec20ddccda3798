// HttpTestServer: a minimal HTTP/1.1 server on 127.0.0.1 (port 0) for transport tests: real
// sockets, one thread per connection, keep-alive, and counters of requests and connections so
// tests can observe connection reuse.
//
//   HttpTestServer server([](const std::string& body) {
//     return HttpTestServer::Response{.body = R"({"jsonrpc":"2.0","id":1,"result":"0x1"})"};
//   });
//   ASSERT_TRUE(server.Start().ok());
//   CurlTransport t({.url = server.url()});
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/common/sync.h"

namespace chainkms::testutil {

class HttpTestServer {
 public:
  struct Response {
    int status = 200;
    std::string body{};
    std::vector<std::pair<std::string, std::string>> headers{};  // Content-Length is added
    absl::Duration delay = absl::ZeroDuration();                 // before answering
    bool close_connection = false;                               // "Connection: close"
  };
  using Handler = std::function<Response(const std::string& body)>;
  // Also sees the request target ("/path?query") — for GET endpoints.
  using TargetHandler = std::function<Response(const std::string& target, const std::string& body)>;

  explicit HttpTestServer(Handler handler);
  explicit HttpTestServer(TargetHandler handler);
  ~HttpTestServer();  // Stop()
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Binds 127.0.0.1:0 and starts accepting.
  absl::Status Start();
  // Closes the listener and every connection and joins the threads. Idempotent.
  void Stop();

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>/"
  void SetHandler(Handler handler);

  int request_count() const { return requests_.load(); }
  int connection_count() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);
  Response Handle(const std::string& target, const std::string& body);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  chainkms::Notification stopping_;
  std::thread acceptor_;
  mutable chainkms::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  const TargetHandler target_handler_;  // set once at construction
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// A loopback port with nothing listening (bound, then released): connections are refused.
int UnusedLoopbackPort();

}  // namespace chainkms::testutil
