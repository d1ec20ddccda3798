// What a CVM proves, and who checks it (DESIGN §5.6).
//
// An AttestationVerifier turns evidence into the boot it proves: the AppBootInfo the contract
// judges, the key provider the CVM booted with and the 64-byte report data. The KMS then checks
// report data and key provider itself (CheckBinding), so every verifier is held to the same
// binding rules:
//
//   ASSIGN_OR_RETURN(VerifiedBoot boot, verifier.Verify(evidence));
//   RETURN_IF_ERROR(CheckBinding(boot, recipient_public_key, root_ca_spki));
//
// This module ships the dev verifier only: it takes the claims as given and proves nothing, so
// it exists solely behind --insecure-dev-attestation and marks what it returns dev = true. The
// Intel TDX verifier (lib/attestation) plugs in through the same interface.
#pragma once

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "lib/chain/contracts.h"
#include "lib/common/bytes.h"

namespace chainkms::kms {

// Dev claims: the boot info, key provider and report data taken as given.
struct DevEvidence {
  AppBootInfo boot_info;
  Bytes key_provider_id;  // the root CA's SubjectPublicKeyInfo DER
  FixedBytes<64> report_data;
};

// An Intel TDX quote with the dstack event log and VM config.
struct TdxEvidence {
  Bytes quote;
  Bytes event_log;
  std::string vm_config;
};

using Evidence = std::variant<DevEvidence, TdxEvidence>;

struct VerifiedBoot {
  AppBootInfo boot_info;
  Bytes key_provider_id;
  FixedBytes<64> report_data;
  bool dev = false;  // nothing was proven
};

class AttestationVerifier {
 public:
  virtual ~AttestationVerifier() = default;
  // PERMISSION_DENIED reason ATTESTATION_REJECTED for evidence it does not accept.
  virtual absl::StatusOr<VerifiedBoot> Verify(const Evidence& evidence) = 0;
};

// Accepts DevEvidence as given (dev = true); refuses TdxEvidence.
class DevAttestationVerifier final : public AttestationVerifier {
 public:
  absl::StatusOr<VerifiedBoot> Verify(const Evidence& evidence) override;
};

// Routes DevEvidence to `dev` and TdxEvidence to `tdx`; a null one refuses its kind with
// ATTESTATION_REJECTED naming the flag that would enable it. Pointers are not owned.
class EvidenceRouter final : public AttestationVerifier {
 public:
  EvidenceRouter(AttestationVerifier* dev, AttestationVerifier* tdx) : dev_(dev), tdx_(tdx) {}
  absl::StatusOr<VerifiedBoot> Verify(const Evidence& evidence) override;

 private:
  AttestationVerifier* dev_;
  AttestationVerifier* tdx_;
};

// PERMISSION_DENIED / ATTESTATION_REJECTED unless the report data is
// KeyRequestReportData(recipient_public_key) and the key provider is `root_ca_spki`.
absl::Status CheckBinding(const VerifiedBoot& boot, const Hash32& recipient_public_key,
                          ByteView root_ca_spki);

// PERMISSION_DENIED / ATTESTATION_REJECTED with metadata detail.
absl::Status AttestationRejected(std::string_view detail);

}  // namespace chainkms::kms
