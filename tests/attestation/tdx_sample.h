// The shared Intel TDX sample (../shared/vectors/tdx) and ways to damage it, for the verification
// suites: each signed region of the quote and its collateral, and a verdict that names the step.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/attestation/collateral.h"
#include "lib/attestation/verify.h"
#include "lib/common/bytes.h"

namespace chainkms::attestation::tdxtest {

struct Sample {
  Bytes quote;
  Collateral collateral;
};
// Loads once; aborts the test binary with a message if the vectors are missing.
const Sample& LoadSample();

// Inside the collateral window (its midpoint), and today.
inline const absl::Time kInsideWindow = absl::FromUnixSeconds(1751624191);  // 2025-07-04T10:16:31Z
inline const absl::Time kToday = absl::FromUnixSeconds(1796169600);         // 2026-12-02T00:00:00Z

struct Verdict {
  bool ok = false;
  std::string status;
  std::vector<std::string> advisory_ids;
  std::string step;  // "collateral" when PrepareCollateral refused it
  std::string message;
};
Verdict Judge(const Bytes& quote, const Collateral& collateral, absl::Time now);

// One signed region: its name, its size in bytes, the steps a flip in it may be refused by, and
// how to flip byte i of it (XOR 0x01) in a copy of the sample.
struct Region {
  std::string name;
  size_t size = 0;
  std::vector<std::string> steps;
  std::function<void(Sample&, size_t)> flip;
};
std::vector<Region> SignedRegions();

}  // namespace chainkms::attestation::tdxtest
