#include "services/provisioning/node_driver.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/compose/app_compose.h"
#include "services/provisioning/local_node.h"
#include "services/provisioning/vmm_node.h"

namespace chainkms::provisioning {
namespace {

absl::Status SpecError(std::string_view spec, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("node spec \"", std::string(spec), "\": ", std::string(what)));
}

absl::StatusOr<Hash32> ParseHash(std::string_view spec, std::string_view key,
                                 std::string_view value) {
  absl::StatusOr<Bytes> b = HexDecode(value, HexPrefix::kRequired);
  std::optional<Hash32> h = b.ok() ? Hash32::TryFrom(*b) : std::nullopt;
  if (!h.has_value()) {
    return SpecError(spec, absl::StrCat(std::string(key), " must be 0x + 64 hex digits"));
  }
  return *h;
}

absl::StatusOr<uint32_t> ParseCount(std::string_view spec, std::string_view key,
                                    std::string_view value, uint32_t min, uint32_t max) {
  uint32_t n = 0;
  const bool digits = !value.empty() && value.find_first_not_of("0123456789") == value.npos;
  if (!digits || !absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &n) || n < min ||
      n > max) {
    return SpecError(
        spec, absl::StrCat(std::string(key), " must be a whole number from ", min, " to ", max));
  }
  return n;
}

// What the VMM accepts as an image name (a directory under its image path).
bool IsVmmImageName(std::string_view s) {
  if (s.empty() || s.size() > 64 ||
      absl::StrContains(absl::string_view(s.data(), s.size()), "..")) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsVmmUrl(std::string_view s) {
  for (std::string_view prefix : {"http://", "https://", "unix:"}) {
    if (s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<NodeConfig>> ParseNodeSpecs(std::string_view specs) {
  std::vector<NodeConfig> out;
  std::set<std::string> names;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(specs.data(), specs.size()),
                                              absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    const std::string_view spec(raw.data(), raw.size());
    std::vector<absl::string_view> parts = absl::StrSplit(raw, ';');
    NodeConfig node;
    node.name = std::string(parts[0]);
    if (!compose::IsHostnameLabel(node.name)) {
      return SpecError(spec, "the name must be 1-63 of [A-Za-z0-9-], no leading or trailing '-'");
    }
    bool have_device = false;
    bool have_image = false;
    bool have_vmm_key = false;  // any of the dstack-vmm keys
    for (size_t i = 1; i < parts.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
      const std::string_view key(kv.first.data(), kv.first.size());
      const std::string_view value(kv.second.data(), kv.second.size());
      if (key == "device_id") {
        ASSIGN_OR_RETURN(node.device_id, ParseHash(spec, key, value));
        have_device = true;
      } else if (key == "os_image_hash") {
        ASSIGN_OR_RETURN(node.os_image_hash, ParseHash(spec, key, value));
        have_image = true;
      } else if (key == "driver") {
        node.driver = std::string(value);
      } else if (key == "vmm_url") {
        if (!IsVmmUrl(value)) {
          return SpecError(spec, "vmm_url must be http://host:port, https://… or unix:/path");
        }
        node.vmm_url = std::string(value);
        have_vmm_key = true;
      } else if (key == "image") {
        if (!IsVmmImageName(value)) {
          return SpecError(spec,
                           "image must be a VMM image name: 1-64 of [A-Za-z0-9._-], no \"..\"");
        }
        node.image = std::string(value);
        have_vmm_key = true;
      } else if (key == "vcpu") {
        ASSIGN_OR_RETURN(node.vcpu, ParseCount(spec, key, value, 1, 1024));
        have_vmm_key = true;
      } else if (key == "memory") {
        ASSIGN_OR_RETURN(node.memory_mb, ParseCount(spec, key, value, 128, 16u << 20));
        have_vmm_key = true;
      } else if (key == "disk") {
        ASSIGN_OR_RETURN(node.disk_gb, ParseCount(spec, key, value, 1, 1u << 20));
        have_vmm_key = true;
      } else {
        return SpecError(spec, absl::StrCat("unknown key \"", std::string(key),
                                            "\" (device_id, os_image_hash, driver; for "
                                            "driver=dstack-vmm: vmm_url, image, vcpu, memory, "
                                            "disk)"));
      }
    }
    if (!have_device || !have_image) {
      return SpecError(spec, "needs device_id=0x… and os_image_hash=0x…");
    }
    if (node.driver == "dstack-vmm") {
      if (node.vmm_url.empty()) {
        return SpecError(
            spec, "driver=dstack-vmm needs vmm_url=http://host:port (or unix:/path/vmm.sock)");
      }
      if (node.image.empty()) {
        return SpecError(spec, "driver=dstack-vmm needs image=<VMM image name, e.g. dstack-0.5.4>");
      }
    } else if (have_vmm_key) {
      return SpecError(spec,
                       "vmm_url, image, vcpu, memory and disk are for driver=dstack-vmm only");
    }
    if (!names.insert(node.name).second) return SpecError(spec, "the name is used twice");
    out.push_back(std::move(node));
  }
  return out;
}

absl::Status FakeNodeDriver::Boot(const CvmLaunch& launch) {
  std::string reason;
  {
    chainkms::MutexLock lock(&mu_);
    launches_.push_back(launch);
    reason = fail_reason_;
    status_[launch.cvm_id] = reason.empty() ? "running" : "boot_failed";
  }
  if (sink_) {
    sink_(launch.cvm_id, "starting", "");
    sink_(launch.cvm_id, reason.empty() ? "running" : "boot_failed", reason);
  }
  return absl::OkStatus();
}

absl::Status FakeNodeDriver::Start(const CvmLaunch& launch) { return Boot(launch); }
absl::Status FakeNodeDriver::Restart(const CvmLaunch& launch) { return Boot(launch); }

absl::Status FakeNodeDriver::Stop(const std::string& cvm_id) {
  {
    chainkms::MutexLock lock(&mu_);
    status_[cvm_id] = "stopped";
  }
  if (sink_) sink_(cvm_id, "stopped", "");
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeNodeDriver::Status(const std::string& cvm_id) {
  chainkms::MutexLock lock(&mu_);
  auto it = status_.find(cvm_id);
  if (it == status_.end()) return absl::NotFoundError("unknown CVM on this node");
  return it->second;
}

void FakeNodeDriver::FailBootsWith(std::string reason) {
  chainkms::MutexLock lock(&mu_);
  fail_reason_ = std::move(reason);
}

std::vector<CvmLaunch> FakeNodeDriver::launches() const {
  chainkms::MutexLock lock(&mu_);
  return launches_;
}

absl::StatusOr<std::unique_ptr<NodePool>> NodePool::Create(std::vector<NodeConfig> nodes,
                                                           StatusSink sink, LocalNodeOptions local,
                                                           VmmNodeOptions vmm) {
  auto pool = std::make_unique<NodePool>();
  for (const NodeConfig& n : nodes) {
    if (pool->drivers_.count(n.name) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("node ", n.name, " is configured twice"));
    }
    if (n.driver == "fake") {
      pool->drivers_[n.name] = std::make_unique<FakeNodeDriver>(sink);
    } else if (n.driver == "local") {
      pool->drivers_[n.name] = std::make_unique<LocalNodeDriver>(n, local, sink);
    } else if (n.driver == "dstack-vmm") {
      pool->drivers_[n.name] = std::make_unique<DstackVmmNodeDriver>(n, vmm, sink);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("node ", n.name, ": unknown driver \"",
                                                     n.driver, "\" (fake, local, dstack-vmm)"));
    }
  }
  pool->nodes_ = std::move(nodes);
  return pool;
}

absl::StatusOr<NodeConfig> NodePool::Pick(std::string_view name) const {
  if (nodes_.empty()) {
    return InvalidFieldError("node", "no node is configured (--node)");
  }
  if (name.empty()) return nodes_.front();
  for (const NodeConfig& n : nodes_) {
    if (n.name == name) return n;
  }
  return InvalidFieldError("node", absl::StrCat("no node named \"", std::string(name), "\""));
}

NodeDriver* NodePool::driver(std::string_view node) const {
  auto it = drivers_.find(node);
  return it == drivers_.end() ? nullptr : it->second.get();
}

}  // namespace chainkms::provisioning
