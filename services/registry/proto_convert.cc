#include "services/registry/proto_convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/secp256k1.h"
#include "lib/server/proto_fields.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::CheckMaxCount;
using server::CheckMaxSize;
using server::OptionalHash;
using server::Raw;
using server::ToAddress;
using server::ToHash;

namespace {

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

absl::StatusOr<::chainkms::AppBootInfo> ToBootInfo(const pb::AppBootInfo& in, std::string_view field) {
  const std::string f(field);
  ::chainkms::AppBootInfo out;
  ASSIGN_OR_RETURN(out.app_id, ToAddress(in.app_id(), f + ".app_id"));
  ASSIGN_OR_RETURN(out.compose_hash, ToHash(in.compose_hash(), f + ".compose_hash"));
  ASSIGN_OR_RETURN(out.instance_id, ToAddress(in.instance_id(), f + ".instance_id"));
  ASSIGN_OR_RETURN(out.device_id, ToHash(in.device_id(), f + ".device_id"));
  ASSIGN_OR_RETURN(out.mr_aggregated, ToHash(in.mr_aggregated(), f + ".mr_aggregated"));
  ASSIGN_OR_RETURN(out.mr_system, ToHash(in.mr_system(), f + ".mr_system"));
  ASSIGN_OR_RETURN(out.os_image_hash, ToHash(in.os_image_hash(), f + ".os_image_hash"));
  RETURN_IF_ERROR(CheckMaxSize(in.tcb_status(), kMaxTcbStatusBytes, f + ".tcb_status"));
  RETURN_IF_ERROR(CheckMaxCount(in.advisory_ids_size(), kMaxAdvisoryIds, f + ".advisory_ids"));
  for (int i = 0; i < in.advisory_ids_size(); ++i) {
    RETURN_IF_ERROR(CheckMaxSize(in.advisory_ids(i), kMaxAdvisoryIdBytes,
                                 absl::StrCat(f, ".advisory_ids[", i, "]")));
  }
  out.tcb_status = in.tcb_status();
  out.advisory_ids.assign(in.advisory_ids().begin(), in.advisory_ids().end());
  return out;
}

absl::StatusOr<::chainkms::KmsInfo> ToKmsInfo(const pb::KmsInfo& in, std::string_view field) {
  const std::string f(field);
  if (in.k256_pubkey().size() != 33) {
    return InvalidFieldError(f + ".k256_pubkey",
                             absl::StrCat("must be a 33-byte compressed secp256k1 public key, got ",
                                          in.k256_pubkey().size(), " bytes"));
  }
  if (!Secp256k1PublicKey::Parse(AsBytes(in.k256_pubkey())).ok()) {
    return InvalidFieldError(f + ".k256_pubkey", "is not a point on secp256k1");
  }
  const std::string& ca = in.ca_pubkey();
  if (ca.empty() || static_cast<uint8_t>(ca[0]) != 0x30) {
    return InvalidFieldError(f + ".ca_pubkey", "must be a DER SubjectPublicKeyInfo (a SEQUENCE)");
  }
  RETURN_IF_ERROR(CheckMaxSize(ca, kMaxCaPubkeyBytes, f + ".ca_pubkey"));
  RETURN_IF_ERROR(CheckMaxSize(in.quote(), kMaxQuoteBytes, f + ".quote"));
  RETURN_IF_ERROR(CheckMaxSize(in.eventlog(), kMaxEventlogBytes, f + ".eventlog"));
  return ::chainkms::KmsInfo{.k256_pubkey = ToBytes(in.k256_pubkey()),
                             .ca_pubkey = ToBytes(ca),
                             .quote = ToBytes(in.quote()),
                             .eventlog = ToBytes(in.eventlog())};
}

absl::Status CheckGatewayAppId(const std::string& id, std::string_view field) {
  if (id.empty()) return InvalidFieldError(field, "must not be empty");
  RETURN_IF_ERROR(CheckMaxSize(id, kMaxGatewayAppIdBytes, field));
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return InvalidFieldError(field, "must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

pb::TransactionState ToProto(TxState s) {
  switch (s) {
    case TxState::kPending: return pb::TRANSACTION_STATE_PENDING;
    case TxState::kConfirmed: return pb::TRANSACTION_STATE_CONFIRMED;
    case TxState::kFailed: return pb::TRANSACTION_STATE_FAILED;
    case TxState::kReplaced: return pb::TRANSACTION_STATE_REPLACED;
    case TxState::kDropped: return pb::TRANSACTION_STATE_DROPPED;
  }
  return pb::TRANSACTION_STATE_UNSPECIFIED;
}

std::string_view StateLabel(pb::TransactionState s) {
  switch (s) {
    case pb::TRANSACTION_STATE_PENDING: return "pending";
    case pb::TRANSACTION_STATE_CONFIRMED: return "confirmed";
    case pb::TRANSACTION_STATE_FAILED: return "failed";
    case pb::TRANSACTION_STATE_REPLACED: return "replaced";
    case pb::TRANSACTION_STATE_DROPPED: return "dropped";
    default: return "unspecified";
  }
}

bool SetEvent(const ContractEvent& e, pb::WatchPolicyEventsResponse* out) {
  if (auto* v = std::get_if<ComposeHashAdded>(&e)) { out->set_compose_hash_added(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<ComposeHashRemoved>(&e)) { out->set_compose_hash_removed(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<DeviceAdded>(&e)) { out->set_device_added(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<DeviceRemoved>(&e)) { out->set_device_removed(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<AllowAnyDeviceSet>(&e)) { out->set_allow_any_device_set(v->allow_any); return true; }
  if (auto* v = std::get_if<RequireTcbUpToDateSet>(&e)) { out->set_require_tcb_up_to_date_set(v->require); return true; }
  if (std::holds_alternative<UpgradesDisabled>(e)) { out->set_upgrades_disabled(true); return true; }
  if (auto* v = std::get_if<OwnershipTransferStarted>(&e)) {
    out->mutable_ownership_transfer_started()->set_previous_owner(Raw(v->previous_owner));
    out->mutable_ownership_transfer_started()->set_new_owner(Raw(v->new_owner));
    return true;
  }
  if (auto* v = std::get_if<OwnershipTransferred>(&e)) {
    out->mutable_ownership_transferred()->set_previous_owner(Raw(v->previous_owner));
    out->mutable_ownership_transferred()->set_new_owner(Raw(v->new_owner));
    return true;
  }
  if (auto* v = std::get_if<Upgraded>(&e)) { out->set_upgraded(Raw(v->implementation)); return true; }
  if (auto* v = std::get_if<AppDeployedViaFactory>(&e)) {
    out->mutable_app_deployed()->set_app_id(Raw(v->app_id));
    out->mutable_app_deployed()->set_deployer(Raw(v->deployer));
    return true;
  }
  if (auto* v = std::get_if<AppRegistered>(&e)) { out->set_app_registered(Raw(v->app_id)); return true; }
  if (auto* v = std::get_if<AppImplementationSet>(&e)) { out->set_app_implementation_set(Raw(v->implementation)); return true; }
  if (auto* v = std::get_if<KmsInfoSet>(&e)) { out->set_kms_info_set(Raw(v->k256_pubkey)); return true; }
  if (auto* v = std::get_if<GatewayAppIdSet>(&e)) { out->set_gateway_app_id_set(v->gateway_app_id); return true; }
  if (auto* v = std::get_if<OsImageHashAdded>(&e)) { out->set_os_image_hash_added(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<OsImageHashRemoved>(&e)) { out->set_os_image_hash_removed(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<KmsAggregatedMrAdded>(&e)) { out->set_kms_aggregated_mr_added(Raw(v->mr)); return true; }
  if (auto* v = std::get_if<KmsAggregatedMrRemoved>(&e)) { out->set_kms_aggregated_mr_removed(Raw(v->mr)); return true; }
  if (auto* v = std::get_if<KmsDeviceAdded>(&e)) { out->set_kms_device_added(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<KmsDeviceRemoved>(&e)) { out->set_kms_device_removed(Raw(v->device_id)); return true; }
  return false;  // PolicyChanged, Initialized: covered by the specific events
}

absl::StatusOr<PreparedCall> ToCall(const pb::PolicyAction& a, const std::string& f,
                                    const Address& kms, const std::optional<Address>& from) {
  auto app_hash = [&](const pb::ComposeHashCall& c, const char* name, Bytes (*build)(const Hash32&),
                      std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Address app, ToAddress(c.app_id(), absl::StrCat(f, ".", name, ".app_id")));
    ASSIGN_OR_RETURN(Hash32 h, ToHash(c.compose_hash(), absl::StrCat(f, ".", name, ".compose_hash")));
    return PreparedCall{.to = app, .data = build(h), .function_signature = std::string(sig)};
  };
  auto app_device = [&](const pb::DeviceCall& c, const char* name, Bytes (*build)(const Hash32&),
                        std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Address app, ToAddress(c.app_id(), absl::StrCat(f, ".", name, ".app_id")));
    ASSIGN_OR_RETURN(Hash32 d, ToHash(c.device_id(), absl::StrCat(f, ".", name, ".device_id")));
    return PreparedCall{.to = app, .data = build(d), .function_signature = std::string(sig)};
  };
  auto kms_entry = [&](const pb::KmsEntryCall& c, const char* name, Bytes (*build)(const Hash32&),
                       std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Hash32 v, ToHash(c.value(), absl::StrCat(f, ".", name, ".value")));
    return PreparedCall{.to = kms, .data = build(v), .function_signature = std::string(sig)};
  };
  using A = pb::PolicyAction;
  switch (a.action_case()) {
    case A::kAddComposeHash:
      return app_hash(a.add_compose_hash(), "add_compose_hash", dstack_app::AddComposeHash, sig::kAddComposeHash);
    case A::kRemoveComposeHash:
      return app_hash(a.remove_compose_hash(), "remove_compose_hash", dstack_app::RemoveComposeHash,
                      sig::kRemoveComposeHash);
    case A::kAddDevice:
      return app_device(a.add_device(), "add_device", dstack_app::AddDevice, sig::kAddDevice);
    case A::kRemoveDevice:
      return app_device(a.remove_device(), "remove_device", dstack_app::RemoveDevice, sig::kRemoveDevice);
    case A::kSetAllowAnyDevice: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.set_allow_any_device().app_id(),
                                              absl::StrCat(f, ".set_allow_any_device.app_id")));
      return PreparedCall{.to = app, .data = dstack_app::SetAllowAnyDevice(a.set_allow_any_device().value()),
                          .function_signature = std::string(sig::kSetAllowAnyDevice)};
    }
    case A::kSetRequireTcbUpToDate: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.set_require_tcb_up_to_date().app_id(),
                                              absl::StrCat(f, ".set_require_tcb_up_to_date.app_id")));
      return PreparedCall{.to = app,
                          .data = dstack_app::SetRequireTcbUpToDate(a.set_require_tcb_up_to_date().value()),
                          .function_signature = std::string(sig::kSetRequireTcbUpToDate)};
    }
    case A::kDisableUpgrades: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.disable_upgrades().contract(),
                                            absl::StrCat(f, ".disable_upgrades.contract")));
      return PreparedCall{.to = c, .data = dstack_app::DisableUpgrades(),
                          .function_signature = std::string(sig::kDisableUpgrades)};
    }
    case A::kTransferOwnership: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.transfer_ownership().contract(),
                                            absl::StrCat(f, ".transfer_ownership.contract")));
      ASSIGN_OR_RETURN(Address o, ToAddress(a.transfer_ownership().new_owner(),
                                            absl::StrCat(f, ".transfer_ownership.new_owner")));
      return PreparedCall{.to = c, .data = ownable::TransferOwnership(o),
                          .function_signature = std::string(sig::kTransferOwnership)};
    }
    case A::kAcceptOwnership: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.accept_ownership().contract(),
                                            absl::StrCat(f, ".accept_ownership.contract")));
      return PreparedCall{.to = c, .data = ownable::AcceptOwnership(),
                          .function_signature = std::string(sig::kAcceptOwnership)};
    }
    case A::kDeployApp: {
      const pb::DeployAppCall& d = a.deploy_app();
      AppPolicyInit init{.disable_upgrades = d.disable_upgrades(),
                         .require_tcb_up_to_date = d.require_tcb_up_to_date(),
                         .allow_any_device = d.allow_any_device()};
      if (!d.owner().empty()) {
        ASSIGN_OR_RETURN(init.owner, ToAddress(d.owner(), absl::StrCat(f, ".deploy_app.owner")));
      } else if (from.has_value()) {
        init.owner = *from;
      } else {
        return InvalidFieldError(absl::StrCat(f, ".deploy_app.owner"), "required when `from` is not set");
      }
      ASSIGN_OR_RETURN(init.device_id, OptionalHash(d.initial_device_id(),
                                                    absl::StrCat(f, ".deploy_app.initial_device_id")));
      ASSIGN_OR_RETURN(init.compose_hash, OptionalHash(d.initial_compose_hash(),
                                                       absl::StrCat(f, ".deploy_app.initial_compose_hash")));
      return PreparedCall{.to = kms, .data = dstack_kms::DeployAndRegisterApp(init),
                          .function_signature = std::string(sig::kDeployAndRegisterApp)};
    }
    case A::kRegisterApp: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.register_app().contract(),
                                              absl::StrCat(f, ".register_app.contract")));
      return PreparedCall{.to = kms, .data = dstack_kms::RegisterApp(app),
                          .function_signature = std::string(sig::kRegisterApp)};
    }
    case A::kAddOsImageHash:
      return kms_entry(a.add_os_image_hash(), "add_os_image_hash", dstack_kms::AddOsImageHash, sig::kAddOsImageHash);
    case A::kRemoveOsImageHash:
      return kms_entry(a.remove_os_image_hash(), "remove_os_image_hash", dstack_kms::RemoveOsImageHash,
                       sig::kRemoveOsImageHash);
    case A::kAddKmsAggregatedMr:
      return kms_entry(a.add_kms_aggregated_mr(), "add_kms_aggregated_mr", dstack_kms::AddKmsAggregatedMr,
                       sig::kAddKmsAggregatedMr);
    case A::kRemoveKmsAggregatedMr:
      return kms_entry(a.remove_kms_aggregated_mr(), "remove_kms_aggregated_mr",
                       dstack_kms::RemoveKmsAggregatedMr, sig::kRemoveKmsAggregatedMr);
    case A::kAddKmsDevice:
      return kms_entry(a.add_kms_device(), "add_kms_device", dstack_kms::AddKmsDevice, sig::kAddKmsDevice);
    case A::kRemoveKmsDevice:
      return kms_entry(a.remove_kms_device(), "remove_kms_device", dstack_kms::RemoveKmsDevice,
                       sig::kRemoveKmsDevice);
    case A::kSetKmsInfo: {
      ASSIGN_OR_RETURN(::chainkms::KmsInfo info, ToKmsInfo(a.set_kms_info(), absl::StrCat(f, ".set_kms_info")));
      return PreparedCall{.to = kms, .data = dstack_kms::SetKmsInfo(info),
                          .function_signature = std::string(sig::kSetKmsInfo)};
    }
    case A::kSetAppImplementation: {
      ASSIGN_OR_RETURN(Address impl, ToAddress(a.set_app_implementation().address(),
                                               absl::StrCat(f, ".set_app_implementation.address")));
      return PreparedCall{.to = kms, .data = dstack_kms::SetAppImplementation(impl),
                          .function_signature = std::string(sig::kSetAppImplementation)};
    }
    case A::kSetGatewayAppId:
      RETURN_IF_ERROR(CheckGatewayAppId(a.set_gateway_app_id(), absl::StrCat(f, ".set_gateway_app_id")));
      return PreparedCall{.to = kms, .data = dstack_kms::SetGatewayAppId(a.set_gateway_app_id()),
                          .function_signature = std::string(sig::kSetGatewayAppId)};
    case A::ACTION_NOT_SET: break;
  }
  return InvalidFieldError(f, "no action set");
}

}  // namespace chainkms::registry
