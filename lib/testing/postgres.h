// PostgresProcess: a throwaway PostgreSQL server for tests — initdb into a temp dir, the server
// on a free loopback port (trust auth, fsync off), stopped by PID and removed afterwards. Under
// root (CI containers) it runs as the `postgres` user, which Debian's package creates.
//
//   ASSIGN_OR_RETURN(auto pg, PostgresProcess::Start());
//   OpenDatabase(pg->url());   // postgres://chainkms@127.0.0.1:<port>/postgres
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace chainkms::testutil {

class PostgresProcess {
 public:
  // UNAVAILABLE (with the server log's tail) when it cannot be started within 60 s.
  static absl::StatusOr<std::unique_ptr<PostgresProcess>> Start();
  ~PostgresProcess();  // Stop()
  PostgresProcess(const PostgresProcess&) = delete;
  PostgresProcess& operator=(const PostgresProcess&) = delete;

  std::string url() const;
  int port() const { return port_; }
  // Fast shutdown (SIGINT), waited for; SIGKILL after 20 s. Idempotent.
  void Stop();
  // Starts it again on the same port and data (after Stop), for outage tests.
  absl::Status Restart();

 private:
  PostgresProcess() = default;
  absl::Status Launch();
  std::string dir_;
  std::string bin_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace chainkms::testutil
