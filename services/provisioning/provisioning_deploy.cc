// ProvisionCvm → (the owner deploys the DstackApp) → CommitCvmProvision, and the reads.
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/compose/app_compose.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"
#include "services/provisioning/events.h"
#include "services/provisioning/proto_convert.h"
#include "services/provisioning/provisioning_service.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Handle;
using server::Raw;

absl::Status ProvisioningService::DoProvision(const Ctx& ctx, const pb::ProvisionCvmRequest& req,
                                              pb::ProvisionCvmResponse* resp) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(ctx));
  if (!compose::IsHostnameLabel(req.name())) {
    return InvalidFieldError("name", "must be 1-63 of [A-Za-z0-9-], no leading or trailing '-'");
  }
  if (!req.has_compose()) return InvalidFieldError("compose", "required");
  ASSIGN_OR_RETURN(const KmsConfig* kms, FindKms(req.kms(), "kms"));
  ASSIGN_OR_RETURN(NodeConfig node, nodes_.Pick(req.node()));
  ASSIGN_OR_RETURN(std::string app_compose, BuildCompose(req.compose(), req.name()));
  const Hash32 hash = compose::ComposeHash(app_compose);
  // The KMS the app must be deployed through; no chain answer, no provision (fail closed).
  ASSIGN_OR_RETURN(pb::KmsRef ref, KmsRefFor(&ctx, *kms));
  const int64_t now = Now();
  const int64_t expires = now + absl::ToInt64Seconds(options_.token_ttl);
  RETURN_IF_ERROR(store_.PutProvision({.workspace = ws,
                                       .compose_hash = hash,
                                       .name = req.name(),
                                       .app_compose = app_compose,
                                       .kms_slug = kms->slug,
                                       .node = node.name,
                                       .device_id = node.device_id,
                                       .os_image_hash = node.os_image_hash,
                                       .created_at = now,
                                       .expires_at = expires}));
  resp->set_compose_hash(Raw(hash));
  resp->set_app_compose(std::move(app_compose));
  resp->set_node(node.name);
  resp->set_device_id(Raw(node.device_id));
  resp->set_os_image_hash(Raw(node.os_image_hash));
  *resp->mutable_kms() = std::move(ref);
  resp->set_expires_at(expires);
  return absl::OkStatus();
}

grpc::Status ProvisioningService::ProvisionCvm(Ctx* ctx, const pb::ProvisionCvmRequest* req,
                                               pb::ProvisionCvmResponse* resp) {
  return Handle(serving_.unary, [&] { return DoProvision(*ctx, *req, resp); });
}

absl::Status ProvisioningService::DoCommitProvision(const Ctx& ctx,
                                                    const pb::CommitCvmProvisionRequest& req,
                                                    pb::CommitCvmProvisionResponse* resp) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(ctx));
  ASSIGN_OR_RETURN(Address app, server::ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(Hash32 hash, server::ToHash(req.compose_hash(), "compose_hash"));
  RETURN_IF_ERROR(
      server::CheckMaxSize(req.encrypted_env(), kMaxEncryptedEnvBytes, "encrypted_env"));
  RETURN_IF_ERROR(CheckEnvKeys(req.env_keys(), "env_keys"));
  if (!req.kms_contract().empty()) {
    RETURN_IF_ERROR(server::ToAddress(req.kms_contract(), "kms_contract").status());
  }
  if (!req.deployer().empty())
    RETURN_IF_ERROR(server::ToAddress(req.deployer(), "deployer").status());

  ASSIGN_OR_RETURN(ProvisionRecord p, store_.GetProvision(ws, hash, Now()));
  ASSIGN_OR_RETURN(const KmsConfig* kms, FindKms(p.kms_slug, "kms"));
  ASSIGN_OR_RETURN(pb::KmsRef ref, KmsRefFor(&ctx, *kms));
  if (!req.kms_contract().empty() && req.kms_contract() != ref.kms_contract()) {
    return InvalidFieldError(
        "kms_contract",
        absl::StrCat("the app's KMS ", Hex0xOf(req.kms_contract()), " is not this provision's ",
                     kms->slug, " KMS ", Hex0xOf(ref.kms_contract())));
  }
  // On chain, through the registry: registered in this chain's DstackKms, hash and device allowed.
  ASSIGN_OR_RETURN(pb::GetAppResponse app_state, registry_.GetApp(&ctx, kms->chain_id, app));
  if (!app_state.registered()) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("app ", Hex0x(app.bytes), " is not registered in the ",
                                         kms->slug, " DstackKms ", Hex0xOf(ref.kms_contract()),
                                         "; deploy it through DstackKms.deployAndRegisterApp")),
        Reason::kAppNotFound, {{"app_id", Hex0x(app.bytes)}});
  }
  ASSIGN_OR_RETURN(pb::CheckPrerequisitesResponse check,
                   registry_.CheckPrerequisites(&ctx, kms->chain_id, app, hash, {p.device_id}));
  if (!check.compose_hash_allowed(0)) return HashNotAllowedError(app, hash);
  if (!check.device_id_allowed(0)) return DeviceNotAllowedError(app, p.device_id, p.node);

  const absl::Time now = clock_.Now();
  CvmRecord cvm{.id = NewId("cvm_"),
                .workspace = ws,
                .name = p.name,
                .app_id = app,
                .compose_hash = hash,
                .app_compose = p.app_compose,
                .kms_slug = p.kms_slug,
                .node = p.node,
                .device_id = p.device_id,
                .os_image_hash = p.os_image_hash,
                .encrypted_env = Bytes(req.encrypted_env().begin(), req.encrypted_env().end()),
                .env_keys = {req.env_keys().begin(), req.env_keys().end()},
                .deployer = Bytes(req.deployer().begin(), req.deployer().end()),
                .status = "provisioning",
                .created_at = absl::ToUnixSeconds(now),
                .updated_at = absl::ToUnixSeconds(now),
                .revision = 1};
  ASSIGN_OR_RETURN(
      CreatedCvm created,
      store_.CreateCvm(cvm, {MakeEvent(kEventCvmCreated, ws, now, CvmEventData(cvm))}));
  if (created.created) {
    EventsQueued();
    Launch(created.cvm, /*restart=*/false);
  }
  ASSIGN_OR_RETURN(CvmRecord current, store_.GetCvm(ws, created.cvm.id));
  CvmToProto(current, ref, resp->mutable_cvm());
  return absl::OkStatus();
}

grpc::Status ProvisioningService::CommitCvmProvision(Ctx* ctx,
                                                     const pb::CommitCvmProvisionRequest* req,
                                                     pb::CommitCvmProvisionResponse* resp) {
  return Handle(serving_.unary, [&] { return DoCommitProvision(*ctx, *req, resp); });
}

grpc::Status ProvisioningService::GetCvm(Ctx* ctx, const pb::GetCvmRequest* req,
                                         pb::GetCvmResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(ws, req->cvm_id()));
    ASSIGN_OR_RETURN(pb::KmsRef ref, KmsRefOf(ctx, cvm));
    CvmToProto(cvm, ref, resp->mutable_cvm());
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::ListCvms(Ctx* ctx, const pb::ListCvmsRequest* req,
                                           pb::ListCvmsResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    ASSIGN_OR_RETURN(int64_t limit, PageSize(req->page_size(), "page_size"));
    if (!req->page_token().empty() && !IsId(req->page_token(), "cvm_")) {
      return InvalidFieldError("page_token", "not a token this service issued");
    }
    ASSIGN_OR_RETURN(std::vector<CvmRecord> page,
                     store_.ListCvms(ws, limit + 1, req->page_token()));
    ASSIGN_OR_RETURN(int64_t total, store_.CountCvms(ws));
    const bool more = static_cast<int64_t>(page.size()) > limit;
    if (more) page.pop_back();
    for (const CvmRecord& cvm : page) {
      ASSIGN_OR_RETURN(pb::KmsRef ref, KmsRefOf(ctx, cvm));
      CvmToProto(cvm, ref, resp->add_cvms());
    }
    if (more) resp->set_next_page_token(page.back().id);
    resp->set_total(static_cast<uint64_t>(total));
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::GetComposeFile(Ctx* ctx, const pb::GetComposeFileRequest* req,
                                                 pb::GetComposeFileResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(ws, req->cvm_id()));
    resp->set_app_compose(cvm.app_compose);
    resp->set_compose_hash(Raw(cvm.compose_hash));
    return absl::OkStatus();
  });
}

grpc::Status ProvisioningService::GetCvmAllowlistStatus(Ctx* ctx,
                                                        const pb::GetCvmAllowlistStatusRequest* req,
                                                        pb::GetCvmAllowlistStatusResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(*ctx));
    ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(ws, req->cvm_id()));
    ASSIGN_OR_RETURN(const KmsConfig* kms, FindKms(cvm.kms_slug, "kms"));
    std::vector<std::pair<std::string, Hash32>> devices = {{cvm.node, cvm.device_id}};
    for (const NodeConfig& n : nodes_.nodes()) {
      if (n.device_id != cvm.device_id) devices.emplace_back(n.name, n.device_id);
    }
    std::vector<Hash32> ids;
    for (const auto& d : devices) ids.push_back(d.second);
    ASSIGN_OR_RETURN(
        pb::CheckPrerequisitesResponse check,
        registry_.CheckPrerequisites(ctx, kms->chain_id, cvm.app_id, cvm.compose_hash, ids));
    resp->set_app_id(Raw(cvm.app_id));
    resp->set_chain_id(kms->chain_id);
    resp->set_allow_any_device(check.allow_any_device());
    for (size_t i = 0; i < devices.size(); ++i) {
      pb::DeviceAllowlistEntry* e = resp->add_devices();
      e->set_node(devices[i].first);
      e->set_device_id(Raw(devices[i].second));
      e->set_allowed(check.device_id_allowed(static_cast<int>(i)));
    }
    resp->set_compose_hash_allowed(check.compose_hash_allowed(0));
    resp->set_block_number(check.block_number());
    return absl::OkStatus();
  });
}

}  // namespace chainkms::provisioning
