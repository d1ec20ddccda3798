#include "lib/kms/tdx_verifier.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"

namespace chainkms::kms {

absl::StatusOr<std::pair<FixedBytes<6>, attestation::PckCa>> CollateralKey(
    const attestation::TdxQuote& quote) {
  absl::StatusOr<attestation::CertChain> chain =
      attestation::ParsePemChain(quote.pck_chain_pem, "PCK chain");
  if (!chain.ok()) return AttestationRejected(std::string(chain.status().message()));
  absl::StatusOr<attestation::SgxExtension> ext = attestation::ParseSgxExtension(chain->leaf());
  if (!ext.ok()) return AttestationRejected(std::string(ext.status().message()));
  return std::make_pair(ext->fmspc, attestation::PckCaOf(chain->leaf()));
}

absl::StatusOr<TdxVerdict> VerifyTdxEvidence(const TdxEvidence& evidence,
                                             const attestation::PreparedCollateral& collateral,
                                             absl::Time now, const TdxVerifierOptions& options,
                                             std::vector<attestation::VerifyStep>* trace) {
  TdxVerdict v;
  ASSIGN_OR_RETURN(v.quote, attestation::VerifyTdxQuote(evidence.quote, collateral, now, trace));
  if (absl::Status s = attestation::CheckTcbPolicy(v.quote, options.policy); !s.ok()) {
    if (trace != nullptr) trace->push_back({"tcb_policy", false, std::string(s.message())});
    return s;
  }
  if (trace != nullptr) trace->push_back({"tcb_policy", true, "status and advisories accepted"});
  const std::string log_text(evidence.event_log.begin(), evidence.event_log.end());
  absl::StatusOr<std::vector<attestation::LogEvent>> log = attestation::ParseEventLog(log_text);
  if (!log.ok()) {
    if (trace != nullptr)
      trace->push_back({"event_log", false, std::string(log.status().message())});
    return AttestationRejected(std::string(log.status().message()));
  }
  absl::StatusOr<attestation::DstackBoot> boot =
      attestation::DeriveDstackBoot(v.quote.report, v.quote.ppid, *log);
  if (!boot.ok()) {
    if (trace != nullptr)
      trace->push_back({"event_log", false, std::string(boot.status().message())});
    return boot.status();
  }
  v.boot = *std::move(boot);
  if (trace != nullptr) {
    trace->push_back({"event_log", true,
                      absl::StrCat(log->size(), " events replay to RTMR3; app ",
                                   HexEncode(v.boot.app_id.view(), true), ", compose hash ",
                                   HexEncode(v.boot.compose_hash.view(), true))});
  }
  absl::StatusOr<Hash32> image = attestation::CheckOsImage(
      evidence.vm_config, v.quote.report, options.os_images, options.allow_unmeasured_os_image);
  if (!image.ok()) {
    if (trace != nullptr)
      trace->push_back({"os_image", false, std::string(image.status().message())});
    return image.status();
  }
  v.os_image_hash = *image;
  if (trace != nullptr) {
    trace->push_back(
        {"os_image", true,
         absl::StrCat(HexEncode(image->view(), true), options.allow_unmeasured_os_image
                                                          ? " (measurement not required: insecure)"
                                                          : " matches a configured measurement")});
  }
  return v;
}

VerifiedBoot ToVerifiedBoot(const TdxVerdict& v) {
  VerifiedBoot out;
  std::memcpy(out.boot_info.app_id.data(), v.boot.app_id.data(), 20);
  out.boot_info.compose_hash = v.boot.compose_hash;
  std::memcpy(out.boot_info.instance_id.data(), v.boot.instance_id.data(), 20);
  out.boot_info.device_id = v.boot.device_id;
  out.boot_info.mr_aggregated = v.boot.mr_aggregated;
  out.boot_info.mr_system = v.boot.mr_system;
  out.boot_info.os_image_hash = v.os_image_hash;
  out.boot_info.tcb_status = v.quote.status;
  out.boot_info.advisory_ids = v.quote.advisory_ids;
  out.key_provider_id = v.boot.key_provider_id;
  out.report_data = v.quote.report.report_data;
  return out;
}

absl::StatusOr<VerifiedBoot> TdxAttestationVerifier::Verify(const Evidence& evidence) {
  const auto* tdx = std::get_if<TdxEvidence>(&evidence);
  if (tdx == nullptr) return AttestationRejected("the TDX verifier takes TDX evidence only");
  absl::StatusOr<attestation::TdxQuote> quote = attestation::ParseTdxQuote(tdx->quote);
  if (!quote.ok()) return quote.status();
  ASSIGN_OR_RETURN(auto key, CollateralKey(*quote));
  const absl::Time now = options_.clock->Now();
  ASSIGN_OR_RETURN(std::shared_ptr<const attestation::PreparedCollateral> collateral,
                   options_.collateral->Get(key.first, key.second, now));
  ASSIGN_OR_RETURN(TdxVerdict v, VerifyTdxEvidence(*tdx, *collateral, now, options_));
  return ToVerifiedBoot(v);
}

}  // namespace chainkms::kms
