#include "services/gateway/gateway.h"

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"

namespace chainkms::gateway {

absl::StatusOr<CallScope> Gateway::Admit(std::string_view api_key, std::string request_id,
                                         absl::Time deadline, const grpc::ServerContext* parent) {
  CallScope scope{.request_id = std::move(request_id), .deadline = deadline, .parent = parent};
  ASSIGN_OR_RETURN(Principal who,
                   auth_.Authenticate(api_key, [&] { return backends_.Context(scope); }));
  if (std::optional<absl::Duration> wait = limiter_.Acquire(who.key_id)) {
    return RateLimitedError(*wait);
  }
  scope.workspace = std::move(who.workspace);
  return scope;
}

absl::StatusOr<CallScope> Gateway::AdmitOptionalKey(std::string_view api_key, std::string_view peer,
                                                    std::string request_id, absl::Time deadline,
                                                    const grpc::ServerContext* parent) {
  if (!api_key.empty()) return Admit(api_key, std::move(request_id), deadline, parent);
  if (std::optional<absl::Duration> wait =
          limiter_.Acquire(absl::StrCat("peer:", std::string(peer)))) {
    return RateLimitedError(*wait);
  }
  return CallScope{.request_id = std::move(request_id), .deadline = deadline, .parent = parent};
}

std::string ApiKeyOf(const grpc::ServerContext& ctx) {
  auto it = ctx.client_metadata().find(std::string(kApiKeyMetadataKey));
  if (it == ctx.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace chainkms::gateway
