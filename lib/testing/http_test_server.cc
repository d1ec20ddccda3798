#include "lib/testing/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace chainkms::testutil {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

HttpTestServer::HttpTestServer(Handler handler) : handler_(std::move(handler)), target_handler_() {}
HttpTestServer::HttpTestServer(TargetHandler handler)
    : handler_([handler](const std::string&) { return Response{}; }),
      target_handler_(std::move(handler)) {}

HttpTestServer::~HttpTestServer() { Stop(); }

std::string HttpTestServer::url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

void HttpTestServer::SetHandler(Handler handler) {
  chainkms::MutexLock l(&mu_);
  handler_ = std::move(handler);
}

absl::Status HttpTestServer::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError("socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return absl::InternalError("bind/listen on 127.0.0.1:0 failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void HttpTestServer::Stop() {
  std::vector<std::thread> workers;
  {
    chainkms::MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!stopping_.HasBeenNotified()) stopping_.Notify();
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  {
    chainkms::MutexLock l(&mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void HttpTestServer::AcceptLoop() {
  while (!stopping_.HasBeenNotified()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    chainkms::MutexLock l(&mu_);
    if (stopped_) {
      ::close(fd);
      return;
    }
    ++connections_;
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

HttpTestServer::Response HttpTestServer::Handle(const std::string& target,
                                                const std::string& body) {
  if (target_handler_) return target_handler_(target, body);
  Handler h;
  {
    chainkms::MutexLock l(&mu_);
    h = handler_;
  }
  if (h) return h(body);
  Response none;
  none.status = 500;
  none.body = "no handler";
  return none;
}

void HttpTestServer::Serve(int fd) {
  std::string buf;
  char chunk[16384];
  bool open = true;
  // Appends what the peer sends next to `buf`; false once the connection is closed or broken.
  const auto read_more = [&]() -> bool {
    while (true) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
  };
  while (open && !stopping_.HasBeenNotified()) {
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!(open = read_more())) break;
    }
    if (!open) break;
    const std::string head = Lower(buf.substr(0, header_end));
    // "GET /path?q HTTP/1.1": the target is the second word of the request line.
    std::string target;
    if (size_t sp = buf.find(' '); sp != std::string::npos && sp < header_end) {
      const size_t sp2 = buf.find(' ', sp + 1);
      if (sp2 != std::string::npos && sp2 < header_end) target = buf.substr(sp + 1, sp2 - sp - 1);
    }
    size_t content_length = 0;
    if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      content_length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
    }
    const bool client_close = head.find("\r\nconnection: close") != std::string::npos;
    buf.erase(0, header_end + 4);
    while (buf.size() < content_length) {
      if (!(open = read_more())) break;
    }
    if (!open) break;
    const std::string body = buf.substr(0, content_length);
    buf.erase(0, content_length);
    ++requests_;
    const Response r = Handle(target, body);
    if (r.delay > absl::ZeroDuration() && stopping_.WaitForNotificationWithTimeout(r.delay)) break;
    std::string out = absl::StrCat("HTTP/1.1 ", r.status, " ", Reason(r.status), "\r\n",
                                   "Content-Length: ", r.body.size(), "\r\n");
    bool has_type = false;
    for (const auto& [k, v] : r.headers) {
      absl::StrAppend(&out, k, ": ", v, "\r\n");
      has_type = has_type || Lower(k) == "content-type";
    }
    if (!has_type) out += "Content-Type: application/json\r\n";
    const bool close = r.close_connection || client_close;
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    out += r.body;
    if (!SendAll(fd, out) || close) open = false;
  }
  chainkms::MutexLock l(&mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  ::close(fd);
}

int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace chainkms::testutil
