// The gateway's public gRPC API: the backends' own services re-served, so a client generated
// from proto/ talks to the gateway exactly as it would to the backend, with an API key:
//   chainkms.v1.Provisioning  every RPC (CommitCvmUpdate and GetPendingUpdate need no key: the
//   token is
//                             the credential)
//   chainkms.v1.Registry      the reads, CheckPrerequisites, PrepareTransaction,
//                             SubmitSignedTransaction, GetTransaction; the registry's own signing
//                             writes answer UNIMPLEMENTED here (the custodial flows use them)
//   chainkms.v1.Kms           GetAppEnvEncryptPubKey, GetMeta (CVMs reach kms itself for keys)
// Each call: shed at the concurrency limit, admit (API key → workspace, rate limit), forward with
// the workspace, request id and deadline; the backend's status (code, message, ErrorInfo) is
// returned unchanged.
#pragma once

#include "chainkms/v1/kms.grpc.pb.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "services/gateway/gateway.h"

namespace chainkms::gateway {

class ProvisioningProxy final : public chainkms::v1::Provisioning::Service {
 public:
  using Ctx = grpc::ServerContext;
  explicit ProvisioningProxy(Gateway& gateway) : gateway_(gateway) {}
  grpc::Status GetCvm(Ctx*, const chainkms::v1::GetCvmRequest*,
                      chainkms::v1::GetCvmResponse*) override;
  grpc::Status ListCvms(Ctx*, const chainkms::v1::ListCvmsRequest*,
                        chainkms::v1::ListCvmsResponse*) override;
  grpc::Status GetComposeFile(Ctx*, const chainkms::v1::GetComposeFileRequest*,
                              chainkms::v1::GetComposeFileResponse*) override;
  grpc::Status GetCvmAllowlistStatus(Ctx*, const chainkms::v1::GetCvmAllowlistStatusRequest*,
                                     chainkms::v1::GetCvmAllowlistStatusResponse*) override;
  grpc::Status ListKms(Ctx*, const chainkms::v1::ListKmsRequest*,
                       chainkms::v1::ListKmsResponse*) override;
  grpc::Status ListWebhooks(Ctx*, const chainkms::v1::ListWebhooksRequest*,
                            chainkms::v1::ListWebhooksResponse*) override;
  grpc::Status ListWebhookDeliveries(Ctx*, const chainkms::v1::ListWebhookDeliveriesRequest*,
                                     chainkms::v1::ListWebhookDeliveriesResponse*) override;
  grpc::Status ProvisionCvm(Ctx*, const chainkms::v1::ProvisionCvmRequest*,
                            chainkms::v1::ProvisionCvmResponse*) override;
  grpc::Status CommitCvmProvision(Ctx*, const chainkms::v1::CommitCvmProvisionRequest*,
                                  chainkms::v1::CommitCvmProvisionResponse*) override;
  grpc::Status PatchCvm(Ctx*, const chainkms::v1::PatchCvmRequest*,
                        chainkms::v1::PatchCvmResponse*) override;
  grpc::Status ConfirmCvmPatch(Ctx*, const chainkms::v1::ConfirmCvmPatchRequest*,
                               chainkms::v1::ConfirmCvmPatchResponse*) override;
  grpc::Status CreateWebhook(Ctx*, const chainkms::v1::CreateWebhookRequest*,
                             chainkms::v1::CreateWebhookResponse*) override;
  grpc::Status RotateWebhookSecret(Ctx*, const chainkms::v1::RotateWebhookSecretRequest*,
                                   chainkms::v1::RotateWebhookSecretResponse*) override;
  grpc::Status DeleteWebhook(Ctx*, const chainkms::v1::DeleteWebhookRequest*,
                             chainkms::v1::DeleteWebhookResponse*) override;
  grpc::Status CommitCvmUpdate(Ctx*, const chainkms::v1::CommitCvmUpdateRequest*,
                               chainkms::v1::CommitCvmUpdateResponse*) override;
  grpc::Status GetPendingUpdate(Ctx*, const chainkms::v1::GetPendingUpdateRequest*,
                                chainkms::v1::GetPendingUpdateResponse*) override;

 private:
  Gateway& gateway_;
};

class RegistryProxy final : public chainkms::v1::Registry::Service {
 public:
  using Ctx = grpc::ServerContext;
  explicit RegistryProxy(Gateway& gateway) : gateway_(gateway) {}
  grpc::Status GetApp(Ctx*, const chainkms::v1::GetAppRequest*,
                      chainkms::v1::GetAppResponse*) override;
  grpc::Status CheckPrerequisites(Ctx*, const chainkms::v1::CheckPrerequisitesRequest*,
                                  chainkms::v1::CheckPrerequisitesResponse*) override;
  grpc::Status IsAppAllowed(Ctx*, const chainkms::v1::IsAppAllowedRequest*,
                            chainkms::v1::IsAppAllowedResponse*) override;
  grpc::Status CheckDeviceAllowed(Ctx*, const chainkms::v1::CheckDeviceAllowedRequest*,
                                  chainkms::v1::CheckDeviceAllowedResponse*) override;
  grpc::Status VerifyComposeHashTransaction(
      Ctx*, const chainkms::v1::VerifyComposeHashTransactionRequest*,
      chainkms::v1::VerifyComposeHashTransactionResponse*) override;
  grpc::Status PrepareTransaction(Ctx*, const chainkms::v1::PrepareTransactionRequest*,
                                  chainkms::v1::PrepareTransactionResponse*) override;
  grpc::Status GetTransaction(Ctx*, const chainkms::v1::GetTransactionRequest*,
                              chainkms::v1::GetTransactionResponse*) override;
  grpc::Status GetKmsInfo(Ctx*, const chainkms::v1::GetKmsInfoRequest*,
                          chainkms::v1::GetKmsInfoResponse*) override;
  grpc::Status CheckKmsAllowlists(Ctx*, const chainkms::v1::CheckKmsAllowlistsRequest*,
                                  chainkms::v1::CheckKmsAllowlistsResponse*) override;
  grpc::Status IsKmsAllowed(Ctx*, const chainkms::v1::IsKmsAllowedRequest*,
                            chainkms::v1::IsKmsAllowedResponse*) override;
  grpc::Status SubmitSignedTransaction(Ctx*, const chainkms::v1::SubmitSignedTransactionRequest*,
                                       chainkms::v1::SubmitSignedTransactionResponse*) override;

 private:
  Gateway& gateway_;
};

class KmsProxy final : public chainkms::v1::Kms::Service {
 public:
  using Ctx = grpc::ServerContext;
  explicit KmsProxy(Gateway& gateway) : gateway_(gateway) {}
  grpc::Status GetAppEnvEncryptPubKey(Ctx*, const chainkms::v1::GetAppEnvEncryptPubKeyRequest*,
                                      chainkms::v1::GetAppEnvEncryptPubKeyResponse*) override;
  grpc::Status GetMeta(Ctx*, const chainkms::v1::GetMetaRequest*,
                       chainkms::v1::GetMetaResponse*) override;

 private:
  Gateway& gateway_;
};

}  // namespace chainkms::gateway
