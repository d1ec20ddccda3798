// The `dstack-vmm` node driver: each CVM is a VM on a dstack VMM (Dstack-TEE/dstack, vmm/), driven
// over the VMM's "prpc" API — `POST <vmm_url>/prpc/<Method>?json`, the request message as JSON
// (proto field names, `bytes` as lowercase hex), HTTP 200 with the answer, HTTP 400 with
// {"error": "…"} — with libcurl (no proxies, no redirects, short timeouts). `unix:/path/vmm.sock`
// URLs go over the VMM's unix socket.
//
//   Start   → CreateVm {name, image, compose_file (the exact app-compose.json bytes),
//   encrypted_env,
//             app_id, kms_urls [the CVM's KMS], vcpu, memory, disk_size}; the VMM boots it and
//             answers its id, remembered per CVM id. Start of a CVM that already has a VM here is
//             a Restart.
//   Restart → UpgradeApp {id, compose_file, encrypted_env}, then StopVm and StartVm: UpgradeApp
//   only
//             rewrites the VM's files, a VM reads them when it boots (and StartVm resets its
//             boot progress and error).
//   Stop    → StopVm, then RemoveVm (the VMM refuses to remove a running VM).
//   Status  → GetInfo, mapped (MapVmmStatus).
//
// A watcher thread asks GetInfo for every VM every poll_interval and reports changes through the
// StatusSink; Start and Restart report `starting`, Stop `stopped`. The watcher's passes and
// Start/Restart/Stop are serialised, so the reports of one CVM arrive in order.
//
// Errors: the VMM unreachable (or answering anything but 200/400) → UNAVAILABLE naming it; HTTP
// 400 → FAILED_PRECONDITION with the VMM's error text.
//
// The VMs are the VMM's, not this process's: destroying the driver only stops the watcher, the VMs
// keep running (a restarted provisioning does not find them again: Restart/Stop of a CVM started
// by an earlier process are NOT_FOUND here).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "lib/common/sync.h"
#include "services/provisioning/node_driver.h"

namespace chainkms::provisioning {

// Ours for the VMM's VmInfo: {status, reason}. A boot_error → boot_failed with it as the reason;
// "running" → running; "stopped", "stopping", "removing" → stopped; "exited" (the VM should run but
// its process is gone) → boot_failed; anything else → starting.
std::pair<std::string, std::string> MapVmmStatus(std::string_view vmm_status,
                                                 std::string_view boot_error);

// [A-Za-z0-9_-] only (the VMM refuses other names): every other byte becomes '-'.
std::string VmmVmName(std::string_view name);

class DstackVmmNodeDriver final : public NodeDriver {
 public:
  DstackVmmNodeDriver(NodeConfig node, VmmNodeOptions options, StatusSink sink);
  ~DstackVmmNodeDriver() override;  // joins the watcher; never stops or removes a VM
  DstackVmmNodeDriver(const DstackVmmNodeDriver&) = delete;
  DstackVmmNodeDriver& operator=(const DstackVmmNodeDriver&) = delete;

  absl::Status Start(const CvmLaunch& launch) override;
  absl::Status Restart(const CvmLaunch& launch) override;
  absl::Status Stop(const std::string& cvm_id) override;
  absl::StatusOr<std::string> Status(const std::string& cvm_id) override;

  // The VMM's id of a CVM's VM ("" when there is none): for tests and logs.
  std::string VmId(const std::string& cvm_id) const;

 private:
  struct Vm {
    std::string id;                   // the VMM's
    std::string status = "starting";  // the last status reported
    bool removed = false;
  };

  // One /prpc call: the answer's body (HTTP 200).
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& body) const;
  absl::Status Create(const CvmLaunch& launch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status Upgrade(const CvmLaunch& launch, const std::string& vm_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // Sets the status the watcher compares with (without reporting it).
  void SetStatus(const std::string& cvm_id, const std::string& status) ABSL_LOCKS_EXCLUDED(mu_);
  void Report(const std::string& cvm_id, const std::string& status, const std::string& reason);
  void Watch();
  // One pass: GetInfo for every VM, changes reported.
  void Poll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);

  const NodeConfig node_;
  const VmmNodeOptions options_;
  const StatusSink sink_;
  const std::string description_;  // the VMM, for messages (credentials removed)
  // Held across Start/Restart/Stop and each watcher pass (VMM calls and reports); before mu_.
  chainkms::Mutex work_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable chainkms::Mutex mu_;
  chainkms::CondVar cv_;
  std::map<std::string, Vm> vms_ ABSL_GUARDED_BY(mu_);  // by CVM id
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace chainkms::provisioning
