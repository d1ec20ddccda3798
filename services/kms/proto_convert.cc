#include "services/kms/proto_convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/server/proto_fields.h"

namespace chainkms::kms {

namespace pb = ::chainkms::v1;
using server::CheckMaxCount;
using server::CheckMaxSize;
using server::Exact;
using server::ToAddress;
using server::ToHash;

absl::StatusOr<AppBootInfo> ToBootInfo(const pb::AppBootInfo& in, std::string_view field) {
  const std::string f(field);
  AppBootInfo out;
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

absl::StatusOr<Evidence> ToEvidence(const pb::GetAppKeyRequest& req) {
  switch (req.attestation_case()) {
    case pb::GetAppKeyRequest::kDev: {
      const pb::DevAttestation& dev = req.dev();
      if (!dev.has_boot_info()) return InvalidFieldError("dev.boot_info", "required");
      DevEvidence out;
      ASSIGN_OR_RETURN(out.boot_info, ToBootInfo(dev.boot_info(), "dev.boot_info"));
      if (dev.key_provider_id().empty())
        return InvalidFieldError("dev.key_provider_id", "required");
      RETURN_IF_ERROR(
          CheckMaxSize(dev.key_provider_id(), kMaxKeyProviderIdBytes, "dev.key_provider_id"));
      out.key_provider_id.assign(dev.key_provider_id().begin(), dev.key_provider_id().end());
      ASSIGN_OR_RETURN(out.report_data, Exact<64>(dev.report_data(), "dev.report_data"));
      return Evidence(std::move(out));
    }
    case pb::GetAppKeyRequest::kTdx: {
      const pb::TdxAttestation& tdx = req.tdx();
      if (tdx.quote().empty()) return InvalidFieldError("tdx.quote", "required");
      RETURN_IF_ERROR(CheckMaxSize(tdx.quote(), kMaxQuoteBytes, "tdx.quote"));
      RETURN_IF_ERROR(CheckMaxSize(tdx.event_log(), kMaxEventLogBytes, "tdx.event_log"));
      RETURN_IF_ERROR(CheckMaxSize(tdx.vm_config(), kMaxVmConfigBytes, "tdx.vm_config"));
      TdxEvidence out;
      out.quote.assign(tdx.quote().begin(), tdx.quote().end());
      out.event_log.assign(tdx.event_log().begin(), tdx.event_log().end());
      out.vm_config = tdx.vm_config();
      return Evidence(std::move(out));
    }
    case pb::GetAppKeyRequest::ATTESTATION_NOT_SET:
      break;
  }
  return InvalidFieldError("attestation", "required: tdx or dev");
}

namespace {

void Wipe(std::string* s) {
  SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s->data()), s->size()));
  s->clear();
}

void SetSecret(std::string* field, ByteView b) {
  field->assign(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

SecretBytes SerializeAppKeys(const AppKeySet& keys, ByteView root_ca_cert_der) {
  pb::AppKeys m;
  SetSecret(m.mutable_disk_crypt_key(), keys.disk_crypt_key.view());
  SetSecret(m.mutable_env_crypt_key(), keys.env_crypt_key.view());
  SetSecret(m.mutable_k256_key(), keys.k256_key.view());
  m.set_k256_signature(server::Raw(keys.k256_signature));
  m.set_ca_cert(server::Raw(keys.ca_cert_der));
  SetSecret(m.mutable_ca_key(), keys.ca_key_der.view());
  m.set_root_ca_cert(server::Raw(root_ca_cert_der));
  std::string wire;
  m.SerializeToString(&wire);
  SecretBytes out = SecretBytes::FromView(AsBytes(wire));
  Wipe(&wire);
  Wipe(m.mutable_disk_crypt_key());
  Wipe(m.mutable_env_crypt_key());
  Wipe(m.mutable_k256_key());
  Wipe(m.mutable_ca_key());
  return out;
}

}  // namespace chainkms::kms
