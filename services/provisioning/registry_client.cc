#include "services/provisioning/registry_client.h"

#include <string>

#include "lib/server/logging.h"
#include "lib/server/proto_fields.h"
#include "lib/server/status.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Raw;

RegistryClient::RegistryClient(pb::Registry::StubInterface& stub, Clock& clock, Options options)
    : stub_(stub), clock_(clock), options_(options) {}

std::unique_ptr<grpc::ClientContext> RegistryClient::Context(
    const grpc::ServerContext* parent) const {
  std::unique_ptr<grpc::ClientContext> ctx;
  const auto bound = std::chrono::system_clock::now() +
                     std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.timeout));
  if (parent != nullptr) {
    ctx = grpc::ClientContext::FromServerContext(*parent);
    if (ctx->deadline() > bound) ctx->set_deadline(bound);
    const auto& md = parent->client_metadata();
    auto it = md.find(std::string(server::kRequestIdMetadataKey));
    if (it != md.end()) {
      ctx->AddMetadata(std::string(server::kRequestIdMetadataKey),
                       std::string(it->second.data(), it->second.size()));
    }
  } else {
    ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(bound);
  }
  return ctx;
}

absl::StatusOr<pb::GetKmsInfoResponse> RegistryClient::GetKmsInfo(const grpc::ServerContext* parent,
                                                                  uint64_t chain_id) {
  {
    chainkms::MutexLock lock(&mu_);
    auto it = kms_info_.find(chain_id);
    if (it != kms_info_.end() && clock_.Now() - it->second.fetched < options_.kms_info_ttl) {
      return it->second.info;
    }
  }
  pb::GetKmsInfoRequest req;
  req.set_chain_id(chain_id);
  pb::GetKmsInfoResponse resp;
  ++round_trips_;
  grpc::Status s = stub_.GetKmsInfo(Context(parent).get(), req, &resp);
  if (!s.ok()) return server::FromGrpcStatus(s, "registry GetKmsInfo");
  chainkms::MutexLock lock(&mu_);
  kms_info_[chain_id] = {resp, clock_.Now()};
  return resp;
}

absl::StatusOr<pb::GetAppResponse> RegistryClient::GetApp(const grpc::ServerContext* parent,
                                                          uint64_t chain_id, const Address& app) {
  pb::GetAppRequest req;
  req.set_chain_id(chain_id);
  req.set_app_id(Raw(app));
  pb::GetAppResponse resp;
  ++round_trips_;
  grpc::Status s = stub_.GetApp(Context(parent).get(), req, &resp);
  if (!s.ok()) return server::FromGrpcStatus(s, "registry GetApp");
  return resp;
}

absl::StatusOr<pb::CheckPrerequisitesResponse> RegistryClient::CheckPrerequisites(
    const grpc::ServerContext* parent, uint64_t chain_id, const Address& app,
    const Hash32& compose_hash, const std::vector<Hash32>& device_ids) {
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(chain_id);
  req.set_app_id(Raw(app));
  req.add_compose_hashes(Raw(compose_hash));
  for (const Hash32& d : device_ids) req.add_device_ids(Raw(d));
  pb::CheckPrerequisitesResponse resp;
  ++round_trips_;
  grpc::Status s = stub_.CheckPrerequisites(Context(parent).get(), req, &resp);
  if (!s.ok()) return server::FromGrpcStatus(s, "registry CheckPrerequisites");
  if (resp.compose_hash_allowed_size() != 1 ||
      resp.device_id_allowed_size() != static_cast<int>(device_ids.size())) {
    return absl::InternalError("registry CheckPrerequisites answered lists of the wrong length");
  }
  return resp;
}

absl::StatusOr<pb::VerifyComposeHashTransactionResponse>
RegistryClient::VerifyComposeHashTransaction(const grpc::ServerContext* parent, uint64_t chain_id,
                                             const Address& app, const Hash32& compose_hash,
                                             const Hash32& tx_hash) {
  pb::VerifyComposeHashTransactionRequest req;
  req.set_chain_id(chain_id);
  req.set_app_id(Raw(app));
  req.set_compose_hash(Raw(compose_hash));
  req.set_tx_hash(Raw(tx_hash));
  pb::VerifyComposeHashTransactionResponse resp;
  ++round_trips_;
  grpc::Status s = stub_.VerifyComposeHashTransaction(Context(parent).get(), req, &resp);
  if (!s.ok()) return server::FromGrpcStatus(s, "registry VerifyComposeHashTransaction");
  return resp;
}

}  // namespace chainkms::provisioning
