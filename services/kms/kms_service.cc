#include "services/kms/kms_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/chain/errors.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/kms/derive.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"

namespace chainkms::kms {

namespace pb = ::chainkms::v1;

absl::Status ClassifyKmsError(absl::Status status) { return ClassifyChainError(std::move(status)); }

KmsService::KmsService(ChainSet chains, std::map<uint64_t, RootKeys> keys,
                       AttestationVerifier& verifier, AuditLog& audit, server::Serving serving,
                       Clock& clock, KmsOptions options)
    : chains_(std::move(chains)),
      verifier_(verifier),
      audit_(audit),
      serving_(serving),
      clock_(clock),
      options_(options),
      metrics_(serving.metrics != nullptr ? serving.metrics->registry() : nullptr),
      app_keys_(options.app_key_cache_capacity) {
  for (uint64_t id : chains_.ids()) {
    auto k = keys.find(id);
    if (k == keys.end()) continue;  // never served: Served() says CHAIN_NOT_SERVING
    auto c = std::make_unique<ServedChain>(*chains_.Find(id), std::move(k->second));
    c->ca_spki = c->keys.CaSpkiDer();
    c->policy = std::make_unique<OnChainBootPolicy>(
        *c->chain->reader, OnChainBootPolicyOptions{.confirmations = options_.confirmations});
    metrics_.SetChainServing(id, false);
    served_.emplace(id, std::move(c));
  }
}

KmsService::~KmsService() = default;

void KmsService::SetBootPolicy(uint64_t chain_id, std::unique_ptr<BootPolicy> policy) {
  auto it = served_.find(chain_id);
  if (it != served_.end()) it->second->policy = std::move(policy);
}

absl::StatusOr<KmsService::ServedChain*> KmsService::Served(uint64_t chain_id) const {
  RETURN_IF_ERROR(chains_.Find(chain_id).status());
  auto it = served_.find(chain_id);
  if (it == served_.end() || !it->second->serving.load()) {
    std::string why = "no root keys for this chain";
    if (it != served_.end()) {
      MutexLock lock(&it->second->mu);
      why = it->second->not_serving_reason;
    }
    return WithReason(
        absl::UnavailableError(absl::StrCat("chain ", chain_id, " is not served: ", why)),
        Reason::kChainNotServing, {{"chain_id", std::to_string(chain_id)}, {"detail", why}});
  }
  return it->second.get();
}

absl::Status KmsService::CheckChain(ServedChain& c) {
  ASSIGN_OR_RETURN(KmsState state, c.chain->reader->GetKmsState());
  const FixedBytes<33> ours = c.keys.K256PublicKey();
  if (state.info.k256_pubkey != ours.ToBytes()) {
    return absl::FailedPreconditionError(
        absl::StrCat("DstackKms ", ToChecksumAddress(c.chain->kms), " kmsInfo().k256Pubkey is ",
                     state.info.k256_pubkey.empty() ? "unset" : Hex0x(state.info.k256_pubkey),
                     ", not the loaded root key ", Hex0x(ours.view()),
                     " (register it: chainkms-kms keys show --dir <key dir>)"));
  }
  if (!state.info.ca_pubkey.empty() && state.info.ca_pubkey != c.ca_spki) {
    return absl::FailedPreconditionError(
        absl::StrCat("DstackKms ", ToChecksumAddress(c.chain->kms),
                     " kmsInfo().caPubkey is not the loaded root CA key"));
  }
  MutexLock lock(&c.mu);
  c.app_implementation = state.app_implementation;
  return absl::OkStatus();
}

bool KmsService::CheckChains() {
  bool all = !served_.empty() && served_.size() == chains_.ids().size();
  for (auto& [id, c] : served_) {
    if (c->serving.load()) continue;
    absl::Status s = CheckChain(*c);
    if (s.ok()) {
      {
        MutexLock lock(&c->mu);
        c->not_serving_reason.clear();
      }
      c->serving.store(true);
      metrics_.SetChainServing(id, true);
      serving_.logger->Info("chain serving: kmsInfo matches the root keys",
                            {{"chain_id", id}, {"kms", ToChecksumAddress(c->chain->kms)}});
      continue;
    }
    all = false;
    const std::string why(s.message());
    bool changed = false;
    {
      MutexLock lock(&c->mu);
      changed = c->not_serving_reason != why;
      c->not_serving_reason = why;
    }
    if (changed) {
      serving_.logger->Error("chain not served: startup check failed",
                             {{"chain_id", id}, {"error", why}});
    }
  }
  return all;
}

bool KmsService::AllChainsServing() const {
  if (served_.empty() || served_.size() != chains_.ids().size()) return false;
  for (const auto& [id, c] : served_) {
    if (!c->serving.load()) return false;
  }
  return true;
}

grpc::Status KmsService::GetAppEnvEncryptPubKey(Ctx*, const pb::GetAppEnvEncryptPubKeyRequest* req,
                                                pb::GetAppEnvEncryptPubKeyResponse* resp) {
  return server::Handle(
      serving_.unary, [&] { return DoGetAppEnvEncryptPubKey(*req, resp); }, &ClassifyKmsError);
}

absl::Status KmsService::DoGetAppEnvEncryptPubKey(const pb::GetAppEnvEncryptPubKeyRequest& req,
                                                  pb::GetAppEnvEncryptPubKeyResponse* resp) {
  ASSIGN_OR_RETURN(Address app, server::ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(ServedChain * c, Served(req.chain_id()));
  const uint64_t now = static_cast<uint64_t>(absl::ToUnixSeconds(clock_.Now()));
  std::optional<EnvPubkeyEntry> e = pubkeys_.Find(req.chain_id(), app);
  if (!e.has_value() || e->v1_timestamp != now) {
    EnvPubkeyEntry fresh;
    if (e.has_value()) {
      fresh = *e;
    } else {
      ASSIGN_OR_RETURN(EnvKey env, DeriveEnvKey(c->keys.ca, app));
      fresh.public_key = env.public_key;
      fresh.signature = SignEnvPublicKeyLegacy(c->keys.k256, app, env.public_key);
    }
    fresh.v1_timestamp = now;
    fresh.signature_v1 = SignEnvPublicKeyV1(c->keys.k256, app, now, fresh.public_key);
    pubkeys_.Put(req.chain_id(), app, fresh);
    e = fresh;
  }
  resp->set_chain_id(req.chain_id());
  resp->set_app_id(server::Raw(app));
  resp->set_public_key(server::Raw(e->public_key));
  resp->set_signature(server::Raw(e->signature));
  resp->set_signature_v1(server::Raw(e->signature_v1));
  resp->set_timestamp(e->v1_timestamp);
  return absl::OkStatus();
}

grpc::Status KmsService::GetMeta(Ctx*, const pb::GetMetaRequest*, pb::GetMetaResponse* resp) {
  return server::Handle(serving_.unary, [&] {
    for (uint64_t id : chains_.ids()) {
      pb::KmsChainMeta* m = resp->add_chains();
      m->set_chain_id(id);
      m->set_kms_contract(server::Raw((*chains_.Find(id))->kms));
      auto it = served_.find(id);
      if (it == served_.end()) {
        m->set_not_serving_reason("no root keys for this chain");
        continue;
      }
      const ServedChain& c = *it->second;
      m->set_k256_public_key(server::Raw(c.keys.K256PublicKey()));
      m->set_ca_public_key(server::Raw(c.ca_spki));
      m->set_root_ca_cert(server::Raw(c.keys.ca_cert_der));
      m->set_serving(c.serving.load());
      MutexLock lock(&c.mu);
      if (c.app_implementation) m->set_app_implementation(server::Raw(*c.app_implementation));
      m->set_not_serving_reason(c.not_serving_reason);
    }
    resp->set_dev_attestation(options_.dev_attestation);
    resp->set_replica(audit_.replica());
    return absl::OkStatus();
  });
}

absl::Time KmsService::AuditDeadline(const Ctx* ctx) const {
  const absl::Time cap = absl::Now() + options_.audit_timeout;
  if (ctx == nullptr || ctx->deadline() >= std::chrono::system_clock::time_point::max() -
                                               std::chrono::hours(24 * 365)) {
    return cap;
  }
  const absl::Time call = absl::FromChrono(ctx->deadline()) - absl::Milliseconds(5);
  return std::min(cap, call);
}

}  // namespace chainkms::kms
