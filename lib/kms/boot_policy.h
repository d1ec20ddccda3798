// Who says yes to a boot. The KMS asks a BootPolicy after the attestation checked out; this
// module implements the on-chain one (DstackKms.isAppAllowed). A platform-held policy ("cloud
// KMS" apps that want no gas and direct updates) plugs in through the same interface.
//
//   OnChainBootPolicy policy(*chain->reader, {.confirmations = 2});
//   ASSIGN_OR_RETURN(BootDecision d, policy.Decide(boot_info));
//   if (!d.allowed) return Denied(d.reason, d.block);
//
// Fail closed: an error is never a decision. Chain trouble, a wrong chain, a garbage or
// rate-limited answer, or an app contract that reverts all come back as UNAVAILABLE (a revert
// keeps its decoded reason in the message), and no caller may release a key on an error.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/chain/contracts.h"
#include "lib/chain/reader.h"

namespace chainkms::kms {

struct BootDecision {
  bool allowed = false;
  std::string reason;  // the policy's reason, byte-exact ("" when allowed)
  PinnedBlock block;   // the state the decision was read from (zero for off-chain policies)
  std::string gateway_app_id;
};

class BootPolicy {
 public:
  virtual ~BootPolicy() = default;
  virtual absl::StatusOr<BootDecision> Decide(const AppBootInfo& boot_info) = 0;
};

struct OnChainBootPolicyOptions {
  // Decide at head − confirmations (0: the head, one round trip; more: one head read first).
  uint64_t confirmations = 0;
};

// DstackKms.isAppAllowed(boot_info) and gatewayAppId() in one eth_call at one pinned block.
class OnChainBootPolicy final : public BootPolicy {
 public:
  OnChainBootPolicy(ChainReader& reader, OnChainBootPolicyOptions options)
      : reader_(reader), options_(options) {}
  absl::StatusOr<BootDecision> Decide(const AppBootInfo& boot_info) override;

 private:
  ChainReader& reader_;
  OnChainBootPolicyOptions options_;
};

}  // namespace chainkms::kms
