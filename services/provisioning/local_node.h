// The `local` node driver: each CVM is a chainkms-cvm process on this machine (no VM, no
// Docker), for laptops and tests. Start writes the CVM's app-compose.json bytes and encrypted env
// into <node dir>/<node>/<cvm id>/ and spawns chainkms-cvm with the node's device id and OS image
// hash; Restart stops the process (SIGTERM, then SIGKILL after a grace period) and starts it with
// the new compose; Stop stops it. A watcher thread reads each CVM's status file and reports every
// change (starting → running | boot_failed, stopped) through the StatusSink; a process that exits
// without saying why is reported boot_failed with its exit code. Destroying the driver stops
// every CVM it started.
// Replicas: provisioning replicas on one host may share the node directory. <cvm dir>/cvm.pid
// names the process running each CVM, so a Restart or Stop on any replica first stops the process
// another replica started (or a replica killed with -9 left running), and that replica's watcher
// lets the CVM go without reporting its exit. Replicas in separate PID namespaces (containers)
// need a node directory each.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "lib/common/sync.h"
#include "services/provisioning/node_driver.h"

namespace chainkms::provisioning {

class LocalNodeDriver final : public NodeDriver {
 public:
  LocalNodeDriver(NodeConfig node, LocalNodeOptions options, StatusSink sink);
  ~LocalNodeDriver() override;
  LocalNodeDriver(const LocalNodeDriver&) = delete;
  LocalNodeDriver& operator=(const LocalNodeDriver&) = delete;

  absl::Status Start(const CvmLaunch& launch) override;
  absl::Status Restart(const CvmLaunch& launch) override;
  absl::Status Stop(const std::string& cvm_id) override;
  absl::StatusOr<std::string> Status(const std::string& cvm_id) override;

  // The directory a CVM's files live in (tests read its status.json and app.env).
  std::string CvmDir(const std::string& cvm_id) const;

 private:
  struct Child {
    pid_t pid = -1;
    std::string status = "starting";  // the last status reported
    bool exited = false;
  };

  absl::Status Spawn(const CvmLaunch& launch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops the process and reaps it (SIGTERM, then SIGKILL after the grace period).
  void Terminate(Child& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When cvm.pid names a live process of the CVM other than `own_pid` (another replica's), takes
  // the CVM over: marks the pid file, stops that process. True when it stopped one.
  bool TakeOver(const std::string& cvm_id, pid_t own_pid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Watch();
  // One pass over the children: status file changes and exits, reported outside the lock.
  void Poll();

  const NodeConfig node_;
  const LocalNodeOptions options_;
  const StatusSink sink_;
  mutable chainkms::Mutex mu_;
  chainkms::CondVar cv_;
  std::map<std::string, Child> children_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace chainkms::provisioning
