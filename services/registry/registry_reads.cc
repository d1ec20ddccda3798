// RegistryService: reads. Each answer is one ChainReader call — one round trip (lib/chain
// reader.h) — and names the block it was read at; an explicit block_number is the call's block
// tag.
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/server/proto_fields.h"
#include "services/registry/proto_convert.h"
#include "services/registry/registry_handlers.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::CheckMaxCount;
using server::Raw;
using server::ToAddress;
using server::ToHash;

namespace {

absl::StatusOr<std::vector<Hash32>> Hashes(const google::protobuf::RepeatedPtrField<std::string>& in,
                                           std::string_view field) {
  RETURN_IF_ERROR(CheckMaxCount(in.size(), ChainReader::kMaxItems, field));
  std::vector<Hash32> out;
  out.reserve(in.size());
  for (int i = 0; i < in.size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(in.Get(i), absl::StrCat(std::string(field), "[", i, "]")));
    out.push_back(h);
  }
  return out;
}

}  // namespace

grpc::Status RegistryService::GetApp(Ctx*, const pb::GetAppRequest* req, pb::GetAppResponse* resp) {
  return Unary([&] { return DoGetApp(*req, resp); });
}

absl::Status RegistryService::DoGetApp(const pb::GetAppRequest& req, pb::GetAppResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  absl::StatusOr<AppState> read = chain->reader->GetApp(app, At(req.block_number()));
  RETURN_IF_ERROR(ExplainBlockError(*chain, req.block_number(), read.status()));
  const AppState& s = *read;
  resp->set_app_id(Raw(s.app_id));
  resp->set_owner(Raw(s.owner));
  if (s.pending_owner.has_value() && !s.pending_owner->IsZero()) {
    resp->set_pending_owner(Raw(*s.pending_owner));
  }
  resp->set_allow_any_device(s.allow_any_device);
  resp->set_require_tcb_up_to_date(s.require_tcb_up_to_date.value_or(false));
  resp->set_implementation(Raw(s.implementation));
  if (s.version.has_value()) resp->set_version(s.version->ToU64().value_or(0));
  resp->set_registered(s.registered);
  resp->set_upgrades_disabled(s.upgrades_disabled.value_or(false));
  resp->set_block_number(s.block.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::CheckPrerequisites(Ctx*, const pb::CheckPrerequisitesRequest* req,
                                                 pb::CheckPrerequisitesResponse* resp) {
  return Unary([&] { return DoCheckPrerequisites(*req, resp); });
}

absl::Status RegistryService::DoCheckPrerequisites(const pb::CheckPrerequisitesRequest& req,
                                                   pb::CheckPrerequisitesResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(std::vector<Hash32> hashes, Hashes(req.compose_hashes(), "compose_hashes"));
  ASSIGN_OR_RETURN(std::vector<Hash32> devices, Hashes(req.device_ids(), "device_ids"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  absl::StatusOr<Prerequisites> read =
      chain->reader->CheckPrerequisites(app, devices, hashes, At(req.block_number()));
  RETURN_IF_ERROR(ExplainBlockError(*chain, req.block_number(), read.status()));
  bool all = true;
  for (bool b : read->compose_hash_allowed) {
    resp->add_compose_hash_allowed(b);
    all = all && b;
  }
  for (bool b : read->device_allowed) {
    resp->add_device_id_allowed(b);
    all = all && b;
  }
  resp->set_allow_any_device(read->allow_any_device);
  resp->set_all_allowed(all);
  resp->set_block_number(read->block.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::IsAppAllowed(Ctx*, const pb::IsAppAllowedRequest* req,
                                           pb::IsAppAllowedResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(::chainkms::AppBootInfo info, ToBootInfo(req->boot_info()));
    ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req->chain_id()));
    absl::StatusOr<AllowDecision> d = chain->reader->IsAppAllowed(info, At(req->block_number()));
    RETURN_IF_ERROR(ExplainBlockError(*chain, req->block_number(), d.status()));
    resp->set_is_allowed(d->allowed);
    resp->set_reason(d->reason);
    resp->set_block_number(d->block.number);
    return absl::OkStatus();
  });
}

grpc::Status RegistryService::IsKmsAllowed(Ctx*, const pb::IsKmsAllowedRequest* req,
                                           pb::IsKmsAllowedResponse* resp) {
  return Unary([&]() -> absl::Status {
    ASSIGN_OR_RETURN(::chainkms::AppBootInfo info, ToBootInfo(req->boot_info()));
    ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req->chain_id()));
    absl::StatusOr<AllowDecision> d = chain->reader->IsKmsAllowed(info, At(req->block_number()));
    RETURN_IF_ERROR(ExplainBlockError(*chain, req->block_number(), d.status()));
    resp->set_is_allowed(d->allowed);
    resp->set_reason(d->reason);
    resp->set_block_number(d->block.number);
    return absl::OkStatus();
  });
}

grpc::Status RegistryService::CheckDeviceAllowed(Ctx*, const pb::CheckDeviceAllowedRequest* req,
                                                 pb::CheckDeviceAllowedResponse* resp) {
  return Unary([&] { return DoCheckDeviceAllowed(*req, resp); });
}

absl::Status RegistryService::DoCheckDeviceAllowed(const pb::CheckDeviceAllowedRequest& req,
                                                   pb::CheckDeviceAllowedResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(Hash32 device, ToHash(req.device_id(), "device_id"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  std::vector<Hash32> devices = {device};
  absl::StatusOr<Prerequisites> p =
      chain->reader->CheckPrerequisites(app, devices, {}, At(req.block_number()));
  RETURN_IF_ERROR(ExplainBlockError(*chain, req.block_number(), p.status()));
  resp->set_allowed(p->device_allowed.at(0));
  resp->set_allow_any_device(p->allow_any_device);
  resp->set_device_listed(p->device_listed.at(0));
  resp->set_block_number(p->block.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::GetKmsInfo(Ctx*, const pb::GetKmsInfoRequest* req,
                                         pb::GetKmsInfoResponse* resp) {
  return Unary([&] { return DoGetKmsInfo(*req, resp); });
}

absl::Status RegistryService::DoGetKmsInfo(const pb::GetKmsInfoRequest& req,
                                           pb::GetKmsInfoResponse* resp) {
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  absl::StatusOr<KmsState> read = chain->reader->GetKmsState(At(req.block_number()));
  RETURN_IF_ERROR(ExplainBlockError(*chain, req.block_number(), read.status()));
  const KmsState& s = *read;
  resp->set_kms_contract(Raw(chain->kms));
  resp->set_owner(Raw(s.owner));
  if (s.pending_owner.has_value()) resp->set_pending_owner(Raw(*s.pending_owner));
  resp->mutable_kms_info()->set_k256_pubkey(Raw(s.info.k256_pubkey));
  resp->mutable_kms_info()->set_ca_pubkey(Raw(s.info.ca_pubkey));
  resp->mutable_kms_info()->set_quote(Raw(s.info.quote));
  resp->mutable_kms_info()->set_eventlog(Raw(s.info.eventlog));
  resp->set_app_implementation(Raw(s.app_implementation));
  resp->set_gateway_app_id(s.gateway_app_id);
  resp->set_block_number(s.block.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::CheckKmsAllowlists(Ctx*, const pb::CheckKmsAllowlistsRequest* req,
                                                 pb::CheckKmsAllowlistsResponse* resp) {
  return Unary([&] { return DoCheckKmsAllowlists(*req, resp); });
}

absl::Status RegistryService::DoCheckKmsAllowlists(const pb::CheckKmsAllowlistsRequest& req,
                                                   pb::CheckKmsAllowlistsResponse* resp) {
  ASSIGN_OR_RETURN(std::vector<Hash32> os, Hashes(req.os_image_hashes(), "os_image_hashes"));
  ASSIGN_OR_RETURN(std::vector<Hash32> mrs, Hashes(req.kms_aggregated_mrs(), "kms_aggregated_mrs"));
  ASSIGN_OR_RETURN(std::vector<Hash32> devices, Hashes(req.kms_device_ids(), "kms_device_ids"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  absl::StatusOr<KmsAllowlists> read =
      chain->reader->CheckKmsAllowlists(os, mrs, devices, At(req.block_number()));
  RETURN_IF_ERROR(ExplainBlockError(*chain, req.block_number(), read.status()));
  for (bool b : read->os_image_allowed) resp->add_os_image_hash_allowed(b);
  for (bool b : read->aggregated_mr_allowed) resp->add_kms_aggregated_mr_allowed(b);
  for (bool b : read->device_allowed) resp->add_kms_device_id_allowed(b);
  resp->set_block_number(read->block.number);
  return absl::OkStatus();
}

}  // namespace chainkms::registry
