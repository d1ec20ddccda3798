// The gateway's backends (provisioning, registry, kms) and the rules of every forwarded call.
//
// Channels use gRPC's round_robin policy, so a `dns:///name:port` target spreads calls over every
// address of a Kubernetes headless Service (re-resolved when connections fail). Each call carries
// the caller's workspace (`x-chainkms-workspace`, from its API key), its request id
// (`x-request-id`) and a deadline: the caller's, bounded by --backend-timeout; a gRPC caller's
// cancellation propagates. Idempotent reads are retried once on UNAVAILABLE (another replica);
// writes never are: a write that may have happened is the caller's to retry.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"

namespace chainkms::gateway {

// What one admitted request carries to every backend call it makes.
struct CallScope {
  std::string workspace;  // "" = none (commit-update without a key)
  std::string request_id;
  absl::Time deadline = absl::InfiniteFuture();
  const grpc::ServerContext* parent = nullptr;  // gRPC callers: cancellation propagates
};

enum class Idempotency { kRead, kWrite };

class Backends {
 public:
  struct Stubs {
    std::unique_ptr<chainkms::v1::Provisioning::StubInterface> provisioning;
    std::unique_ptr<chainkms::v1::ProvisioningAdmin::StubInterface> admin;
    std::unique_ptr<chainkms::v1::Registry::StubInterface> registry;
    std::unique_ptr<chainkms::v1::Kms::StubInterface> kms;
  };
  // Channels to the three targets (round_robin).
  static std::unique_ptr<Backends> Connect(const std::string& provisioning,
                                           const std::string& registry, const std::string& kms,
                                           absl::Duration timeout);
  Backends(Stubs stubs, absl::Duration timeout,
           std::shared_ptr<grpc::Channel> provisioning_channel = nullptr,
           std::shared_ptr<grpc::Channel> registry_channel = nullptr,
           std::shared_ptr<grpc::Channel> kms_channel = nullptr);

  chainkms::v1::Provisioning::StubInterface& provisioning() { return *stubs_.provisioning; }
  chainkms::v1::ProvisioningAdmin::StubInterface& admin() { return *stubs_.admin; }
  chainkms::v1::Registry::StubInterface& registry() { return *stubs_.registry; }
  chainkms::v1::Kms::StubInterface& kms() { return *stubs_.kms; }
  // The channels (health checks); null when built from stubs.
  std::shared_ptr<grpc::Channel> provisioning_channel() const { return provisioning_channel_; }
  std::shared_ptr<grpc::Channel> registry_channel() const { return registry_channel_; }
  std::shared_ptr<grpc::Channel> kms_channel() const { return kms_channel_; }

  // A context for one backend call in `scope`.
  std::unique_ptr<grpc::ClientContext> Context(const CallScope& scope) const;

  // `call(ClientContext*)` → grpc::Status, once, or twice for a read that got UNAVAILABLE.
  template <typename F>
  grpc::Status Call(const CallScope& scope, Idempotency idempotency, F&& call) const {
    grpc::Status s = call(Context(scope).get());
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && idempotency == Idempotency::kRead &&
        absl::Now() < scope.deadline) {
      s = call(Context(scope).get());
    }
    return s;
  }

 private:
  Stubs stubs_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> provisioning_channel_;
  std::shared_ptr<grpc::Channel> registry_channel_;
  std::shared_ptr<grpc::Channel> kms_channel_;
};

// grpc.health.v1 Check (service "") through `channel`: true when SERVING within `timeout`.
bool BackendServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout);

}  // namespace chainkms::gateway
