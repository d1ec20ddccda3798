#include "services/provisioning/provisioning_service.h"

#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/compose/app_compose.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"
#include "services/provisioning/events.h"
#include "services/provisioning/proto_convert.h"

namespace chainkms::provisioning {

namespace pb = ::chainkms::v1;
using server::Handle;
using server::Raw;

absl::StatusOr<std::vector<KmsConfig>> ParseKmsSpecs(std::string_view specs) {
  std::vector<KmsConfig> out;
  std::set<std::string> slugs;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(specs.data(), specs.size()),
                                              absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    const std::string spec(raw.data(), raw.size());
    std::vector<absl::string_view> parts = absl::StrSplit(raw, ';');
    std::pair<absl::string_view, absl::string_view> head = absl::StrSplit(parts[0], '=');
    KmsConfig k;
    k.slug = std::string(head.first);
    if (!compose::IsHostnameLabel(k.slug) || !absl::SimpleAtoi(head.second, &k.chain_id) ||
        k.chain_id == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("kms spec \"", spec, "\": expected <slug>=<chain id>[;url=<kms url>]"));
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(parts[i], '=');
      if (kv.first != "url" || kv.second.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "kms spec \"", spec, "\": unknown or empty key \"", std::string(kv.first), "\" (url)"));
      }
      k.url = std::string(kv.second);
    }
    if (!slugs.insert(k.slug).second) {
      return absl::InvalidArgumentError(absl::StrCat("kms slug \"", k.slug, "\" is used twice"));
    }
    out.push_back(std::move(k));
  }
  return out;
}

ProvisioningService::ProvisioningService(ProvisioningStore& store, RegistryClient& registry,
                                         NodePool& nodes, server::Serving serving, Clock& clock,
                                         ProvisioningOptions options,
                                         std::function<void()> on_event)
    : store_(store),
      registry_(registry),
      nodes_(nodes),
      serving_(serving),
      clock_(clock),
      options_(std::move(options)),
      on_event_(std::move(on_event)) {}

absl::StatusOr<const KmsConfig*> ProvisioningService::FindKms(std::string_view slug,
                                                              std::string_view field) const {
  std::vector<std::string> names;
  for (const KmsConfig& k : options_.kms) {
    if (k.slug == slug) return &k;
    names.push_back(k.slug);
  }
  return InvalidFieldError(
      field, absl::StrCat("unknown KMS \"", std::string(slug), "\"; this deployment offers: ",
                          names.empty() ? "none" : absl::StrJoin(names, ", ")));
}

absl::StatusOr<pb::KmsRef> ProvisioningService::KmsRefFor(const Ctx* ctx, const KmsConfig& kms) {
  ASSIGN_OR_RETURN(pb::GetKmsInfoResponse info, registry_.GetKmsInfo(ctx, kms.chain_id));
  pb::KmsRef ref;
  ref.set_slug(kms.slug);
  ref.set_chain_id(kms.chain_id);
  ref.set_kms_contract(info.kms_contract());
  ref.set_k256_public_key(info.kms_info().k256_pubkey());
  ref.set_url(kms.url);
  ref.set_gateway_app_id(info.gateway_app_id());
  return ref;
}

absl::StatusOr<pb::KmsRef> ProvisioningService::KmsRefOf(const Ctx* ctx, const CvmRecord& cvm) {
  ASSIGN_OR_RETURN(const KmsConfig* kms, FindKms(cvm.kms_slug, "kms"));
  return KmsRefFor(ctx, *kms);
}

void ProvisioningService::EventsQueued() {
  if (on_event_) on_event_();
}

void ProvisioningService::Launch(const CvmRecord& cvm, bool restart) {
  NodeDriver* driver = nodes_.driver(cvm.node);
  absl::Status s;
  if (driver == nullptr) {
    s = absl::FailedPreconditionError(absl::StrCat("node ", cvm.node, " is not configured"));
  } else {
    absl::StatusOr<const KmsConfig*> kms = FindKms(cvm.kms_slug, "kms");
    CvmLaunch launch{.cvm_id = cvm.id,
                     .name = cvm.name,
                     .app_id = cvm.app_id,
                     .app_compose = cvm.app_compose,
                     .compose_hash = cvm.compose_hash,
                     .encrypted_env = cvm.encrypted_env,
                     .kms_url = kms.ok() ? (*kms)->url : std::string(),
                     .chain_id = kms.ok() ? (*kms)->chain_id : 0};
    s = restart ? driver->Restart(launch) : driver->Start(launch);
  }
  if (!s.ok()) {
    serving_.logger->Warn("node refused the CVM",
                          {{"cvm_id", cvm.id}, {"node", cvm.node}, {"error", s.ToString()}});
    OnNodeStatus(cvm.id, "boot_failed", absl::StrCat("node: ", std::string(s.message())));
  }
}

void ProvisioningService::OnNodeStatus(const std::string& cvm_id, const std::string& status,
                                       const std::string& reason) {
  const absl::Time now = clock_.Now();
  bool queued = false;
  absl::StatusOr<CvmRecord> cvm = store_.SetCvmStatus(
      cvm_id, status, reason, absl::ToUnixSeconds(now),
      [&](const CvmRecord& c) -> std::vector<OutboxEvent> {
        const std::string_view event = status == "boot_failed" ? kEventCvmBootFailed
                                       : status == "running"   ? kEventCvmRunning
                                       : status == "stopped"   ? kEventCvmStopped
                                                               : std::string_view();
        if (event.empty()) return {};
        queued = true;
        return {MakeEvent(event, c.workspace, now, CvmEventData(c))};
      });
  if (!cvm.ok()) {
    serving_.logger->Error(
        "could not record a node status report",
        {{"cvm_id", cvm_id}, {"status", status}, {"error", cvm.status().ToString()}});
    return;
  }
  if (queued) EventsQueued();
}

grpc::Status ProvisioningService::ListKms(Ctx* ctx, const pb::ListKmsRequest*,
                                          pb::ListKmsResponse* resp) {
  return Handle(serving_.unary, [&]() -> absl::Status {
    RETURN_IF_ERROR(WorkspaceOf(*ctx).status());
    for (const KmsConfig& k : options_.kms) {
      ASSIGN_OR_RETURN(*resp->add_kms(), KmsRefFor(ctx, k));
    }
    return absl::OkStatus();
  });
}

}  // namespace chainkms::provisioning
