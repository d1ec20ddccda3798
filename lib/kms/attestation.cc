#include "lib/kms/attestation.h"

#include "absl/strings/str_cat.h"
#include "lib/common/reason.h"
#include "lib/common/secret_bytes.h"
#include "lib/kms/sealed.h"

namespace chainkms::kms {

absl::Status AttestationRejected(std::string_view detail) {
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat("attestation rejected: ", std::string(detail))),
      Reason::kAttestationRejected, {{"detail", std::string(detail)}});
}

absl::StatusOr<VerifiedBoot> DevAttestationVerifier::Verify(const Evidence& evidence) {
  const DevEvidence* dev = std::get_if<DevEvidence>(&evidence);
  if (dev == nullptr) return AttestationRejected("the dev verifier takes only dev attestations");
  return VerifiedBoot{.boot_info = dev->boot_info,
                      .key_provider_id = dev->key_provider_id,
                      .report_data = dev->report_data,
                      .dev = true};
}

absl::StatusOr<VerifiedBoot> EvidenceRouter::Verify(const Evidence& evidence) {
  if (std::holds_alternative<DevEvidence>(evidence)) {
    if (dev_ == nullptr) {
      return AttestationRejected(
          "dev attestation is disabled (the server was not started with "
          "--insecure-dev-attestation)");
    }
    return dev_->Verify(evidence);
  }
  if (tdx_ == nullptr) {
    return AttestationRejected(
        "TDX attestation is disabled (the server runs without --attestation tdx)");
  }
  return tdx_->Verify(evidence);
}

absl::Status CheckBinding(const VerifiedBoot& boot, const Hash32& recipient_public_key,
                          ByteView root_ca_spki) {
  const FixedBytes<64> want = KeyRequestReportData(recipient_public_key);
  if (!ConstantTimeEquals(boot.report_data.view(), want.view())) {
    return AttestationRejected(
        "report data does not bind recipient_public_key (want SHA-512(\"chainkms-key-request/v1:\" "
        "‖ recipient_public_key))");
  }
  if (!ConstantTimeEquals(boot.key_provider_id, root_ca_spki)) {
    return AttestationRejected("the CVM's key provider is not this chain's root CA");
  }
  return absl::OkStatus();
}

}  // namespace chainkms::kms
