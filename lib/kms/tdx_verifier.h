// The Intel TDX verifier of the KMS (DESIGN §5.6): a DCAP quote verified to Intel's root at the
// clock's time against collateral for its FMSPC, the TCB policy, the dstack event log replayed
// into RTMR3, and the OS image proven by measurement, turned into the AppBootInfo the contract
// judges.
//
//   TdxAttestationVerifier tdx({.collateral = &source, .clock = &SystemClock::Get(), ...});
//   EvidenceRouter router(dev_or_null, &tdx);
//
// Refusals are PERMISSION_DENIED / ATTESTATION_REJECTED with the failing step; a collateral that
// cannot be fetched is UNAVAILABLE. Either way no key is released.
#pragma once

#include "lib/attestation/collateral_source.h"
#include "lib/attestation/event_log.h"
#include "lib/attestation/verify.h"
#include "lib/common/clock.h"
#include "lib/kms/attestation.h"

namespace chainkms::kms {

struct TdxVerifierOptions {
  attestation::CachingCollateralSource* collateral = nullptr;  // not owned
  const Clock* clock = nullptr;                                // not owned
  attestation::TcbPolicy policy;
  attestation::OsImageMeasurements os_images;
  bool allow_unmeasured_os_image = false;  // --insecure-unmeasured-os-image
};

class TdxAttestationVerifier final : public AttestationVerifier {
 public:
  explicit TdxAttestationVerifier(TdxVerifierOptions options) : options_(std::move(options)) {}
  absl::StatusOr<VerifiedBoot> Verify(const Evidence& evidence) override;

 private:
  TdxVerifierOptions options_;
};

// The quote's FMSPC and PCK CA, from its embedded PCK leaf (before anything is verified: it only
// chooses which collateral to fetch).
absl::StatusOr<std::pair<FixedBytes<6>, attestation::PckCa>> CollateralKey(
    const attestation::TdxQuote& quote);

// Everything TDX verification establishes, before it becomes a VerifiedBoot.
struct TdxVerdict {
  attestation::VerifiedQuote quote;
  attestation::DstackBoot boot;
  Hash32 os_image_hash;
};
// The AppBootInfo the contract judges, the key provider and the report data.
VerifiedBoot ToVerifiedBoot(const TdxVerdict& verdict);

absl::StatusOr<TdxVerdict> VerifyTdxEvidence(const TdxEvidence& evidence,
                                             const attestation::PreparedCollateral& collateral,
                                             absl::Time now, const TdxVerifierOptions& options,
                                             std::vector<attestation::VerifyStep>* trace = nullptr);

}  // namespace chainkms::kms
