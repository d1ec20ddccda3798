// The edge of chainkms-kms: request fields into lib types, checked once (exact sizes, bounded
// lengths; INVALID_ARGUMENT / INVALID_FIELD naming the field), and AppKeys out.
//
//   ASSIGN_OR_RETURN(Evidence evidence, ToEvidence(req));          // the dev attestation parser
//   ASSIGN_OR_RETURN(SecretBytes plain, SerializeAppKeys(keys, root.ca_cert_der));
#pragma once

#include "absl/status/statusor.h"
#include "chainkms/v1/kms.pb.h"
#include "lib/common/secret_bytes.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/attestation.h"

namespace chainkms::kms {

inline constexpr size_t kMaxTcbStatusBytes = 64;
inline constexpr size_t kMaxAdvisoryIds = 64;
inline constexpr size_t kMaxAdvisoryIdBytes = 64;
inline constexpr size_t kMaxKeyProviderIdBytes = 1024;
inline constexpr size_t kMaxQuoteBytes = size_t{64} * 1024;
inline constexpr size_t kMaxEventLogBytes = size_t{1024} * 1024;
inline constexpr size_t kMaxVmConfigBytes = size_t{64} * 1024;

absl::StatusOr<AppBootInfo> ToBootInfo(const chainkms::v1::AppBootInfo& in, std::string_view field);

// The request's attestation: INVALID_FIELD "attestation" when none is set.
absl::StatusOr<Evidence> ToEvidence(const chainkms::v1::GetAppKeyRequest& req);

// The AppKeys message the CVM unseals, serialized; every secret copy is wiped.
SecretBytes SerializeAppKeys(const AppKeySet& keys, ByteView root_ca_cert_der);

}  // namespace chainkms::kms
