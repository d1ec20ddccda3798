#include "services/provisioning/local_node.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "nlohmann/json.hpp"

namespace chainkms::provisioning {
namespace {

namespace fs = std::filesystem;

absl::Status WriteFile(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// The status and reason the CVM wrote, or ("", "") when there is no readable file yet.
std::pair<std::string, std::string> ReadStatus(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) return {};
  std::string reason;
  if (j.contains("reason") && j["reason"].is_string()) reason = j["reason"].get<std::string>();
  return {j["status"].get<std::string>(), reason};
}

bool IsTerminal(std::string_view status) { return status == "boot_failed" || status == "stopped"; }

// <cvm dir>/cvm.pid names the process that runs the CVM now, whichever provisioning replica
// started it: replicas on one host share the node directory, and any of them may restart or stop
// a CVM another one started (or that a replica killed with -9 left running). "0" while a replica
// takes a CVM over. -1 when there is no readable pid file.
constexpr char kPidFile[] = "cvm.pid";

pid_t ReadPid(const fs::path& dir) {
  std::ifstream in(dir / kPidFile);
  long pid = -1;
  if (!(in >> pid) || pid < 0) return -1;
  return static_cast<pid_t>(pid);
}

absl::Status WritePid(const fs::path& dir, pid_t pid) {
  const fs::path tmp = dir / (std::string(kPidFile) + ".tmp");
  if (absl::Status s = WriteFile(tmp, absl::StrCat(pid, "\n")); !s.ok()) return s;
  std::error_code ec;
  fs::rename(tmp, dir / kPidFile, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write ", (dir / kPidFile).string()));
  return absl::OkStatus();
}

// True while `pid` is a live process whose argv names `--cvm-id=<cvm_id>` (a zombie has no
// cmdline, and a reused pid names another program).
bool RunsCvm(pid_t pid, const std::string& cvm_id) {
  if (pid <= 0) return false;
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
  return cmdline.find(absl::StrCat("--cvm-id=", cvm_id, std::string(1, '\0'))) != std::string::npos;
}

// Stops a CVM process this replica did not start (not our child: no waitpid): SIGTERM, SIGKILL
// after the grace period, each followed by polling until it is gone.
void StopForeign(pid_t pid, const std::string& cvm_id, absl::Duration grace) {
  for (const int sig : {SIGTERM, SIGKILL}) {
    kill(pid, sig);
    const absl::Time deadline = absl::Now() + (sig == SIGTERM ? grace : absl::Seconds(5));
    while (RunsCvm(pid, cvm_id) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    if (!RunsCvm(pid, cvm_id)) return;
  }
}

}  // namespace

LocalNodeDriver::LocalNodeDriver(NodeConfig node, LocalNodeOptions options, StatusSink sink)
    : node_(std::move(node)), options_(std::move(options)), sink_(std::move(sink)) {
  watcher_ = std::thread([this] { Watch(); });
}

LocalNodeDriver::~LocalNodeDriver() {
  {
    chainkms::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, child] : children_) Terminate(child);
    cv_.SignalAll();
  }
  watcher_.join();
}

std::string LocalNodeDriver::CvmDir(const std::string& cvm_id) const {
  return (fs::path(options_.dir) / node_.name / cvm_id).string();
}

absl::Status LocalNodeDriver::Spawn(const CvmLaunch& launch) {
  const fs::path dir = CvmDir(launch.cvm_id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::remove(dir / "status.json", ec);
  fs::remove(dir / "app.env", ec);
  if (absl::Status s = WriteFile(dir / "app-compose.json", launch.app_compose); !s.ok()) return s;
  if (absl::Status s = WriteFile(dir / "env.hex", HexEncode(launch.encrypted_env, false));
      !s.ok()) {
    return s;
  }
  std::vector<std::string> args = {
      options_.cvm_binary,
      absl::StrCat("--app-compose=", (dir / "app-compose.json").string()),
      absl::StrCat("--env=", (dir / "env.hex").string()),
      absl::StrCat("--app-id=", Hex0x(launch.app_id.view())),
      absl::StrCat("--kms=", launch.kms_url),
      absl::StrCat("--chain-id=", launch.chain_id),
      absl::StrCat("--device-id=", Hex0x(node_.device_id.view())),
      absl::StrCat("--os-image-hash=", Hex0x(node_.os_image_hash.view())),
      absl::StrCat("--cvm-id=", launch.cvm_id),
      absl::StrCat("--status-file=", (dir / "status.json").string()),
      absl::StrCat("--env-out=", (dir / "app.env").string()),
      absl::StrCat("--timeout=", absl::FormatDuration(options_.boot_timeout)),
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The CVM gets no environment of ours (it may hold a database URL): PATH only.
  std::string path_env = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* envp[] = {path_env.data(), nullptr};

  const std::string log_path = (dir / "cvm.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);  // our servers block SIGTERM in their threads
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, options_.cvm_binary.c_str(), &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot start ", options_.cvm_binary, ": ",
                                                      std::strerror(rc), " (--cvm-binary)"));
  }
  children_[launch.cvm_id] = Child{.pid = pid};
  return WritePid(dir, pid);
}

bool LocalNodeDriver::TakeOver(const std::string& cvm_id, pid_t own_pid) {
  const fs::path dir = CvmDir(cvm_id);
  const pid_t other = ReadPid(dir);
  if (other <= 0 || other == own_pid || !RunsCvm(other, cvm_id)) return false;
  // The pid file first: the replica that started it then lets it go without reporting its exit.
  (void)WritePid(dir, 0);
  StopForeign(other, cvm_id, options_.stop_grace);
  return true;
}

void LocalNodeDriver::Terminate(Child& child) {
  if (child.exited || child.pid <= 0) return;
  kill(child.pid, SIGTERM);
  const absl::Time deadline = absl::Now() + options_.stop_grace;
  while (true) {
    int wstatus = 0;
    const pid_t r = waitpid(child.pid, &wstatus, WNOHANG);
    if (r == child.pid || (r < 0 && errno == ECHILD)) break;
    if (absl::Now() >= deadline) {
      kill(child.pid, SIGKILL);
      waitpid(child.pid, &wstatus, 0);
      break;
    }
    // Waits on the child's exit, bounded by the grace period.
    cv_.WaitWithTimeout(&mu_, absl::Milliseconds(20));
  }
  child.exited = true;
}

absl::Status LocalNodeDriver::Start(const CvmLaunch& launch) {
  {
    chainkms::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the node is shutting down");
    pid_t own = -1;
    if (auto it = children_.find(launch.cvm_id); it != children_.end()) {
      own = it->second.pid;
      Terminate(it->second);
    }
    TakeOver(launch.cvm_id, own);
    if (absl::Status s = Spawn(launch); !s.ok()) return s;
  }
  if (sink_) sink_(launch.cvm_id, "starting", "");
  return absl::OkStatus();
}

absl::Status LocalNodeDriver::Restart(const CvmLaunch& launch) { return Start(launch); }

absl::Status LocalNodeDriver::Stop(const std::string& cvm_id) {
  {
    chainkms::MutexLock lock(&mu_);
    auto it = children_.find(cvm_id);
    if (it == children_.end()) {
      // Started by another replica (alive or not): stopped here all the same.
      if (!TakeOver(cvm_id, -1)) return absl::NotFoundError("unknown CVM on this node");
    } else {
      Terminate(it->second);
      it->second.status = "stopped";
    }
  }
  if (sink_) sink_(cvm_id, "stopped", "");
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalNodeDriver::Status(const std::string& cvm_id) {
  chainkms::MutexLock lock(&mu_);
  auto it = children_.find(cvm_id);
  if (it == children_.end()) return absl::NotFoundError("unknown CVM on this node");
  return it->second.status;
}

void LocalNodeDriver::Poll() {
  std::vector<std::tuple<std::string, std::string, std::string>> reports;
  {
    chainkms::MutexLock lock(&mu_);
    for (auto it = children_.begin(); it != children_.end();) {
      const std::string& id = it->first;
      Child& child = it->second;
      if (child.exited && IsTerminal(child.status)) {
        ++it;
        continue;
      }
      int wstatus = 0;
      if (!child.exited && waitpid(child.pid, &wstatus, WNOHANG) == child.pid) {
        child.exited = true;
      }
      auto [status, reason] = ReadStatus(fs::path(CvmDir(id)) / "status.json");
      // Read after the status: another replica names itself in the pid file before it stops our
      // process, so a status its stop caused is never reported from here.
      if (const pid_t owner = ReadPid(CvmDir(id)); owner >= 0 && owner != child.pid) {
        if (child.exited) {
          it = children_.erase(it);  // let go: the other replica runs it now
        } else {
          ++it;  // reaped on a later pass, then let go
        }
        continue;
      }
      ++it;
      if (child.exited && !IsTerminal(status)) {
        status = "boot_failed";
        reason = WIFEXITED(wstatus)
                     ? absl::StrCat("the CVM process exited with status ", WEXITSTATUS(wstatus))
                     : absl::StrCat("the CVM process was killed by signal ", WTERMSIG(wstatus));
      }
      if (status.empty() || status == child.status) continue;
      child.status = status;
      reports.emplace_back(id, status, reason);
    }
  }
  for (const auto& [id, status, reason] : reports) {
    if (sink_) sink_(id, status, reason);
  }
}

void LocalNodeDriver::Watch() {
  while (true) {
    {
      chainkms::MutexLock lock(&mu_);
      if (stopping_) return;
      cv_.WaitWithTimeout(&mu_, options_.poll_interval);
      if (stopping_) return;
    }
    Poll();
  }
}

}  // namespace chainkms::provisioning
