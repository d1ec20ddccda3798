// RegistryService: policy writes (DstackApp, ownership, app registration) and KMS
// administration writes (DstackKms). Each parses its fields, builds the calldata and goes
// through Write (signer lookup, idempotency, owner check, send, optional wait).
#include <variant>

#include "lib/chain/contracts.h"
#include "lib/common/status_macros.h"
#include "lib/server/proto_fields.h"
#include "services/registry/proto_convert.h"
#include "services/registry/registry_handlers.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::OptionalHash;
using server::Raw;
using server::ToAddress;
using server::ToHash;

grpc::Status RegistryService::DeployApp(Ctx*, const pb::DeployAppRequest* req,
                                        pb::DeployAppResponse* resp) {
  return Unary([&] { return DoDeployApp(*req, resp); });
}

absl::Status RegistryService::DoDeployApp(const pb::DeployAppRequest& req,
                                          pb::DeployAppResponse* resp) {
  ASSIGN_OR_RETURN(Address from, ToAddress(req.from(), "from"));
  AppPolicyInit init{.owner = from,
                     .disable_upgrades = req.disable_upgrades(),
                     .require_tcb_up_to_date = req.require_tcb_up_to_date(),
                     .allow_any_device = req.allow_any_device()};
  if (!req.owner().empty()) {
    ASSIGN_OR_RETURN(init.owner, ToAddress(req.owner(), "owner"));
  }
  ASSIGN_OR_RETURN(init.device_id, OptionalHash(req.initial_device_id(), "initial_device_id"));
  ASSIGN_OR_RETURN(init.compose_hash, OptionalHash(req.initial_compose_hash(), "initial_compose_hash"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  ASSIGN_OR_RETURN(WriteResult w,
                   Write({.chain_id = req.chain_id(), .from = &req.from(), .options = &req.options(),
                          .to = chain->kms, .data = dstack_kms::DeployAndRegisterApp(init)},
                         resp->mutable_transaction()));
  if (w.receipt.has_value() && w.receipt->success) {
    for (const ContractEvent& e : w.receipt->EventsFrom(chain->kms)) {
      if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) resp->set_app_id(Raw(d->app_id));
    }
  }
  return absl::OkStatus();
}

grpc::Status RegistryService::AddComposeHash(Ctx*, const pb::AddComposeHashRequest* req,
                                             pb::AddComposeHashResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->compose_hash(), "compose_hash"));
    return AppWrite(*req, app, dstack_app::AddComposeHash(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::RemoveComposeHash(Ctx*, const pb::RemoveComposeHashRequest* req,
                                                pb::RemoveComposeHashResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->compose_hash(), "compose_hash"));
    return AppWrite(*req, app, dstack_app::RemoveComposeHash(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::AddDevice(Ctx*, const pb::AddDeviceRequest* req,
                                        pb::AddDeviceResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Hash32 d, ToHash(req->device_id(), "device_id"));
    return AppWrite(*req, app, dstack_app::AddDevice(d), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::RemoveDevice(Ctx*, const pb::RemoveDeviceRequest* req,
                                           pb::RemoveDeviceResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Hash32 d, ToHash(req->device_id(), "device_id"));
    return AppWrite(*req, app, dstack_app::RemoveDevice(d), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::SetAllowAnyDevice(Ctx*, const pb::SetAllowAnyDeviceRequest* req,
                                                pb::SetAllowAnyDeviceResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    return AppWrite(*req, app, dstack_app::SetAllowAnyDevice(req->allow_any_device()),
                    resp->mutable_transaction());
  });
}

grpc::Status RegistryService::SetRequireTcbUpToDate(Ctx*, const pb::SetRequireTcbUpToDateRequest* req,
                                                    pb::SetRequireTcbUpToDateResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    return AppWrite(*req, app, dstack_app::SetRequireTcbUpToDate(req->require_tcb_up_to_date()),
                    resp->mutable_transaction());
  });
}

grpc::Status RegistryService::DisableUpgrades(Ctx*, const pb::DisableUpgradesRequest* req,
                                              pb::DisableUpgradesResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    return AppWrite(*req, app, dstack_app::DisableUpgrades(), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::TransferOwnership(Ctx*, const pb::TransferOwnershipRequest* req,
                                                pb::TransferOwnershipResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address contract, ToAddress(req->contract(), "contract"));
    ASSIGN_OR_RETURN(Address new_owner, ToAddress(req->new_owner(), "new_owner"));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = contract, .data = ownable::TransferOwnership(new_owner),
                  .check = OwnerCheck::kOwner, .owned_contract = contract},
                 resp->mutable_transaction())
        .status();
  });
}

grpc::Status RegistryService::AcceptOwnership(Ctx*, const pb::AcceptOwnershipRequest* req,
                                              pb::AcceptOwnershipResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address contract, ToAddress(req->contract(), "contract"));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = contract, .data = ownable::AcceptOwnership(),
                  .check = OwnerCheck::kPendingOwner, .owned_contract = contract},
                 resp->mutable_transaction())
        .status();
  });
}

grpc::Status RegistryService::RegisterApp(Ctx*, const pb::RegisterAppRequest* req,
                                          pb::RegisterAppResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req->chain_id()));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = chain->kms, .data = dstack_kms::RegisterApp(app),
                  .check = OwnerCheck::kOwner, .owned_contract = app},
                 resp->mutable_transaction())
        .status();
  });
}

grpc::Status RegistryService::AddOsImageHash(Ctx*, const pb::AddOsImageHashRequest* req,
                                             pb::AddOsImageHashResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->os_image_hash(), "os_image_hash"));
    return KmsWrite(*req, dstack_kms::AddOsImageHash(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::RemoveOsImageHash(Ctx*, const pb::RemoveOsImageHashRequest* req,
                                                pb::RemoveOsImageHashResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->os_image_hash(), "os_image_hash"));
    return KmsWrite(*req, dstack_kms::RemoveOsImageHash(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::AddKmsAggregatedMr(Ctx*, const pb::AddKmsAggregatedMrRequest* req,
                                                 pb::AddKmsAggregatedMrResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->mr_aggregated(), "mr_aggregated"));
    return KmsWrite(*req, dstack_kms::AddKmsAggregatedMr(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::RemoveKmsAggregatedMr(Ctx*, const pb::RemoveKmsAggregatedMrRequest* req,
                                                    pb::RemoveKmsAggregatedMrResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->mr_aggregated(), "mr_aggregated"));
    return KmsWrite(*req, dstack_kms::RemoveKmsAggregatedMr(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::AddKmsDevice(Ctx*, const pb::AddKmsDeviceRequest* req,
                                           pb::AddKmsDeviceResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->device_id(), "device_id"));
    return KmsWrite(*req, dstack_kms::AddKmsDevice(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::RemoveKmsDevice(Ctx*, const pb::RemoveKmsDeviceRequest* req,
                                              pb::RemoveKmsDeviceResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req->device_id(), "device_id"));
    return KmsWrite(*req, dstack_kms::RemoveKmsDevice(h), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::SetKmsInfo(Ctx*, const pb::SetKmsInfoRequest* req,
                                         pb::SetKmsInfoResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(::chainkms::KmsInfo info, ToKmsInfo(req->kms_info(), "kms_info"));
    return KmsWrite(*req, dstack_kms::SetKmsInfo(info), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::SetAppImplementation(Ctx*, const pb::SetAppImplementationRequest* req,
                                                   pb::SetAppImplementationResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Address impl, ToAddress(req->implementation(), "implementation"));
    return KmsWrite(*req, dstack_kms::SetAppImplementation(impl), resp->mutable_transaction());
  });
}

grpc::Status RegistryService::SetGatewayAppId(Ctx*, const pb::SetGatewayAppIdRequest* req,
                                              pb::SetGatewayAppIdResponse* resp) {
  return Unary([&]() -> absl::Status {
    RETURN_IF_ERROR(CheckGatewayAppId(req->gateway_app_id(), "gateway_app_id"));
    return KmsWrite(*req, dstack_kms::SetGatewayAppId(req->gateway_app_id()),
                    resp->mutable_transaction());
  });
}

}  // namespace chainkms::registry
