// ProvisioningService: chainkms.v1.Provisioning — the gRPC adapter over the ProvisioningStore, the
// registry (RegistryClient: on-chain status and transaction proofs; provisioning never touches a
// chain) and the node pool. Each handler is Handle(limiter, core): shed, take the workspace from
// the metadata, validate every field at the edge, run the core.
//
// The handlers live in one file per concern: provisioning_deploy.cc (provision, commit, reads),
// provisioning_update.cc (patch, confirm, commit-update), provisioning_webhooks.cc (endpoints and
// deliveries). Registry round trips per flow (the minimum each needs, counted in tests):
//   ProvisionCvm        GetKmsInfo (cached per chain)                     0-1
//   CommitCvmProvision  GetApp (registered) + CheckPrerequisites          2 (+ GetKmsInfo if cold)
//   PatchCvm, changed   CheckPrerequisites (the on-chain status snapshot) 1
//   ConfirmCvmPatch     VerifyComposeHashTransaction (incl. allowed now)  1
//   CommitCvmUpdate     CheckPrerequisites (+ VerifyComposeHashTransaction unless
//   already_registered)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "chainkms/v1/provisioning.grpc.pb.h"
#include "lib/common/clock.h"
#include "lib/server/server.h"
#include "services/provisioning/node_driver.h"
#include "services/provisioning/registry_client.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {

// A KMS this deployment offers: a slug, its chain and where CVMs reach chainkms-kms.
struct KmsConfig {
  std::string slug;
  uint64_t chain_id = 0;
  std::string url;
};

// `<slug>=<chain id>[;url=<kms url>]`, whitespace-separated (--kms).
absl::StatusOr<std::vector<KmsConfig>> ParseKmsSpecs(std::string_view specs);

struct ProvisioningOptions {
  std::vector<KmsConfig> kms;
  // Where the gateway is reached from outside: commit URLs are built on it.
  std::string public_url = "http://127.0.0.1:8080";
  // Lifetime of a pending provision, a pending update and its commit token.
  absl::Duration token_ttl = absl::Hours(24 * 7);
  // Webhook targets on private networks (tests, closed networks).
  bool webhook_allow_private = false;
  // Most webhook endpoints per workspace.
  int max_webhooks = 20;
};

class ProvisioningService final : public chainkms::v1::Provisioning::Service {
 public:
  using Ctx = grpc::ServerContext;

  // Everything must outlive the service. `on_event` (may be empty) is told after a commit that
  // queued webhook events (the outbox worker wakes up).
  ProvisioningService(ProvisioningStore& store, RegistryClient& registry, NodePool& nodes,
                      server::Serving serving, Clock& clock, ProvisioningOptions options,
                      std::function<void()> on_event = {});

  // Deploy and reads (provisioning_deploy.cc).
  grpc::Status ProvisionCvm(Ctx*, const chainkms::v1::ProvisionCvmRequest*,
                            chainkms::v1::ProvisionCvmResponse*) override;
  grpc::Status CommitCvmProvision(Ctx*, const chainkms::v1::CommitCvmProvisionRequest*,
                                  chainkms::v1::CommitCvmProvisionResponse*) override;
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

  // Updates (provisioning_update.cc).
  grpc::Status PatchCvm(Ctx*, const chainkms::v1::PatchCvmRequest*,
                        chainkms::v1::PatchCvmResponse*) override;
  grpc::Status ConfirmCvmPatch(Ctx*, const chainkms::v1::ConfirmCvmPatchRequest*,
                               chainkms::v1::ConfirmCvmPatchResponse*) override;
  grpc::Status CommitCvmUpdate(Ctx*, const chainkms::v1::CommitCvmUpdateRequest*,
                               chainkms::v1::CommitCvmUpdateResponse*) override;
  grpc::Status GetPendingUpdate(Ctx*, const chainkms::v1::GetPendingUpdateRequest*,
                                chainkms::v1::GetPendingUpdateResponse*) override;

  // Webhooks (provisioning_webhooks.cc).
  grpc::Status CreateWebhook(Ctx*, const chainkms::v1::CreateWebhookRequest*,
                             chainkms::v1::CreateWebhookResponse*) override;
  grpc::Status ListWebhooks(Ctx*, const chainkms::v1::ListWebhooksRequest*,
                            chainkms::v1::ListWebhooksResponse*) override;
  grpc::Status RotateWebhookSecret(Ctx*, const chainkms::v1::RotateWebhookSecretRequest*,
                                   chainkms::v1::RotateWebhookSecretResponse*) override;
  grpc::Status DeleteWebhook(Ctx*, const chainkms::v1::DeleteWebhookRequest*,
                             chainkms::v1::DeleteWebhookResponse*) override;
  grpc::Status ListWebhookDeliveries(Ctx*, const chainkms::v1::ListWebhookDeliveriesRequest*,
                                     chainkms::v1::ListWebhookDeliveriesResponse*) override;

  // A node driver's report (the NodePool's StatusSink forwards here): recorded, and
  // cvm.boot_failed queued on a failure.
  void OnNodeStatus(const std::string& cvm_id, const std::string& status,
                    const std::string& reason);

 private:
  absl::StatusOr<const KmsConfig*> FindKms(std::string_view slug, std::string_view field) const;
  // Config + on-chain DstackKms info (through the registry, cached).
  absl::StatusOr<chainkms::v1::KmsRef> KmsRefFor(const Ctx* ctx, const KmsConfig& kms);
  // The KmsRef of a recorded CVM.
  absl::StatusOr<chainkms::v1::KmsRef> KmsRefOf(const Ctx* ctx, const CvmRecord& cvm);
  // Hands the CVM to its node (start or restart); a refusal is recorded as boot_failed.
  void Launch(const CvmRecord& cvm, bool restart);
  void EventsQueued();
  int64_t Now() const { return absl::ToUnixSeconds(clock_.Now()); }

  absl::Status DoProvision(const Ctx& ctx, const chainkms::v1::ProvisionCvmRequest& req,
                           chainkms::v1::ProvisionCvmResponse* resp);
  absl::Status DoCommitProvision(const Ctx& ctx, const chainkms::v1::CommitCvmProvisionRequest& req,
                                 chainkms::v1::CommitCvmProvisionResponse* resp);
  absl::Status DoPatch(const Ctx& ctx, const chainkms::v1::PatchCvmRequest& req,
                       chainkms::v1::PatchCvmResponse* resp);
  absl::Status DoConfirm(const Ctx& ctx, const chainkms::v1::ConfirmCvmPatchRequest& req,
                         chainkms::v1::ConfirmCvmPatchResponse* resp);
  absl::Status DoCommitUpdate(const Ctx& ctx, const chainkms::v1::CommitCvmUpdateRequest& req,
                              chainkms::v1::CommitCvmUpdateResponse* resp);
  absl::Status DoGetPendingUpdate(const Ctx& ctx, const chainkms::v1::GetPendingUpdateRequest& req,
                                  chainkms::v1::GetPendingUpdateResponse* resp);
  // The pending update a commit token names, for the CVM `cvm_ref` (id, app id or name) and, when
  // `ws` is not empty, that workspace; HASH_INVALID_OR_EXPIRED "unknown" otherwise.
  absl::StatusOr<PendingUpdate> PendingOfToken(std::string_view ws, std::string_view cvm_ref,
                                               std::string_view token);
  // Applies a verified pending update and restarts the CVM.
  absl::StatusOr<CvmRecord> ApplyPending(const PendingUpdate& pending);

  ProvisioningStore& store_;
  RegistryClient& registry_;
  NodePool& nodes_;
  server::Serving serving_;
  Clock& clock_;
  ProvisioningOptions options_;
  std::function<void()> on_event_;
};

}  // namespace chainkms::provisioning
