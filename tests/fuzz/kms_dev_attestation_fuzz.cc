// GetAppKey's edge on arbitrary bytes: a serialized GetAppKeyRequest → ToEvidence (the dev and
// TDX attestation parser) → the dev verifier → the binding check. Never crashes; whatever it
// accepts has exactly the sizes the protocol fixes (nothing padded or truncated).
#include <cstdlib>

#include "chainkms/v1/kms.pb.h"
#include "lib/kms/attestation.h"
#include "lib/kms/sealed.h"
#include "services/kms/proto_convert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  chainkms::v1::GetAppKeyRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<chainkms::kms::Evidence> evidence = chainkms::kms::ToEvidence(req);
  if (!evidence.ok()) return 0;
  if (const auto* dev = std::get_if<chainkms::kms::DevEvidence>(&*evidence)) {
    const chainkms::v1::AppBootInfo& b = req.dev().boot_info();
    if (b.app_id().size() != 20 || b.compose_hash().size() != 32 || b.instance_id().size() != 20 ||
        b.device_id().size() != 32 || b.os_image_hash().size() != 32 ||
        req.dev().report_data().size() != 64 || dev->key_provider_id.empty()) {
      std::abort();
    }
    chainkms::kms::DevAttestationVerifier verifier;
    absl::StatusOr<chainkms::kms::VerifiedBoot> boot = verifier.Verify(*evidence);
    if (!boot.ok() || !boot->dev || !(boot->boot_info == dev->boot_info)) std::abort();
    chainkms::Hash32 recipient;
    const std::string& r = req.recipient_public_key();
    std::copy_n(r.begin(), std::min<size_t>(r.size(), 32), recipient.begin());
    // The binding holds only for the key the report data names; a fuzzer cannot find SHA-512
    // preimages, so an accepted binding with a mismatching key would be a bug.
    if (chainkms::kms::CheckBinding(*boot, recipient, dev->key_provider_id).ok() &&
        !(dev->report_data == chainkms::kms::KeyRequestReportData(recipient))) {
      std::abort();
    }
  } else if (req.tdx().quote().empty()) {
    std::abort();
  }
  return 0;
}
