#include "lib/testing/anvil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace chainkms::testutil {
namespace {

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A plain libcurl POST: the harness must not depend on the client code it helps to test.
absl::StatusOr<std::string> PostJson(const std::string& url, const std::string& body) {
  CURL* curl = curl_easy_init();
  if (!curl) return absl::InternalError("curl_easy_init failed");
  std::string reply;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("anvil at ", url, ": ", curl_easy_strerror(rc)));
  }
  return reply;
}

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

}  // namespace

absl::StatusOr<int> PickFreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::UnavailableError("cannot bind a loopback port");
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string AnvilProcess::DefaultBinary() {
  if (const char* env = std::getenv("CHAINKMS_ANVIL"); env && *env) return env;
#ifdef CHAINKMS_SOURCE_DIR
  return std::string(CHAINKMS_SOURCE_DIR) +
         "/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
#else
  return "anvil";
#endif
}

absl::StatusOr<std::unique_ptr<AnvilProcess>> AnvilProcess::Start(Options options) {
  const std::string binary = options.binary.empty() ? DefaultBinary() : options.binary;
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("anvil binary not found at ", binary, " (run scripts/setup)"));
  }
  absl::Status last = absl::UnavailableError("anvil did not start");
  // Another process may take the port between picking and binding; try a few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<AnvilProcess> p(new AnvilProcess());
    p->port_ = *port;
    p->chain_id_ = options.chain_id;
    p->url_ = absl::StrCat("http://127.0.0.1:", *port);
    char log_template[] = "/tmp/chainkms-anvil-XXXXXX";
    const int log_fd = mkstemp(log_template);
    if (log_fd < 0) return absl::UnavailableError("cannot create anvil log file");
    p->log_path_ = log_template;

    std::vector<std::string> args = {binary,          "--host", "127.0.0.1",
                                     "--port",        absl::StrCat(*port),
                                     "--chain-id",    absl::StrCat(options.chain_id)};
    if (options.block_time_seconds > 0) {
      args.push_back("--block-time");
      args.push_back(absl::StrCat(options.block_time_seconds));
    }
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const int rc = posix_spawn(&p->pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(log_fd);
    if (rc != 0) return absl::UnavailableError(absl::StrCat("cannot start anvil: errno ", rc));

    const absl::Time deadline = absl::Now() + options.startup_timeout;
    while (absl::Now() < deadline) {
      int wstatus = 0;
      if (waitpid(p->pid_, &wstatus, WNOHANG) == p->pid_) {
        p->pid_ = -1;
        last = absl::UnavailableError(
            absl::StrCat("anvil exited during start-up: ", ReadTail(p->log_path_, 2000)));
        break;
      }
      if (p->Rpc("eth_chainId", nlohmann::json::array()).ok()) return p;
      absl::SleepFor(absl::Milliseconds(50));
    }
    if (p->pid_ > 0) {
      last = absl::UnavailableError(
          absl::StrCat("anvil did not answer within the start-up timeout: ",
                       ReadTail(p->log_path_, 2000)));
    }
  }
  return last;
}

absl::StatusOr<nlohmann::json> AnvilProcess::Rpc(const std::string& method,
                                                 nlohmann::json params) const {
  const nlohmann::json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method},
                              {"params", std::move(params)}};
  auto reply = PostJson(url_, req.dump());
  if (!reply.ok()) return reply.status();
  const auto j = nlohmann::json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::UnavailableError(absl::StrCat("anvil ", method, ": not JSON"));
  }
  if (j.contains("error")) {
    return absl::FailedPreconditionError(absl::StrCat("anvil ", method, ": ", j["error"].dump()));
  }
  if (!j.contains("result")) return absl::UnavailableError("anvil: reply without result");
  return j["result"];
}

void AnvilProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int wstatus = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &wstatus, 0);
      pid_ = -1;
    }
  }
  if (!log_path_.empty()) {
    unlink(log_path_.c_str());
    log_path_.clear();
  }
}

AnvilProcess::~AnvilProcess() { Stop(); }

}  // namespace chainkms::testutil
