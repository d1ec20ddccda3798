// PatchCvm → (register the hash on chain) → ConfirmCvmPatch (EOA owners) or, prepare-only,
// CommitCvmUpdate with the commit token (multisig / timelock owners). DESIGN §5.5.
#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/compose/app_compose.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"
#include "lib/eth/abi.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"
#include "services/provisioning/events.h"
#include "services/provisioning/proto_convert.h"
#include "services/provisioning/provisioning_service.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Handle;
using server::Raw;

namespace {

constexpr std::string_view kTokenPrefix = "ckt_";

// A commit token: "ckt_" + 64 hex (256 random bits). Only its SHA-256 is stored.
std::string NewCommitToken() {
  return absl::StrCat(std::string(kTokenPrefix), HexEncode(RandomBytes(32)));
}

bool IsCommitToken(std::string_view t) {
  if (t.size() != kTokenPrefix.size() + 64 || t.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return false;
  }
  for (char c : t.substr(kTokenPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Bytes TokenHash(std::string_view token) {
  const Hash32 h = Sha256(ByteView(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
  return Bytes(h.bytes.begin(), h.bytes.end());
}

absl::Status Expired(std::string_view detail, std::string_view message) {
  return WithReason(absl::FailedPreconditionError(std::string(message)),
                    Reason::kHashInvalidOrExpired, {{"detail", std::string(detail)}});
}

// Token checks in the documented order: exists / not expired / not superseded / not used.
absl::Status CheckPendingUsable(const PendingUpdate& p, int64_t now) {
  if (p.expires_at <= now) {
    return Expired("expired", "the commit token expired; run the prepare again");
  }
  if (p.state == "superseded") {
    return Expired("superseded",
                   "a newer update of this CVM superseded this one; use the newest "
                   "commit token");
  }
  if (p.state == "used") return Expired("used", "this update was already applied");
  if (p.state != "pending") return Expired("unknown", "unknown pending update");
  return absl::OkStatus();
}

// The registry's proof that `tx` emitted ComposeHashAdded(hash) on the app; an unknown or
// unproving transaction is TRANSACTION_VERIFICATION_FAILED.
absl::StatusOr<pb::VerifyComposeHashTransactionResponse> ProvenTransaction(
    RegistryClient& registry, const grpc::ServerContext& ctx, uint64_t chain_id, const Address& app,
    const Hash32& hash, const Hash32& tx) {
  absl::StatusOr<pb::VerifyComposeHashTransactionResponse> v =
      registry.VerifyComposeHashTransaction(&ctx, chain_id, app, hash, tx);
  if (!v.ok() && ReasonOf(v.status()) == Reason::kTransactionNotFound) {
    return TransactionUnprovenError(tx, "no such transaction on the chain");
  }
  RETURN_IF_ERROR(v.status());
  if (!v->verified()) return TransactionUnprovenError(tx, v->detail());
  return v;
}

}  // namespace

absl::StatusOr<CvmRecord> ProvisioningService::ApplyPending(const PendingUpdate& pending) {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(CvmRecord before, store_.GetCvm(pending.workspace, pending.cvm_id));
  CvmRecord after = before;
  after.compose_hash = pending.compose_hash;
  after.revision = before.revision + 1;
  ASSIGN_OR_RETURN(CvmRecord cvm,
                   store_.ApplyPendingUpdate(
                       pending, absl::ToUnixSeconds(now),
                       {MakeEvent(kEventCvmUpdated, pending.workspace, now, CvmEventData(after))}));
  EventsQueued();
  Launch(cvm, /*restart=*/true);
  return store_.GetCvm(pending.workspace, pending.cvm_id);
}

absl::Status ProvisioningService::DoPatch(const Ctx& ctx, const pb::PatchCvmRequest& req,
                                          pb::PatchCvmResponse* resp) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(ctx));
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(ws, req.cvm_id()));
  PendingUpdate change{.cvm_id = cvm.id, .workspace = ws};
  change.compose_hash = cvm.compose_hash;
  change.app_compose = cvm.app_compose;
  if (req.has_compose()) {
    ASSIGN_OR_RETURN(change.app_compose, BuildCompose(req.compose(), cvm.name));
    change.compose_hash = compose::ComposeHash(change.app_compose);
  }
  if (req.has_encrypted_env()) {
    RETURN_IF_ERROR(
        server::CheckMaxSize(req.encrypted_env(), kMaxEncryptedEnvBytes, "encrypted_env"));
    RETURN_IF_ERROR(CheckEnvKeys(req.env_keys(), "env_keys"));
    change.has_env = true;
    change.encrypted_env.assign(req.encrypted_env().begin(), req.encrypted_env().end());
    change.env_keys.assign(req.env_keys().begin(), req.env_keys().end());
  } else if (req.env_keys_size() > 0) {
    return InvalidFieldError("env_keys", "only with encrypted_env");
  }
  ASSIGN_OR_RETURN(pb::KmsRef kms, KmsRefOf(&ctx, cvm));
  const absl::Time now = clock_.Now();

  if (change.compose_hash == cvm.compose_hash) {
    CvmRecord after = cvm;
    after.revision += 1;
    ASSIGN_OR_RETURN(
        CvmRecord applied,
        store_.ApplyUpdate(ws, cvm.id, change, absl::ToUnixSeconds(now),
                           {MakeEvent(kEventCvmUpdated, ws, now, CvmEventData(after))}));
    EventsQueued();
    Launch(applied, /*restart=*/true);
    ASSIGN_OR_RETURN(CvmRecord current, store_.GetCvm(ws, cvm.id));
    CvmToProto(current, kms, resp->mutable_applied());
    return absl::OkStatus();
  }

  // A changed hash on an on-chain app: answer what to register, with the chain's view now.
  ASSIGN_OR_RETURN(pb::CheckPrerequisitesResponse check,
                   registry_.CheckPrerequisites(&ctx, kms.chain_id(), cvm.app_id,
                                                change.compose_hash, {cvm.device_id}));
  const AbiValue arg = AbiValue::FixedBytes(ByteView(change.compose_hash.bytes));
  ASSIGN_OR_RETURN(Bytes calldata, EncodeCall(sig::kAddComposeHash, {&arg, 1}));

  pb::OnChainHashRequired* out = resp->mutable_requires_on_chain_hash();
  out->set_compose_hash(Raw(change.compose_hash));
  out->set_app_id(Raw(cvm.app_id));
  out->set_device_id(Raw(cvm.device_id));
  *out->mutable_kms() = kms;
  pb::OnChainStatus* status = out->mutable_onchain_status();
  status->set_compose_hash_allowed(check.compose_hash_allowed(0));
  status->set_device_id_allowed(check.device_id_allowed(0));
  status->set_is_allowed(check.compose_hash_allowed(0) && check.device_id_allowed(0));
  status->set_block_number(check.block_number());
  pb::OnChainAction* action = out->mutable_onchain_action();
  action->set_to(Raw(cvm.app_id));
  action->set_method(std::string(sig::kAddComposeHash));
  action->set_calldata(Raw(ByteView(calldata)));
  out->set_app_compose(change.app_compose);

  change.id = NewId("upd_");
  change.created_at = absl::ToUnixSeconds(now);
  change.expires_at = change.created_at + absl::ToInt64Seconds(options_.token_ttl);
  out->set_expires_at(change.expires_at);
  std::vector<OutboxEvent> events;
  if (req.prepare_only()) {
    const std::string token = NewCommitToken();
    change.token_hash = TokenHash(token);
    const std::string commit_url =
        absl::StrCat(options_.public_url, "/cvms/", cvm.id, "/confirm-update?token=", token);
    const std::string api_commit_url =
        absl::StrCat(options_.public_url, "/api/v1/cvms/", cvm.id, "/commit-update?token=", token);
    out->set_commit_token(token);
    out->set_commit_url(commit_url);
    out->set_api_commit_url(api_commit_url);
    events.push_back(MakeEvent(
        kEventPendingApproval, ws, now,
        {{"cvm_id", cvm.id},
         {"cvm_name", cvm.name},
         {"compose_hash", Hex0x(change.compose_hash.bytes)},
         {"app_id", Hex0x(cvm.app_id.bytes)},
         {"device_id", Hex0x(cvm.device_id.bytes)},
         {"kms", {{"chain_id", kms.chain_id()}, {"contract_address", Hex0xOf(kms.kms_contract())}}},
         {"onchain_action",
          {{"to", Hex0x(cvm.app_id.bytes)},
           {"method", std::string(sig::kAddComposeHash)},
           {"calldata", Hex0x(calldata)}}},
         {"commit_token", token},
         {"commit_url", commit_url},
         {"api_commit_url", api_commit_url},
         {"expires_at", Rfc3339(change.expires_at)}}));
  }
  RETURN_IF_ERROR(store_.CreatePendingUpdate(change, events));
  if (!events.empty()) EventsQueued();
  return absl::OkStatus();
}

grpc::Status ProvisioningService::PatchCvm(Ctx* ctx, const pb::PatchCvmRequest* req,
                                           pb::PatchCvmResponse* resp) {
  return Handle(serving_.unary, [&] { return DoPatch(*ctx, *req, resp); });
}

absl::Status ProvisioningService::DoConfirm(const Ctx& ctx, const pb::ConfirmCvmPatchRequest& req,
                                            pb::ConfirmCvmPatchResponse* resp) {
  ASSIGN_OR_RETURN(std::string ws, WorkspaceOf(ctx));
  ASSIGN_OR_RETURN(Hash32 hash, server::ToHash(req.compose_hash(), "compose_hash"));
  ASSIGN_OR_RETURN(Hash32 tx, server::ToHash(req.tx_hash(), "tx_hash"));
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(ws, req.cvm_id()));
  ASSIGN_OR_RETURN(PendingUpdate pending, store_.GetPendingForHash(ws, cvm.id, hash));
  RETURN_IF_ERROR(CheckPendingUsable(pending, Now()));
  ASSIGN_OR_RETURN(pb::KmsRef kms, KmsRefOf(&ctx, cvm));
  ASSIGN_OR_RETURN(pb::VerifyComposeHashTransactionResponse v,
                   ProvenTransaction(registry_, ctx, kms.chain_id(), cvm.app_id, hash, tx));
  if (!v.compose_hash_allowed()) return HashNotAllowedError(cvm.app_id, hash);
  ASSIGN_OR_RETURN(CvmRecord applied, ApplyPending(pending));
  CvmToProto(applied, kms, resp->mutable_cvm());
  return absl::OkStatus();
}

grpc::Status ProvisioningService::ConfirmCvmPatch(Ctx* ctx, const pb::ConfirmCvmPatchRequest* req,
                                                  pb::ConfirmCvmPatchResponse* resp) {
  return Handle(serving_.unary, [&] { return DoConfirm(*ctx, *req, resp); });
}

absl::StatusOr<PendingUpdate> ProvisioningService::PendingOfToken(std::string_view ws,
                                                                  std::string_view cvm_ref,
                                                                  std::string_view token) {
  if (!IsCommitToken(token)) return Expired("unknown", "unknown commit token");
  ASSIGN_OR_RETURN(PendingUpdate pending, store_.GetPendingByToken(TokenHash(token)));
  if (!ws.empty() && pending.workspace != ws) return Expired("unknown", "unknown commit token");
  if (pending.cvm_id != cvm_ref) {  // the CVM named another way (app id, name)?
    absl::StatusOr<CvmRecord> named = store_.GetCvm(pending.workspace, cvm_ref);
    if (!named.ok() && !absl::IsNotFound(named.status())) return named.status();
    if (!named.ok() || named->id != pending.cvm_id) {
      return Expired("unknown", "unknown commit token");
    }
  }
  return pending;
}

absl::Status ProvisioningService::DoGetPendingUpdate(const Ctx& ctx,
                                                     const pb::GetPendingUpdateRequest& req,
                                                     pb::GetPendingUpdateResponse* resp) {
  ASSIGN_OR_RETURN(std::string ws, OptionalWorkspaceOf(ctx));
  ASSIGN_OR_RETURN(PendingUpdate pending, PendingOfToken(ws, req.cvm_id(), req.token()));
  const absl::Status usable = CheckPendingUsable(pending, Now());
  resp->set_state(usable.ok() ? "pending" : MetadataOf(usable).at("detail"));
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(pending.workspace, pending.cvm_id));
  resp->set_cvm_name(cvm.name);
  ASSIGN_OR_RETURN(pb::KmsRef kms, KmsRefOf(&ctx, cvm));
  ASSIGN_OR_RETURN(pb::CheckPrerequisitesResponse check,
                   registry_.CheckPrerequisites(&ctx, kms.chain_id(), cvm.app_id,
                                                pending.compose_hash, {cvm.device_id}));
  const AbiValue arg = AbiValue::FixedBytes(ByteView(pending.compose_hash.bytes));
  ASSIGN_OR_RETURN(Bytes calldata, EncodeCall(sig::kAddComposeHash, {&arg, 1}));
  pb::OnChainHashRequired* out = resp->mutable_update();
  out->set_compose_hash(Raw(pending.compose_hash));
  out->set_app_id(Raw(cvm.app_id));
  out->set_device_id(Raw(cvm.device_id));
  *out->mutable_kms() = kms;
  pb::OnChainStatus* status = out->mutable_onchain_status();
  status->set_compose_hash_allowed(check.compose_hash_allowed(0));
  status->set_device_id_allowed(check.device_id_allowed(0) || check.allow_any_device());
  status->set_is_allowed(status->compose_hash_allowed() && status->device_id_allowed());
  status->set_block_number(check.block_number());
  pb::OnChainAction* action = out->mutable_onchain_action();
  action->set_to(Raw(cvm.app_id));
  action->set_method(std::string(sig::kAddComposeHash));
  action->set_calldata(Raw(ByteView(calldata)));
  out->set_app_compose(pending.app_compose);
  out->set_expires_at(pending.expires_at);
  return absl::OkStatus();
}

grpc::Status ProvisioningService::GetPendingUpdate(Ctx* ctx, const pb::GetPendingUpdateRequest* req,
                                                   pb::GetPendingUpdateResponse* resp) {
  return Handle(serving_.unary, [&] { return DoGetPendingUpdate(*ctx, *req, resp); });
}

absl::Status ProvisioningService::DoCommitUpdate(const Ctx& ctx,
                                                 const pb::CommitCvmUpdateRequest& req,
                                                 pb::CommitCvmUpdateResponse* resp) {
  // The token is the credential; a workspace, when the caller has one, must match it.
  ASSIGN_OR_RETURN(std::string ws, OptionalWorkspaceOf(ctx));
  if (req.proof_case() == pb::CommitCvmUpdateRequest::PROOF_NOT_SET ||
      (req.proof_case() == pb::CommitCvmUpdateRequest::kAlreadyRegistered &&
       !req.already_registered())) {
    return InvalidFieldError("tx_hash", "give tx_hash, or already_registered = true");
  }
  std::optional<Hash32> tx;
  if (req.proof_case() == pb::CommitCvmUpdateRequest::kTxHash) {
    ASSIGN_OR_RETURN(tx, server::ToHash(req.tx_hash(), "tx_hash"));
  }
  std::optional<Hash32> asked;
  if (!req.compose_hash().empty()) {
    ASSIGN_OR_RETURN(asked, server::ToHash(req.compose_hash(), "compose_hash"));
  }
  ASSIGN_OR_RETURN(PendingUpdate pending, PendingOfToken(ws, req.cvm_id(), req.token()));
  RETURN_IF_ERROR(CheckPendingUsable(pending, Now()));
  if (asked.has_value() && *asked != pending.compose_hash) {
    return Expired("hash_mismatch", absl::StrCat("compose hash ", Hex0x(asked->bytes),
                                                 " is not the one this token was issued for (",
                                                 Hex0x(pending.compose_hash.bytes), ")"));
  }
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(pending.workspace, pending.cvm_id));
  ASSIGN_OR_RETURN(pb::KmsRef kms, KmsRefOf(&ctx, cvm));
  ASSIGN_OR_RETURN(pb::CheckPrerequisitesResponse check,
                   registry_.CheckPrerequisites(&ctx, kms.chain_id(), cvm.app_id,
                                                pending.compose_hash, {cvm.device_id}));
  if (!check.compose_hash_allowed(0)) {
    if (!tx.has_value()) {
      return WithReason(
          absl::FailedPreconditionError(absl::StrCat(
              "compose hash ", Hex0x(pending.compose_hash.bytes), " is not registered on app ",
              Hex0x(cvm.app_id.bytes), " yet: get addComposeHash executed, then commit")),
          Reason::kHashRegistrationRequired,
          {{"app_id", Hex0x(cvm.app_id.bytes)},
           {"compose_hash", Hex0x(pending.compose_hash.bytes)}});
    }
    return HashNotAllowedError(cvm.app_id, pending.compose_hash);
  }
  if (!check.device_id_allowed(0))
    return DeviceNotAllowedError(cvm.app_id, cvm.device_id, cvm.node);
  if (tx.has_value()) {
    RETURN_IF_ERROR(
        ProvenTransaction(registry_, ctx, kms.chain_id(), cvm.app_id, pending.compose_hash, *tx)
            .status());
  }
  ASSIGN_OR_RETURN(CvmRecord applied, ApplyPending(pending));
  CvmToProto(applied, kms, resp->mutable_cvm());
  return absl::OkStatus();
}

grpc::Status ProvisioningService::CommitCvmUpdate(Ctx* ctx, const pb::CommitCvmUpdateRequest* req,
                                                  pb::CommitCvmUpdateResponse* resp) {
  return Handle(serving_.unary, [&] { return DoCommitUpdate(*ctx, *req, resp); });
}

}  // namespace chainkms::provisioning
