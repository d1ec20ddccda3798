#include "lib/kms/boot_policy.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"

namespace chainkms::kms {

absl::StatusOr<BootDecision> OnChainBootPolicy::Decide(const AppBootInfo& boot_info) {
  std::optional<PinnedBlock> at;
  if (options_.confirmations > 0) {
    ASSIGN_OR_RETURN(uint64_t head, reader_.BlockNumber());
    if (head < options_.confirmations) {
      return absl::UnavailableError(absl::StrCat("the chain head ", head, " is shallower than ",
                                                 options_.confirmations, " confirmations"));
    }
    at = PinnedBlock{.number = head - options_.confirmations, .hash = Hash32{}};
  }
  absl::StatusOr<KeyReleaseDecision> r = reader_.DecideKeyRelease(boot_info, at);
  if (!r.ok()) {
    // A revert (the app contract misbehaving) or a missing contract is no answer either.
    if (r.status().code() == absl::StatusCode::kUnavailable) return r.status();
    return absl::UnavailableError(absl::StrCat("DstackKms.isAppAllowed gave no decision: ",
                                               std::string(r.status().message())));
  }
  return BootDecision{.allowed = r->decision.allowed && r->decision.reason.empty(),
                      .reason = r->decision.reason,
                      .block = r->decision.block,
                      .gateway_app_id = std::move(r->gateway_app_id)};
}

}  // namespace chainkms::kms
