// Where verification gets its collateral: Intel PCS / a PCCS (lib/kms/pccs.h) or a directory for
// air-gapped use, behind one cache that keeps each FMSPC's collateral until its earliest
// nextUpdate.
//
//   CachingCollateralSource cache(DirectoryFetcher("/etc/chainkms/collateral"));
//   ASSIGN_OR_RETURN(auto collateral, cache.Get(fmspc, PckCa::kPlatform, clock.Now()));
//
// A fetch failure is the caller's refusal to release anything (UNAVAILABLE); nothing stale is
// served past its nextUpdate.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/attestation/collateral.h"
#include "lib/common/sync.h"

namespace chainkms::attestation {

enum class PckCa { kProcessor, kPlatform };
std::string_view PckCaName(PckCa ca);  // "processor" | "platform", as PCS spells it
// From the PCK leaf's issuer DN: "Platform" → kPlatform, else kProcessor (dcap-qvl's rule).
PckCa PckCaOf(X509* pck_leaf);

using CollateralFetcher =
    std::function<absl::StatusOr<Collateral>(const FixedBytes<6>& fmspc, PckCa ca)>;

// <dir>/<FMSPC in upper-case hex>.json in dcap-qvl's QuoteCollateralV3 JSON (collateral.h), else
// <dir>/collateral.json. NOT_FOUND → UNAVAILABLE naming the file.
CollateralFetcher DirectoryFetcher(std::string dir);

class CachingCollateralSource {
 public:
  explicit CachingCollateralSource(CollateralFetcher fetch) : fetch_(std::move(fetch)) {}
  // The cached collateral while now < its earliest nextUpdate; else a fresh fetch, prepared.
  absl::StatusOr<std::shared_ptr<const PreparedCollateral>> Get(const FixedBytes<6>& fmspc,
                                                                PckCa ca, absl::Time now);
  size_t fetches() const;

 private:
  CollateralFetcher fetch_;
  mutable Mutex mu_;
  std::map<std::pair<std::string, PckCa>, std::shared_ptr<const PreparedCollateral>> cache_
      ABSL_GUARDED_BY(mu_);
  size_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace chainkms::attestation
