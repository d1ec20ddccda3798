// GetAppKey: the key-release pipeline (kms_service.h). One audit line per call, whatever the
// outcome; keys leave only after their "issued" line is written.
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "lib/chain/errors.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/sealed.h"
#include "lib/server/handle.h"
#include "lib/server/logging.h"
#include "lib/server/proto_fields.h"
#include "services/kms/kms_service.h"
#include "services/kms/proto_convert.h"

namespace chainkms::kms {

namespace pb = ::chainkms::v1;

namespace {

absl::Status BootDenied(const BootDecision& d, const AppBootInfo& boot, uint64_t chain_id) {
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat("boot denied by DstackKms.isAppAllowed: ",
                                               d.reason.empty() ? "(no reason)" : d.reason)),
      Reason::kBootDenied,
      {{"contract_reason", d.reason},
       {"app_id", Hex0x(boot.app_id.view())},
       {"chain_id", std::to_string(chain_id)},
       {"block_number", std::to_string(d.block.number)}});
}

}  // namespace

grpc::Status KmsService::GetAppKey(Ctx* ctx, const pb::GetAppKeyRequest* req,
                                   pb::GetAppKeyResponse* resp) {
  return server::Handle(
      serving_.unary,
      [&]() -> absl::Status {
        AuditRecord record;
        record.time = clock_.Now();
        record.request_id = server::RequestContext::FromServerContext(*ctx).request_id;
        record.chain_id = req->chain_id();
        absl::Status s = ClassifyKmsError(DoGetAppKey(*req, resp, &record));
        record.decision = s.ok()                               ? "issued"
                          : ReasonOf(s) == Reason::kBootDenied ? "denied"
                                                               : "error";
        if (!s.ok())
          record.reason = std::string(ReasonName(ReasonOf(s).value_or(Reason::kInternal)));
        absl::Status written = audit_.Append(record, AuditDeadline(ctx));
        if (!written.ok()) {
          metrics_.RecordAuditFailure();
          serving_.logger->Error(
              "audit line not written",
              {{"request_id", record.request_id}, {"error", std::string(written.message())}});
          if (s.ok()) {
            resp->Clear();  // the sealed keys never leave
            s = written;
          }
        }
        const std::optional<Reason> reason = ReasonOf(s);
        // The chain label only names chains this kms knows (a caller's chain id is unchecked
        // input: any other value would be a new series); 0 = "not one of ours".
        metrics_.RecordDecision(chains_.Find(req->chain_id()).ok() ? req->chain_id() : 0,
                                s.ok()                          ? "issued"
                                : reason == Reason::kBootDenied ? "denied"
                                                                : "error",
                                s.ok() ? "" : ReasonName(reason.value_or(Reason::kInternal)));
        return s;
      },
      nullptr);
}

absl::Status KmsService::DoGetAppKey(const pb::GetAppKeyRequest& req, pb::GetAppKeyResponse* resp,
                                     AuditRecord* audit) {
  ASSIGN_OR_RETURN(ServedChain * c, Served(req.chain_id()));
  ASSIGN_OR_RETURN(Hash32 recipient,
                   server::ToHash(req.recipient_public_key(), "recipient_public_key"));
  ASSIGN_OR_RETURN(Evidence evidence, ToEvidence(req));

  ASSIGN_OR_RETURN(VerifiedBoot boot, verifier_.Verify(evidence));
  const AppBootInfo& info = boot.boot_info;
  audit->dev = boot.dev;
  audit->app_id = info.app_id;
  audit->compose_hash = info.compose_hash;
  audit->device_id = info.device_id;
  audit->instance_id = info.instance_id;
  if (boot.dev) {
    metrics_.RecordDevAttestation();
    serving_.logger->Warn(
        "INSECURE: dev attestation accepted; nothing about this boot is proven",
        {{"request_id", audit->request_id}, {"app_id", Hex0x(info.app_id.view())}});
  }
  RETURN_IF_ERROR(CheckBinding(boot, recipient, c->ca_spki));

  const absl::Time asked = absl::Now();
  absl::StatusOr<BootDecision> decision = c->policy->Decide(info);
  metrics_.RecordBootPolicy(req.chain_id(), absl::Now() - asked);
  if (!decision.ok()) {
    // Fail closed: whatever went wrong, no decision means no key.
    return decision.status().code() == absl::StatusCode::kUnavailable
               ? decision.status()
               : absl::UnavailableError(std::string(decision.status().message()));
  }
  audit->block_number = decision->block.number;
  audit->block_hash = decision->block.hash;
  if (!decision->allowed) {
    audit->contract_reason = decision->reason;
    return BootDenied(*decision, info, req.chain_id());
  }

  const absl::Time derive_start = absl::Now();
  AppKeySet keys;
  if (std::shared_ptr<const AppKeySet> cached = app_keys_.Find(req.chain_id(), info.app_id)) {
    ASSIGN_OR_RETURN(keys, WithInstance(c->keys, *cached, info.app_id, info.instance_id));
  } else {
    ASSIGN_OR_RETURN(keys, DeriveAppKeySet(c->keys, info.app_id, info.instance_id));
    ASSIGN_OR_RETURN(AppKeySet copy, WithInstance(c->keys, keys, info.app_id, info.instance_id));
    app_keys_.Put(req.chain_id(), info.app_id, std::make_shared<const AppKeySet>(std::move(copy)));
  }
  SecretBytes plain = SerializeAppKeys(keys, c->keys.ca_cert_der);
  ASSIGN_OR_RETURN(Bytes sealed,
                   SealToRecipient(recipient, info.app_id, req.chain_id(), plain.view()));
  metrics_.RecordDerivation(absl::Now() - derive_start);

  resp->set_app_id(server::Raw(info.app_id));
  resp->set_chain_id(req.chain_id());
  resp->set_block_number(decision->block.number);
  resp->set_block_hash(server::Raw(decision->block.hash));
  resp->set_gateway_app_id(decision->gateway_app_id);
  resp->set_os_image_hash(server::Raw(info.os_image_hash));
  resp->set_dev(boot.dev);
  resp->set_sealed_keys(server::Raw(sealed));
  resp->set_compose_hash(server::Raw(info.compose_hash));
  resp->set_instance_id(server::Raw(info.instance_id));
  return absl::OkStatus();
}

}  // namespace chainkms::kms
