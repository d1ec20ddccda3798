#include "services/gateway/backends.h"

#include <chrono>
#include <future>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "lib/server/logging.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace {

constexpr std::string_view kWorkspaceMetadataKey = "x-chainkms-workspace";

std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

std::unique_ptr<Backends> Backends::Connect(const std::string& provisioning,
                                            const std::string& registry, const std::string& kms,
                                            absl::Duration timeout) {
  std::shared_ptr<grpc::Channel> p = Channel(provisioning);
  std::shared_ptr<grpc::Channel> r = Channel(registry);
  std::shared_ptr<grpc::Channel> k = Channel(kms);
  Stubs stubs{.provisioning = pb::Provisioning::NewStub(p),
              .admin = pb::ProvisioningAdmin::NewStub(p),
              .registry = pb::Registry::NewStub(r),
              .kms = pb::Kms::NewStub(k)};
  return std::make_unique<Backends>(std::move(stubs), timeout, p, r, k);
}

Backends::Backends(Stubs stubs, absl::Duration timeout,
                   std::shared_ptr<grpc::Channel> provisioning_channel,
                   std::shared_ptr<grpc::Channel> registry_channel,
                   std::shared_ptr<grpc::Channel> kms_channel)
    : stubs_(std::move(stubs)),
      timeout_(timeout),
      provisioning_channel_(std::move(provisioning_channel)),
      registry_channel_(std::move(registry_channel)),
      kms_channel_(std::move(kms_channel)) {}

std::unique_ptr<grpc::ClientContext> Backends::Context(const CallScope& scope) const {
  std::unique_ptr<grpc::ClientContext> ctx =
      scope.parent != nullptr ? grpc::ClientContext::FromServerContext(*scope.parent)
                              : std::make_unique<grpc::ClientContext>();
  const absl::Time deadline = std::min(scope.deadline, absl::Now() + timeout_);
  ctx->set_deadline(absl::ToChronoTime(deadline));
  if (!scope.workspace.empty()) {
    ctx->AddMetadata(std::string(kWorkspaceMetadataKey), scope.workspace);
  }
  if (!scope.request_id.empty()) {
    ctx->AddMetadata(std::string(server::kRequestIdMetadataKey), scope.request_id);
  }
  return ctx;
}

bool BackendServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  if (channel == nullptr) return false;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Slice empty("");  // HealthCheckRequest{} (service ""): zero bytes
  grpc::ByteBuffer req(&empty, 1);
  grpc::ByteBuffer resp;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  if (!done.get_future().get().ok()) return false;
  std::vector<grpc::Slice> slices;
  if (!resp.Dump(&slices).ok()) return false;
  std::string body;
  for (const auto& sl : slices) body.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return body.size() == 2 && body[0] == 0x08 && body[1] == 1;  // {1: SERVING}
}

}  // namespace chainkms::gateway
