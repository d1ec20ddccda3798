#include "services/gateway/grpc_proxies.h"

#include "absl/time/clock.h"
#include "lib/server/logging.h"
#include "lib/server/status.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace {

enum class Credential { kApiKey, kOptionalApiKey };

// The caller's host (no port): the rate-limit bucket of calls without a key.
std::string PeerHost(const grpc::ServerContext& ctx) {
  std::string peer = ctx.peer();
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

template <typename Stub, typename Req, typename Resp>
grpc::Status Forward(Gateway& gateway, grpc::ServerContext* ctx, Stub& stub,
                     grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                     const Req& req, Resp* resp, Idempotency idempotency,
                     Credential credential = Credential::kApiKey) {
  server::ConcurrencyLimiter::Permit permit;
  if (gateway.serving().unary != nullptr) {
    permit = gateway.serving().unary->TryAcquire();
    if (!permit) {
      return server::ToGrpcStatus(
          server::OverloadedError("gateway is at its concurrent RPC limit; retry with backoff"));
    }
  }
  const std::string request_id = server::RequestContext::FromServerContext(*ctx).request_id;
  const absl::Time deadline = absl::FromChrono(ctx->deadline());
  absl::StatusOr<CallScope> scope =
      credential == Credential::kApiKey
          ? gateway.Admit(ApiKeyOf(*ctx), request_id, deadline, ctx)
          : gateway.AdmitOptionalKey(ApiKeyOf(*ctx), PeerHost(*ctx), request_id, deadline, ctx);
  if (!scope.ok()) return server::ToGrpcStatus(scope.status());
  return gateway.backends().Call(*scope, idempotency, [&](grpc::ClientContext* c) {
    resp->Clear();
    return (stub.*method)(c, req, resp);
  });
}

}  // namespace

grpc::Status ProvisioningProxy::GetCvm(Ctx* ctx, const pb::GetCvmRequest* req,
                                       pb::GetCvmResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::GetCvm, *req, resp, Idempotency::kRead);
}

grpc::Status ProvisioningProxy::ListCvms(Ctx* ctx, const pb::ListCvmsRequest* req,
                                         pb::ListCvmsResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ListCvms, *req, resp, Idempotency::kRead);
}

grpc::Status ProvisioningProxy::GetComposeFile(Ctx* ctx, const pb::GetComposeFileRequest* req,
                                               pb::GetComposeFileResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::GetComposeFile, *req, resp, Idempotency::kRead);
}

grpc::Status ProvisioningProxy::GetCvmAllowlistStatus(Ctx* ctx,
                                                      const pb::GetCvmAllowlistStatusRequest* req,
                                                      pb::GetCvmAllowlistStatusResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::GetCvmAllowlistStatus, *req, resp,
                 Idempotency::kRead);
}

grpc::Status ProvisioningProxy::ListKms(Ctx* ctx, const pb::ListKmsRequest* req,
                                        pb::ListKmsResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ListKms, *req, resp, Idempotency::kRead);
}

grpc::Status ProvisioningProxy::ListWebhooks(Ctx* ctx, const pb::ListWebhooksRequest* req,
                                             pb::ListWebhooksResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ListWebhooks, *req, resp, Idempotency::kRead);
}

grpc::Status ProvisioningProxy::ListWebhookDeliveries(Ctx* ctx,
                                                      const pb::ListWebhookDeliveriesRequest* req,
                                                      pb::ListWebhookDeliveriesResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ListWebhookDeliveries, *req, resp,
                 Idempotency::kRead);
}

grpc::Status ProvisioningProxy::ProvisionCvm(Ctx* ctx, const pb::ProvisionCvmRequest* req,
                                             pb::ProvisionCvmResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ProvisionCvm, *req, resp, Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::CommitCvmProvision(Ctx* ctx,
                                                   const pb::CommitCvmProvisionRequest* req,
                                                   pb::CommitCvmProvisionResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::CommitCvmProvision, *req, resp,
                 Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::PatchCvm(Ctx* ctx, const pb::PatchCvmRequest* req,
                                         pb::PatchCvmResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::PatchCvm, *req, resp, Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::ConfirmCvmPatch(Ctx* ctx, const pb::ConfirmCvmPatchRequest* req,
                                                pb::ConfirmCvmPatchResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::ConfirmCvmPatch, *req, resp,
                 Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::CreateWebhook(Ctx* ctx, const pb::CreateWebhookRequest* req,
                                              pb::CreateWebhookResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::CreateWebhook, *req, resp, Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::RotateWebhookSecret(Ctx* ctx,
                                                    const pb::RotateWebhookSecretRequest* req,
                                                    pb::RotateWebhookSecretResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::RotateWebhookSecret, *req, resp,
                 Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::DeleteWebhook(Ctx* ctx, const pb::DeleteWebhookRequest* req,
                                              pb::DeleteWebhookResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::DeleteWebhook, *req, resp, Idempotency::kWrite);
}

grpc::Status ProvisioningProxy::CommitCvmUpdate(Ctx* ctx, const pb::CommitCvmUpdateRequest* req,
                                                pb::CommitCvmUpdateResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::CommitCvmUpdate, *req, resp, Idempotency::kWrite,
                 Credential::kOptionalApiKey);
}

grpc::Status ProvisioningProxy::GetPendingUpdate(Ctx* ctx, const pb::GetPendingUpdateRequest* req,
                                                 pb::GetPendingUpdateResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().provisioning(),
                 &pb::Provisioning::StubInterface::GetPendingUpdate, *req, resp, Idempotency::kRead,
                 Credential::kOptionalApiKey);
}

grpc::Status RegistryProxy::GetApp(Ctx* ctx, const pb::GetAppRequest* req,
                                   pb::GetAppResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::GetApp, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::CheckPrerequisites(Ctx* ctx, const pb::CheckPrerequisitesRequest* req,
                                               pb::CheckPrerequisitesResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::CheckPrerequisites, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::IsAppAllowed(Ctx* ctx, const pb::IsAppAllowedRequest* req,
                                         pb::IsAppAllowedResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::IsAppAllowed, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::CheckDeviceAllowed(Ctx* ctx, const pb::CheckDeviceAllowedRequest* req,
                                               pb::CheckDeviceAllowedResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::CheckDeviceAllowed, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::VerifyComposeHashTransaction(
    Ctx* ctx, const pb::VerifyComposeHashTransactionRequest* req,
    pb::VerifyComposeHashTransactionResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::VerifyComposeHashTransaction, *req, resp,
                 Idempotency::kRead);
}

grpc::Status RegistryProxy::PrepareTransaction(Ctx* ctx, const pb::PrepareTransactionRequest* req,
                                               pb::PrepareTransactionResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::PrepareTransaction, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::GetTransaction(Ctx* ctx, const pb::GetTransactionRequest* req,
                                           pb::GetTransactionResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::GetTransaction, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::GetKmsInfo(Ctx* ctx, const pb::GetKmsInfoRequest* req,
                                       pb::GetKmsInfoResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::GetKmsInfo, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::CheckKmsAllowlists(Ctx* ctx, const pb::CheckKmsAllowlistsRequest* req,
                                               pb::CheckKmsAllowlistsResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::CheckKmsAllowlists, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::IsKmsAllowed(Ctx* ctx, const pb::IsKmsAllowedRequest* req,
                                         pb::IsKmsAllowedResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::IsKmsAllowed, *req, resp, Idempotency::kRead);
}

grpc::Status RegistryProxy::SubmitSignedTransaction(Ctx* ctx,
                                                    const pb::SubmitSignedTransactionRequest* req,
                                                    pb::SubmitSignedTransactionResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().registry(),
                 &pb::Registry::StubInterface::SubmitSignedTransaction, *req, resp,
                 Idempotency::kWrite);
}

grpc::Status KmsProxy::GetAppEnvEncryptPubKey(Ctx* ctx,
                                              const pb::GetAppEnvEncryptPubKeyRequest* req,
                                              pb::GetAppEnvEncryptPubKeyResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().kms(),
                 &pb::Kms::StubInterface::GetAppEnvEncryptPubKey, *req, resp, Idempotency::kRead);
}

grpc::Status KmsProxy::GetMeta(Ctx* ctx, const pb::GetMetaRequest* req, pb::GetMetaResponse* resp) {
  return Forward(gateway_, ctx, gateway_.backends().kms(), &pb::Kms::StubInterface::GetMeta, *req,
                 resp, Idempotency::kRead);
}

}  // namespace chainkms::gateway
