#include "services/gateway/custodial.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/server/logging.h"
#include "lib/server/status.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace {

std::string HexOf(const std::string& raw) {
  return HexEncode(ByteView(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), true);
}

absl::Status CheckFlowId(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  return ok ? absl::OkStatus()
            : InvalidFieldError("flow_id", "required: 1-64 of [A-Za-z0-9._-] (the resume key)");
}

// One backend call in `scope`; a backend error comes back as absl (reason kept).
template <typename Stub, typename Req, typename Resp>
absl::Status Call(Gateway& gw, const CallScope& scope, Stub& stub,
                  grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
                  Resp* resp, Idempotency idem) {
  grpc::Status s = gw.backends().Call(scope, idem, [&](grpc::ClientContext* ctx) {
    resp->Clear();
    return (stub.*m)(ctx, req, resp);
  });
  return s.ok() ? absl::OkStatus() : server::FromGrpcStatus(s);
}

// A waited-for transaction that did not end CONFIRMED is the flow's failure, named.
absl::Status CheckMined(const pb::TransactionStatus& tx, const std::string& step) {
  if (tx.state() == pb::TRANSACTION_STATE_CONFIRMED) return absl::OkStatus();
  if (tx.state() == pb::TRANSACTION_STATE_PENDING) {
    return absl::DeadlineExceededError(
        absl::StrCat(step, ": transaction ", HexOf(tx.tx_hash()),
                     " is still pending; call again with the same flow_id to resume"));
  }
  return absl::FailedPreconditionError(absl::StrCat(step, ": transaction ", HexOf(tx.tx_hash()),
                                                    " did not succeed: ", tx.failure_reason()));
}

void AddStep(google::protobuf::RepeatedPtrField<pb::FlowStep>* steps, std::string name,
             std::string outcome, const std::string& tx, std::string detail) {
  pb::FlowStep* s = steps->Add();
  s->set_name(std::move(name));
  s->set_outcome(std::move(outcome));
  s->set_tx_hash(tx);
  s->set_detail(std::move(detail));
}

pb::WriteOptions Waited(std::string key) {
  pb::WriteOptions o;
  o.set_wait(true);
  o.set_idempotency_key(std::move(key));
  return o;
}

}  // namespace

absl::Status GatewayFlows::CheckSigner(const CallScope& scope, const std::string& owner) const {
  if (owner.size() != 20) return InvalidFieldError("owner", "must be 20 bytes");
  auto it = signers_.find(scope.workspace);
  if (it == signers_.end() ||
      std::find(it->second.begin(), it->second.end(), owner) == it->second.end()) {
    return WithReason(absl::PermissionDeniedError(
                          absl::StrCat("this workspace may not use the registry signer ",
                                       HexOf(owner), " (the gateway's --custodial-signers)")),
                      Reason::kNotOwner, {{"from", HexOf(owner)}});
  }
  return absl::OkStatus();
}

absl::Status GatewayFlows::DoDeploy(const CallScope& scope, const pb::DeployCvmRequest& req,
                                    pb::DeployCvmResponse* resp) {
  RETURN_IF_ERROR(CheckFlowId(req.flow_id()));
  RETURN_IF_ERROR(CheckSigner(scope, req.owner()));
  if (!req.app_id().empty() && req.app_id().size() != 20) {
    return InvalidFieldError("app_id", "must be 20 bytes or empty");
  }
  Backends& b = gateway_.backends();
  pb::ProvisionCvmRequest provision;
  provision.set_name(req.name());
  *provision.mutable_compose() = req.compose();
  provision.set_kms(req.kms());
  provision.set_node(req.node());
  pb::ProvisionCvmResponse provisioned;
  RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                       &pb::Provisioning::StubInterface::ProvisionCvm, provision, &provisioned,
                       Idempotency::kWrite));
  AddStep(resp->mutable_steps(), "provision", "done", "",
          absl::StrCat("compose hash ", HexOf(provisioned.compose_hash()), " on node ",
                       provisioned.node()));

  std::string app = req.app_id();
  if (app.empty()) {
    pb::DeployAppRequest deploy;
    deploy.set_chain_id(provisioned.kms().chain_id());
    deploy.set_from(req.owner());
    deploy.set_owner(req.owner());
    deploy.set_allow_any_device(req.allow_any_device());
    deploy.set_disable_upgrades(req.disable_upgrades());
    deploy.set_initial_device_id(provisioned.device_id());
    deploy.set_initial_compose_hash(provisioned.compose_hash());
    *deploy.mutable_options() =
        Waited(absl::StrCat("deploy-cvm:", scope.workspace, ":", req.flow_id()));
    pb::DeployAppResponse deployed;
    RETURN_IF_ERROR(Call(gateway_, scope, b.registry(), &pb::Registry::StubInterface::DeployApp,
                         deploy, &deployed, Idempotency::kWrite));
    RETURN_IF_ERROR(CheckMined(deployed.transaction(), "deploy_app"));
    app = deployed.app_id();
    AddStep(resp->mutable_steps(), "deploy_app", "done", deployed.transaction().tx_hash(),
            absl::StrCat("app ", HexOf(app), " with its first compose hash and device"));
  } else {
    AddStep(resp->mutable_steps(), "deploy_app", "skipped", "",
            absl::StrCat("resumed with app ", HexOf(app)));
  }

  pb::CommitCvmProvisionRequest commit;
  commit.set_app_id(app);
  commit.set_compose_hash(provisioned.compose_hash());
  commit.set_encrypted_env(req.encrypted_env());
  *commit.mutable_env_keys() = req.env_keys();
  commit.set_deployer(req.owner());
  pb::CommitCvmProvisionResponse committed;
  RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                       &pb::Provisioning::StubInterface::CommitCvmProvision, commit, &committed,
                       Idempotency::kWrite));
  AddStep(resp->mutable_steps(), "commit", "done", "", absl::StrCat("CVM ", committed.cvm().id()));
  *resp->mutable_cvm() = committed.cvm();
  return absl::OkStatus();
}

absl::Status GatewayFlows::DoUpdate(const CallScope& scope, const pb::UpdateCvmRequest& req,
                                    pb::UpdateCvmResponse* resp) {
  RETURN_IF_ERROR(CheckFlowId(req.flow_id()));
  RETURN_IF_ERROR(CheckSigner(scope, req.owner()));
  Backends& b = gateway_.backends();
  pb::PatchCvmRequest patch;
  patch.set_cvm_id(req.cvm_id());
  *patch.mutable_compose() = req.compose();
  if (req.has_encrypted_env()) patch.set_encrypted_env(req.encrypted_env());
  *patch.mutable_env_keys() = req.env_keys();
  pb::PatchCvmResponse patched;
  RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                       &pb::Provisioning::StubInterface::PatchCvm, patch, &patched,
                       Idempotency::kWrite));
  if (patched.has_applied()) {
    AddStep(resp->mutable_steps(), "patch", "applied", "", "compose hash unchanged");
    *resp->mutable_cvm() = patched.applied();
    return absl::OkStatus();
  }
  const pb::OnChainHashRequired& need = patched.requires_on_chain_hash();
  AddStep(resp->mutable_steps(), "patch", "done", "",
          absl::StrCat("new compose hash ", HexOf(need.compose_hash())));
  if (need.onchain_status().compose_hash_allowed()) {
    // Registered already (an interrupted call got this far): commit without a transaction.
    AddStep(resp->mutable_steps(), "add_compose_hash", "skipped", "", "already allowed on chain");
    pb::PatchCvmRequest prepare = patch;
    prepare.set_prepare_only(true);
    pb::PatchCvmResponse prepared;
    RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                         &pb::Provisioning::StubInterface::PatchCvm, prepare, &prepared,
                         Idempotency::kWrite));
    pb::CommitCvmUpdateRequest commit;
    commit.set_cvm_id(req.cvm_id());
    commit.set_token(prepared.requires_on_chain_hash().commit_token());
    commit.set_compose_hash(need.compose_hash());
    commit.set_already_registered(true);
    pb::CommitCvmUpdateResponse committed;
    RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                         &pb::Provisioning::StubInterface::CommitCvmUpdate, commit, &committed,
                         Idempotency::kWrite));
    AddStep(resp->mutable_steps(), "confirm", "done", "", "committed as already registered");
    *resp->mutable_cvm() = committed.cvm();
    return absl::OkStatus();
  }
  pb::AddComposeHashRequest add;
  add.set_chain_id(need.kms().chain_id());
  add.set_from(req.owner());
  add.set_app_id(need.app_id());
  add.set_compose_hash(need.compose_hash());
  *add.mutable_options() = Waited(absl::StrCat("update-cvm:", scope.workspace, ":", req.flow_id()));
  pb::AddComposeHashResponse added;
  RETURN_IF_ERROR(Call(gateway_, scope, b.registry(), &pb::Registry::StubInterface::AddComposeHash,
                       add, &added, Idempotency::kWrite));
  RETURN_IF_ERROR(CheckMined(added.transaction(), "add_compose_hash"));
  AddStep(resp->mutable_steps(), "add_compose_hash", "done", added.transaction().tx_hash(),
          absl::StrCat("addComposeHash on app ", HexOf(need.app_id())));
  pb::ConfirmCvmPatchRequest confirm;
  confirm.set_cvm_id(req.cvm_id());
  confirm.set_compose_hash(need.compose_hash());
  confirm.set_tx_hash(added.transaction().tx_hash());
  pb::ConfirmCvmPatchResponse confirmed;
  RETURN_IF_ERROR(Call(gateway_, scope, b.provisioning(),
                       &pb::Provisioning::StubInterface::ConfirmCvmPatch, confirm, &confirmed,
                       Idempotency::kWrite));
  AddStep(resp->mutable_steps(), "confirm", "done", added.transaction().tx_hash(),
          "confirmed with the addComposeHash transaction");
  *resp->mutable_cvm() = confirmed.cvm();
  return absl::OkStatus();
}

namespace {

template <typename Body>
grpc::Status Run(Gateway& gateway, grpc::ServerContext* ctx, Body&& body) {
  server::ConcurrencyLimiter::Permit permit;
  if (gateway.serving().unary != nullptr) {
    permit = gateway.serving().unary->TryAcquire();
    if (!permit) {
      return server::ToGrpcStatus(
          server::OverloadedError("gateway is at its concurrent RPC limit; retry with backoff"));
    }
  }
  absl::StatusOr<CallScope> scope =
      gateway.Admit(ApiKeyOf(*ctx), server::RequestContext::FromServerContext(*ctx).request_id,
                    absl::FromChrono(ctx->deadline()), ctx);
  if (!scope.ok()) return server::ToGrpcStatus(scope.status());
  return server::ToGrpcStatus(body(*scope));
}

}  // namespace

grpc::Status GatewayFlows::DeployCvm(Ctx* ctx, const pb::DeployCvmRequest* req,
                                     pb::DeployCvmResponse* resp) {
  return Run(gateway_, ctx, [&](const CallScope& s) { return DoDeploy(s, *req, resp); });
}

grpc::Status GatewayFlows::UpdateCvm(Ctx* ctx, const pb::UpdateCvmRequest* req,
                                     pb::UpdateCvmResponse* resp) {
  return Run(gateway_, ctx, [&](const CallScope& s) { return DoUpdate(s, *req, resp); });
}

}  // namespace chainkms::gateway
