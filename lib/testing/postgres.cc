#include "lib/testing/postgres.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/testing/anvil.h"

namespace chainkms::testutil {
namespace {

std::string FindBin() {
  if (const char* env = std::getenv("CHAINKMS_PG_BIN"); env != nullptr && *env) return env;
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = e.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && bin > best) best = bin;
  }
  return best;
}

// Runs argv as the postgres user when we are root; returns the child's PID.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(126);
  }
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    ::close(fd);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresProcess>> PostgresProcess::Start() {
  std::unique_ptr<PostgresProcess> p(new PostgresProcess);
  p->bin_ = FindBin();
  if (p->bin_.empty()) {
    return absl::UnavailableError(
        "PostgreSQL not installed (/usr/lib/postgresql/*/bin; "
        "scripts/setup installs it)");
  }
  char tmpl[] = "/tmp/chainkms-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::UnavailableError("mkdtemp failed");
  p->dir_ = tmpl;
  const std::string data = p->dir_ + "/data";
  ::mkdir(data.c_str(), 0700);
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return absl::UnavailableError("running as root but no postgres user");
    if (chown(p->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0 ||
        chown(data.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::UnavailableError("cannot hand the data directory to postgres");
    }
  }
  const std::string log = p->dir_ + "/initdb.log";
  const pid_t init = Spawn({p->bin_ + "/initdb", "-D", data, "-U", "chainkms", "--auth=trust",
                            "--no-sync", "-E", "UTF8", "--locale=C"},
                           log);
  int status = 0;
  if (init < 0 || waitpid(init, &status, 0) != init || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(absl::StrCat("initdb failed: ", Tail(log)));
  }
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  p->port_ = *port;
  if (absl::Status s = p->Launch(); !s.ok()) return s;
  return p;
}

absl::Status PostgresProcess::Launch() {
  const std::string log = dir_ + "/server.log";
  pid_ = Spawn({bin_ + "/postgres", "-D", dir_ + "/data", "-p", absl::StrCat(port_), "-k", dir_,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50"},
               log);
  const std::string conninfo = absl::StrCat("host=127.0.0.1 port=", port_,
                                            " user=chainkms dbname=postgres connect_timeout=2");
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("postgres exited: ", Tail(log)));
    }
    absl::SleepFor(absl::Milliseconds(50));  // polling the server's readiness, with a deadline
  }
  Stop();
  return absl::UnavailableError(absl::StrCat("postgres did not start in 60 s: ", Tail(log)));
}

std::string PostgresProcess::url() const {
  return absl::StrCat("postgres://chainkms@127.0.0.1:", port_, "/postgres");
}

void PostgresProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  pid_ = -1;
}

absl::Status PostgresProcess::Restart() {
  if (pid_ > 0) return absl::OkStatus();
  return Launch();
}

PostgresProcess::~PostgresProcess() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace chainkms::testutil
