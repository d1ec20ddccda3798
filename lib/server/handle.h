// Handle: the one shape of every handler — shed, run the core, classify, convert the status.
//
//   grpc::Status RegistryService::GetApp(Ctx*, const pb::GetAppRequest* req, pb::GetAppResponse*
//   resp) {
//     return Handle(serving_.unary, [&] { return DoGetApp(*req, resp); }, ClassifyChainError);
//   }
//
// The body returns absl::Status; `classify` (optional) gives reasonless errors their Reason;
// ToGrpcStatus is the single conversion. Streams pass serving_.streams, so idle streams never
// take capacity from unary RPCs.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "lib/common/sync.h"
#include "lib/server/metrics.h"
#include "lib/server/server.h"
#include "lib/server/status.h"

namespace chainkms::server {

using StatusClassifier = absl::Status (*)(absl::Status);

template <typename Body>
grpc::Status Handle(ConcurrencyLimiter* limiter, Body&& body, StatusClassifier classify = nullptr) {
  ConcurrencyLimiter::Permit permit;
  if (limiter != nullptr) {
    permit = limiter->TryAcquire();
    if (!permit) {
      return ToGrpcStatus(OverloadedError(limiter->kind() == ConcurrencyLimiter::Kind::kStreams
                                              ? "server is at its concurrent stream limit; retry "
                                                "with backoff"
                                              : "server is at its concurrent RPC limit; retry "
                                                "with backoff"));
    }
  }
  absl::Status status = std::forward<Body>(body)();
  if (classify != nullptr) status = classify(std::move(status));
  return ToGrpcStatus(status);
}

}  // namespace chainkms::server
