// Collateral from Intel's PCS or a PCCS, API v4 (ATTESTATION.md §6), for the TDX verifier.
//
//   ASSIGN_OR_RETURN(attestation::CollateralFetcher fetch, PccsFetcher({.url = "https://pccs"}));
//   attestation::CachingCollateralSource source(std::move(fetch));
//
//   GET {base}/sgx/certification/v4/pckcrl?ca={processor|platform}&encoding=der
//       body: DER CRL; header SGX-PCK-CRL-Issuer-Chain (URL-encoded PEM)
//   GET {base}/tdx/certification/v4/tcb?fmspc={HEX}
//       body: {"tcbInfo":{…},"signature":"<hex>"}; header TCB-Info-Issuer-Chain (or SGX-…)
//   GET {base}/tdx/certification/v4/qe/identity?update=standard
//       body: {"enclaveIdentity":{…},"signature":"<hex>"}; header SGX-Enclave-Identity-Issuer-Chain
//   GET {base}/sgx/certification/v4/rootcacrl  (a PCCS: hex text); failing that, the CRL
//       distribution point of the pinned Intel root (Intel PCS serves none).
// The signed tcbInfo / enclaveIdentity are kept as the exact bytes served (never re-serialized).
// Requests follow the JSON-RPC client's rules (CurlTransport: no redirects, no proxies, capped
// bodies, timeouts); any failure is UNAVAILABLE and releases nothing.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/attestation/collateral_source.h"

namespace chainkms::kms {

struct PccsOptions {
  std::string url;  // with or without the /sgx|tdx/certification/v4 suffix
  absl::Duration timeout = absl::Seconds(30);
};

absl::StatusOr<attestation::CollateralFetcher> PccsFetcher(PccsOptions options);

// The exact text of top-level member `name` of the JSON object `body`; NOT_FOUND when absent,
// INVALID_ARGUMENT when `body` is not an object.
absl::StatusOr<std::string> RawJsonMember(std::string_view body, std::string_view name);

}  // namespace chainkms::kms
