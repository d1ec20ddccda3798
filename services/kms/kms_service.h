// KmsService: chainkms.v1.Kms — keys released only to CVMs the contract allows (DESIGN §5.6).
//
// GetAppKey is the pipeline: validate every field at the edge → the attestation verifier turns
// the evidence into a VerifiedBoot → its report data must bind the request's recipient key and
// its key provider must be this chain's root CA → the chain's BootPolicy (DstackKms.isAppAllowed
// in one eth_call at a pinned block) → only on (true, "") derive the app keys, seal them to the
// recipient, write the audit line, and answer. Every outcome — issued, denied, error — is one
// audit line; if that line cannot be written no key leaves the process.
//
// Chains are served only once their startup check passed (CheckChains: the on-chain
// kmsInfo().k256Pubkey equals the loaded root key); until then their RPCs are UNAVAILABLE
// CHAIN_NOT_SERVING and health is NOT_SERVING.
//
//   KmsService kms(std::move(chains), std::move(keys), router, *audit, server.serving(), clock,
//                  {.dev_attestation = true});
//   server.AddService(&kms);
//   while (!kms.CheckChains()) wait;   // the server runs this on a thread
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "lib/chain/chain_set.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/kms/attestation.h"
#include "lib/kms/audit.h"
#include "lib/kms/boot_policy.h"
#include "lib/kms/root_keys.h"
#include "lib/server/server.h"
#include "services/kms/app_key_cache.h"
#include "services/kms/kms_metrics.h"
#include "services/kms/pubkey_cache.h"

namespace chainkms::kms {

// Chain errors given their reasons (ClassifyChainError) for every Kms handler.
absl::Status ClassifyKmsError(absl::Status status);

struct KmsOptions {
  bool dev_attestation = false;  // only to report it (GetMeta, warnings); the verifier decides
  uint64_t confirmations = 0;
  // Upper bound on waiting for the audit write when the call has a longer (or no) deadline.
  absl::Duration audit_timeout = absl::Seconds(2);
  // Apps whose app-level keys are kept (AppKeyCache); 0 derives everything on every call.
  size_t app_key_cache_capacity = 10000;
};

class KmsService final : public chainkms::v1::Kms::Service {
 public:
  using Ctx = grpc::ServerContext;

  // Every chain in `chains` needs its RootKeys in `keys`. `verifier`, `audit`, `clock` and
  // `serving`'s pointers must outlive the service.
  KmsService(ChainSet chains, std::map<uint64_t, RootKeys> keys, AttestationVerifier& verifier,
             AuditLog& audit, server::Serving serving, Clock& clock, KmsOptions options = {});
  ~KmsService() override;

  grpc::Status GetAppEnvEncryptPubKey(Ctx*, const chainkms::v1::GetAppEnvEncryptPubKeyRequest*,
                                      chainkms::v1::GetAppEnvEncryptPubKeyResponse*) override;
  grpc::Status GetAppKey(Ctx*, const chainkms::v1::GetAppKeyRequest*,
                         chainkms::v1::GetAppKeyResponse*) override;
  grpc::Status GetMeta(Ctx*, const chainkms::v1::GetMetaRequest*,
                       chainkms::v1::GetMetaResponse*) override;

  // Reads kmsInfo() (and appImplementation) of every chain not yet serving and serves those whose
  // on-chain k256Pubkey (and caPubkey, when set) equal the loaded root keys; logs each outcome.
  // True once every chain serves.
  bool CheckChains();
  bool AllChainsServing() const;

  // Replaces a chain's boot policy (tests and platform-held policies). Before serving.
  void SetBootPolicy(uint64_t chain_id, std::unique_ptr<BootPolicy> policy);

 private:
  struct ServedChain {
    ServedChain(Chain* c, RootKeys k) : chain(c), keys(std::move(k)) {}
    Chain* chain;  // owned by chains_
    RootKeys keys;
    Bytes ca_spki;
    std::unique_ptr<BootPolicy> policy;
    std::atomic<bool> serving{false};
    mutable Mutex mu;
    std::string not_serving_reason ABSL_GUARDED_BY(mu) = "startup check not run yet";
    std::optional<Address> app_implementation ABSL_GUARDED_BY(mu);
  };

  // The chain if it serves: UNKNOWN_CHAIN / CHAIN_NOT_SERVING otherwise.
  absl::StatusOr<ServedChain*> Served(uint64_t chain_id) const;
  absl::Status CheckChain(ServedChain& c);

  absl::Status DoGetAppEnvEncryptPubKey(const chainkms::v1::GetAppEnvEncryptPubKeyRequest& req,
                                        chainkms::v1::GetAppEnvEncryptPubKeyResponse* resp);
  // The pipeline (kms_key_release.cc); fills `audit` as it learns.
  absl::Status DoGetAppKey(const chainkms::v1::GetAppKeyRequest& req,
                           chainkms::v1::GetAppKeyResponse* resp, AuditRecord* audit);
  absl::Time AuditDeadline(const Ctx* ctx) const;

  ChainSet chains_;
  std::map<uint64_t, std::unique_ptr<ServedChain>> served_;
  AttestationVerifier& verifier_;
  AuditLog& audit_;
  server::Serving serving_;
  Clock& clock_;
  KmsOptions options_;
  KmsMetrics metrics_;
  PubkeyCache pubkeys_;
  AppKeyCache app_keys_;
};

}  // namespace chainkms::kms
