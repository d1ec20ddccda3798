// RegistryClient: what provisioning asks chainkms.v1.Registry (over its generated stub), with the
// caller's deadline, cancellation and request id propagated, errors converted back to absl with
// the registry's reason (CHAIN_UNAVAILABLE, APP_NOT_FOUND, …) kept. KMS info is cached briefly
// per chain (it changes by owner transaction only); everything else is read fresh.
//
//   RegistryClient registry(*stub, clock);
//   ASSIGN_OR_RETURN(auto check, registry.CheckPrerequisites(ctx, 31337, app, hash, device));
#pragma once

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/server_context.h"
#include "lib/common/bytes.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"

namespace chainkms::provisioning {

class RegistryClient {
 public:
  struct Options {
    // Bound on one registry call when the incoming RPC has no (earlier) deadline.
    absl::Duration timeout = absl::Seconds(30);
    // How long GetKmsInfo answers are reused.
    absl::Duration kms_info_ttl = absl::Seconds(30);
  };

  // `stub` and `clock` must outlive the client.
  RegistryClient(chainkms::v1::Registry::StubInterface& stub, Clock& clock, Options options);
  RegistryClient(chainkms::v1::Registry::StubInterface& stub, Clock& clock)
      : RegistryClient(stub, clock, Options()) {}

  // `parent` (may be null) is the RPC being served: its deadline, cancellation and x-request-id
  // carry over.
  absl::StatusOr<chainkms::v1::GetKmsInfoResponse> GetKmsInfo(const grpc::ServerContext* parent,
                                                              uint64_t chain_id);
  absl::StatusOr<chainkms::v1::GetAppResponse> GetApp(const grpc::ServerContext* parent,
                                                      uint64_t chain_id, const Address& app);
  absl::StatusOr<chainkms::v1::CheckPrerequisitesResponse> CheckPrerequisites(
      const grpc::ServerContext* parent, uint64_t chain_id, const Address& app,
      const Hash32& compose_hash, const std::vector<Hash32>& device_ids);
  absl::StatusOr<chainkms::v1::VerifyComposeHashTransactionResponse> VerifyComposeHashTransaction(
      const grpc::ServerContext* parent, uint64_t chain_id, const Address& app,
      const Hash32& compose_hash, const Hash32& tx_hash);

  // Registry round trips made so far (tests and the bench count them).
  int64_t round_trips() const { return round_trips_.load(); }

 private:
  std::unique_ptr<grpc::ClientContext> Context(const grpc::ServerContext* parent) const;

  chainkms::v1::Registry::StubInterface& stub_;
  Clock& clock_;
  Options options_;
  std::atomic<int64_t> round_trips_{0};
  chainkms::Mutex mu_;
  struct CachedKmsInfo {
    chainkms::v1::GetKmsInfoResponse info;
    absl::Time fetched;
  };
  std::map<uint64_t, CachedKmsInfo> kms_info_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chainkms::provisioning
