// The node pool and the NodeDriver seam: where CVMs run. Provisioning hands a recorded CVM to its
// node's driver (start with its app-compose.json bytes, encrypted env, app id and KMS endpoint;
// restart with a new compose on update; stop) and hears back boot results through a StatusSink.
//
// Statuses: provisioning → starting → running | boot_failed (with the reason) → stopped.
//
// A node is one spec `<name>;device_id=0x<64 hex>;os_image_hash=0x<64 hex>[;driver=<driver>]`;
// --node holds one or more, whitespace-separated. Drivers: `fake` (reports running at once; for
// tests and dry runs), `local` (chainkms-cvm processes on this machine, local_node.h) and
// `dstack-vmm` (VMs on a dstack VMM over its /prpc API, vmm_node.h), which also takes
// `;vmm_url=<http://host:port | unix:/path/vmm.sock>;image=<VMM image>[;vcpu=N;memory=MB;disk=GB]`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/common/bytes.h"
#include "lib/common/sync.h"

namespace chainkms::provisioning {

struct NodeConfig {
  std::string name;
  Hash32 device_id;
  Hash32 os_image_hash;
  std::string driver = "fake";
  // driver=dstack-vmm only (required: vmm_url and image).
  std::string vmm_url;  // http://host:port, https://…, or unix:/path/vmm.sock
  std::string image;    // the VMM's image name (its ListImages), e.g. dstack-0.5.4
  uint32_t vcpu = 1;
  uint32_t memory_mb = 2048;
  uint32_t disk_gb = 20;
};

// Parses the --node value. INVALID_ARGUMENT naming the spec and what is wrong.
absl::StatusOr<std::vector<NodeConfig>> ParseNodeSpecs(std::string_view specs);

// What a node needs to boot a CVM.
struct CvmLaunch {
  std::string cvm_id;
  std::string name;
  Address app_id;
  std::string app_compose;  // the exact bytes hashed
  Hash32 compose_hash;
  Bytes encrypted_env;
  std::string kms_url;
  uint64_t chain_id = 0;
};

// Boot results reported by drivers: status is one of starting, running, boot_failed, stopped.
using StatusSink = std::function<void(const std::string& cvm_id, const std::string& status,
                                      const std::string& reason)>;

class NodeDriver {
 public:
  virtual ~NodeDriver() = default;
  // Boots the CVM; results arrive through the sink. An error means it was not handed over.
  virtual absl::Status Start(const CvmLaunch& launch) = 0;
  // Reboots it with a new compose and/or env.
  virtual absl::Status Restart(const CvmLaunch& launch) = 0;
  virtual absl::Status Stop(const std::string& cvm_id) = 0;
  // What the node says now (NOT_FOUND when it does not know the CVM).
  virtual absl::StatusOr<std::string> Status(const std::string& cvm_id) = 0;
};

// In memory: every Start/Restart reports starting, then running (or boot_failed with the reason
// set by FailNextBoots); records what it was given.
class FakeNodeDriver final : public NodeDriver {
 public:
  explicit FakeNodeDriver(StatusSink sink) : sink_(std::move(sink)) {}

  absl::Status Start(const CvmLaunch& launch) override;
  absl::Status Restart(const CvmLaunch& launch) override;
  absl::Status Stop(const std::string& cvm_id) override;
  absl::StatusOr<std::string> Status(const std::string& cvm_id) override;

  // Tests: the next boots fail with `reason` ("" = boot normally again).
  void FailBootsWith(std::string reason);
  // Tests: the launches received, in order.
  std::vector<CvmLaunch> launches() const;

 private:
  absl::Status Boot(const CvmLaunch& launch);

  StatusSink sink_;
  mutable chainkms::Mutex mu_;
  std::string fail_reason_ ABSL_GUARDED_BY(mu_);
  std::vector<CvmLaunch> launches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> status_ ABSL_GUARDED_BY(mu_);
};

// What the drivers other than `fake` need.
struct LocalNodeOptions {
  std::string cvm_binary = "chainkms-cvm";  // the chainkms-cvm executable (a path or on PATH)
  std::string dir = "chainkms-nodes";       // per-CVM files: <dir>/<node>/<cvm id>/
  absl::Duration stop_grace = absl::Seconds(5);
  absl::Duration poll_interval = absl::Milliseconds(100);
  absl::Duration boot_timeout = absl::Seconds(60);  // how long a CVM waits for its KMS
};

// What driver=dstack-vmm nodes need beyond their spec (vmm_node.h).
struct VmmNodeOptions {
  absl::Duration poll_interval = absl::Seconds(2);  // how often the watcher asks GetInfo
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration request_timeout = absl::Seconds(30);  // one /prpc call, CreateVm included
  // Sent as "Authorization: Bearer <token>" when set: upstream's VMM has no authentication, but
  // one behind an authenticating reverse proxy may need it.
  std::string bearer_token;
};

// The configured nodes and one driver per node.
class NodePool {
 public:
  // INVALID_ARGUMENT for an unknown driver or duplicate names.
  static absl::StatusOr<std::unique_ptr<NodePool>> Create(std::vector<NodeConfig> nodes,
                                                          StatusSink sink,
                                                          LocalNodeOptions local = {},
                                                          VmmNodeOptions vmm = {});

  const std::vector<NodeConfig>& nodes() const { return nodes_; }
  // The named node, or the first when `name` is empty. INVALID_FIELD "node" when unknown.
  absl::StatusOr<NodeConfig> Pick(std::string_view name) const;
  // The driver of a configured node (nullptr when unknown).
  NodeDriver* driver(std::string_view node) const;
  // Destroys the drivers (a local node stops its CVMs and its watcher; a dstack-vmm node stops
  // only its watcher, its VMs keep running); driver() is nullptr after.
  void Shutdown() { drivers_.clear(); }

 private:
  std::vector<NodeConfig> nodes_;
  std::map<std::string, std::unique_ptr<NodeDriver>, std::less<>> drivers_;
};

}  // namespace chainkms::provisioning
